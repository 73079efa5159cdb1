// SPDX-License-Identifier: Apache-2.0
/* What a captured call's answer charges to its host (user/proxy/
 * px_charge.h): the rules written there, status by status; the kernel
 * side runs in tests/bpf/test_engine_ol.c. */
#include "harness.h"
#include "proxy/px_charge.h"

static void answers_and_their_charge(void)
{
	struct im_capture cap = { .slot = 7, .epoch = 3 };
	struct px_charge c;

	CU_ASSERT_EQUAL(px_charge_result(200), IM_OUTCOME_SUCCESS);
	/* no answer: refused, timed out, TLS refused, reset first */
	CU_ASSERT_EQUAL(px_charge_result(0), IM_OUTCOME_FAILURE);
	CU_ASSERT_EQUAL(px_charge_result(503), IM_OUTCOME_FAILURE);
	CU_ASSERT_EQUAL(px_charge_result(502), IM_OUTCOME_FAILURE);
	CU_ASSERT_EQUAL(px_charge_result(504), IM_OUTCOME_FAILURE);
	CU_ASSERT_EQUAL(px_charge_result(400), IM_OUTCOME_FAILURE);
	/* the destination's policy: neither way */
	CU_ASSERT_EQUAL(px_charge_result(401), 0);
	CU_ASSERT_EQUAL(px_charge_result(403), 0);
	/* only a call connect4 balanced names a host to charge */
	px_charge_arm(&c, &cap);
	CU_ASSERT_FALSE(c.armed);
	cap.flags = IM_CAP_BALANCED;
	px_charge_arm(&c, &cap);
	CU_ASSERT_TRUE(c.armed);
	CU_ASSERT_EQUAL(c.slot, 7);
	CU_ASSERT_EQUAL(c.epoch, 3);
}

UNIT_SUITE(px_charge)
{
	UNIT_TEST(s, answers_and_their_charge);
}
