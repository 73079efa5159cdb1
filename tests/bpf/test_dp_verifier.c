// SPDX-License-Identifier: Apache-2.0
/*
 * Each dataplane program verifies well under the kernel's limit of 1M
 * processed instructions per program: a change that makes the verifier
 * walk blow up (a loop it can no longer bound, a helper inlined into
 * every branch) fails here long before a program stops loading. The
 * count is the kernel's own (bpf_prog_info.verified_insns, global
 * functions included). CEILING is half the kernel's limit: room for a
 * kernel whose verifier explores more states than this one.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "connect.skel.h"
#include "dp_testlib.h"
#include "outcome.skel.h"
#include "recount.skel.h"
#include "sockops.skel.h"
#include "tc_guard.skel.h"
#include "xdp_guard.skel.h"

#define CEILING 500000U		/* the kernel stops at 1,000,000 */

/* Checks every loaded program of <obj>; returns how many it read. */
static int check_obj(const struct bpf_object *obj)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0)
			continue;	/* not loaded (autoload off) */
		memset(&info, 0, sizeof(info));
		if (!CHECK_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0,
			      "info of %s", bpf_program__name(p)))
			continue;
		fprintf(stderr, "    %-20s %7u verified instructions\n",
			bpf_program__name(p), info.verified_insns);
		CHECK_EQ(info.verified_insns > 0, 1, "%s: a count to read",
			 bpf_program__name(p));
		CHECK_EQ(info.verified_insns < CEILING, 1, "%s: %u < %u",
			 bpf_program__name(p), info.verified_insns, CEILING);
		n++;
	}
	return n;
}

static void verified_insns_bounded(void)
{
	struct dp dp;
	int n;

	NEED_ROOT();
	if (dp_test_load(&dp, NULL))
		return;
	n = check_obj(dp.connect->obj) + check_obj(dp.sockops->obj) +
	    check_obj(dp.tc->obj) + check_obj(dp.xdp->obj) +
	    check_obj(dp.recount->obj) + check_obj(dp.outcome->obj);
	/* connect4, getpeername4, connect6, getpeername6, sockops, tc, xdp,
	 * the recount iterator and im_outcome at least */
	CHECK_EQ(n >= 9, 1, "programs checked: %d", n);
	dp_destroy(&dp);
}

UNIT_SUITE(dp_verifier)
{
	UNIT_TEST(s, verified_insns_bounded);
}
