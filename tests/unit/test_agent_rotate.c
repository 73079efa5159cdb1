// SPDX-License-Identifier: Apache-2.0
/* SVID rotation on the agent's loop (user/agent/rotate.c): when the timer
 * is armed, and a due SVID really renewed by it, with the log line. */
#include <poll.h>
#include <stdio.h>

#include "agent/context.h"
#include "agent/rotate.h"
#include "harness.h"
#include "tls_fix.h"

static void arm_times(void)
{
	time_t now = 1000000;

	/* empty store: look again later (SVIDs come on first use) */
	CU_ASSERT_EQUAL(rotate_arm_at(0, now, false), now + ROTATE_RECHECK_S);
	/* the renewal, when it comes before the recheck */
	CU_ASSERT_EQUAL(rotate_arm_at(now + 7, now, false), now + 7);
	CU_ASSERT_EQUAL(rotate_arm_at(now + 3600, now, false),
			now + ROTATE_RECHECK_S);
	/* due at start: at once; still due after a rotation: it failed,
	 * retried later, never a spin */
	CU_ASSERT_EQUAL(rotate_arm_at(now - 1, now, false), now - 1);
	CU_ASSERT_EQUAL(rotate_arm_at(now - 1, now, true),
			now + ROTATE_RETRY_S);
	CU_ASSERT_EQUAL(rotate_arm_at(now, now, true), now + ROTATE_RETRY_S);
}

/* The loop's callback for <fd>, as loop_run() would call it. */
static void dispatch(struct loop *l, int fd)
{
	int i;

	for (i = 0; i < LOOP_MAX_SRC && l->src[i].fd != fd; i++)
		;
	CU_ASSERT_FATAL(i < LOOP_MAX_SRC);
	l->src[i].fn(l->src[i].ctx, fd);
}

static void due_svid_renewed(void)
{
	struct tls_ctx_opts o = { .resume = true };
	struct spiffe_id id = fix_id(FIX_TD, "ns", "sa");
	struct pollfd p = { .events = POLLIN };
	struct agent a = { .rotate_fd = -1, .o.node = "t" };
	char why[256] = "", *log = NULL;
	time_t now = time(NULL);
	struct tls_ctx *c;
	size_t len = 0;

	fix_ca(&a.ca);
	CU_ASSERT_EQUAL_FATAL(loop_init(&a.loop), 0);
	CU_ASSERT_EQUAL_FATAL(tls_idents_init(&a.idents, &a.ca, SVID_TTL_MIN,
					      &o), 0);
	/* issued a little over half a lifetime ago: due now */
	c = tls_idents_get(&a.idents, &id, now - SVID_TTL_MIN / 2 - 1, why,
			   sizeof(why));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	tls_ctx_put(c);
	CU_ASSERT_TRUE(tls_idents_next_renewal(&a.idents) < now);

	a.log_hold = open_memstream(&log, &len);
	CU_ASSERT_EQUAL_FATAL(rotate_init(&a), 0);
	p.fd = a.rotate_fd;
	CU_ASSERT_EQUAL_FATAL(poll(&p, 1, 5000), 1);	/* fires at once */
	dispatch(&a.loop, a.rotate_fd);
	fclose(a.log_hold);
	CU_ASSERT_TRUE(tls_idents_next_renewal(&a.idents) >=
		       now + SVID_TTL_MIN / 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "SVID rotation: 1 renewed"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "SVID rotation: next renewal 2"));
	/* re-armed, for the recheck: not readable now */
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);

	free(log);
	rotate_close(&a);
	loop_close(&a.loop);
	tls_idents_free(&a.idents);
	tls_ca_free(&a.ca);
}

UNIT_SUITE(agent_rotate)
{
	UNIT_TEST(s, arm_times);
	UNIT_TEST(s, due_svid_renewed);
}
