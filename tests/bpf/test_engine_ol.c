// SPDX-License-Identifier: Apache-2.0
/*
 * Captured calls' outcomes in the kernel's outlier state (user/proxy/
 * px_charge.h, bpf/outcome.bpf.c), with the real engine and programs of
 * engine_fix.c: a call whose tunnel is refused or whose CONNECT is
 * answered 503 charges a local-origin failure to the host connect4 chose,
 * consecutive failures eject it and connect4 then refuses at the source;
 * a 200 is a success that restarts the count; the caller's socket to the
 * agent is never charged itself, and counts active for exactly its life.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine_fix.h"

#define BURST 32

/* The service's one endpoint with outlier detection: <consec> local
 * failures eject it for 30 s; minHealthPercent 0 (no panic). */
static bool outlier_on(struct efix *f, uint32_t consec)
{
	struct im_subset sub = { .n_ep = 1, .cluster = 1,
				 .lb = IM_LB_LEAST_REQUEST,
				 .flags = IM_SUB_OUTLIER, .consec_fail = consec,
				 .base_eject_ms = 30000, .interval_ms = 1000,
				 .max_eject_pct = 100 };
	struct im_ep ep = { .ip = htonl(EF_B_IP), .port = htons(EF_APP),
			    .weight = 1, .slot = CAPFIX_SLOT };

	return CHECK_EQ(dp_put_subset(&f->dp, 0, 0, &sub, &ep), 0,
			"B's endpoint with outlier detection (%u failures)",
			consec);
}

static struct im_ep_state state(struct efix *f)
{
	struct im_ep_state st = { 0 };

	CHECK_EQ(dp_get_ep_state(&f->dp, CAPFIX_SLOT, &st), 0,
		 "the endpoint's state");
	return st;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The endpoint's active count reaches <want> (it follows sockets
 * closing, which the kernel finishes after close() returns). */
static bool wait_active(struct efix *f, uint32_t want)
{
	uint64_t until = ef_now_ms() + EF_WAIT_MS;
	struct im_ep_state st;

	do {
		st = state(f);
		if (st.active == want)
			return true;
		usleep(2000);
	} while (ef_now_ms() < until);
	return CHECK_EQ(st.active, want, "active count");
}

/* The caller's connection ends without an answer (reset or closed). */
static bool ended(int cli)
{
	struct pollfd p = { .fd = cli, .events = POLLIN };
	char b;

	return poll(&p, 1, EF_WAIT_MS) == 1 && recv(cli, &b, 1, 0) <= 0;
}

/* One captured call that must fail: connect() reaches the agent, then
 * the call ends unanswered. */
static bool failed_call(struct efix *f, const char *what)
{
	int cli = ef_dial_captured(f);
	bool ok = CHECK_EQ(cli >= 0 ? 0 : cli, 0,
			   "%s: A's connect reaches the agent", what) &&
		  CHECK_EQ(ended(cli), 1, "%s: and the call ends", what);

	if (cli >= 0)
		close(cli);
	return ok;
}

static uint64_t no_healthy_drops(struct efix *f)
{
	uint64_t d[IM_DROP_MAX] = { 0 };

	CHECK_EQ(dp_get_drops(&f->dp, d), 0, "drop counters");
	return d[IM_DROP_NO_HEALTHY];
}

/* B's app is down: B's agent answers 503, which A's charges. */
static void engine_503_ejects_endpoint(void)
{
	struct im_ep_state st;
	struct px_counters c;
	struct efix f;
	uint64_t nh;
	int cli;

	NEED_ROOT();
	if (!ef_up(&f))
		return;
	if (!outlier_on(&f, 2))
		goto out;
	close(f.app_fd);	/* nothing listens on B:APP any more */
	f.app_fd = -1;
	if (!failed_call(&f, "first call"))
		goto out;
	/* charged before the caller saw the end: read at once */
	st = state(&f);
	CHECK_EQ(st.fails, 1, "one local-origin failure charged");
	CHECK_EQ(st.consec_fail, 1, "one in a row");
	CHECK_EQ(st.ejected_until, 0, "not ejected after one of two");
	CHECK_EQ(st.conns, 0, "the captured socket's own connect to the "
		 "agent is no success of the endpoint");
	ef_counters(&f, &c);
	CHECK_EQ(c.refused[PX_R_WORKLOAD_DOWN], 1, "B's agent answered 503");
	CHECK_EQ(c.refused[PX_R_UPSTREAM_STATUS], 1, "A's agent saw it");
	CHECK_EQ(c.charged_fail, 1, "and charged it");
	if (!failed_call(&f, "second call"))
		goto out;
	st = state(&f);
	CHECK_EQ(st.fails, 2, "two failures charged");
	CHECK_EQ(st.ejections, 1, "the second ejects the endpoint");
	CHECK_EQ(st.ejected_until > mono_ns(), 1, "ejected now");
	ef_counters(&f, &c);
	CHECK_EQ(c.ejections, 1, "the agent saw its report eject it");
	/* connect4 skips it as for a direct connect: no endpoint left */
	nh = no_healthy_drops(&f);
	cli = ef_dial_captured(&f);
	CHECK_EQ(cli, -ECONNREFUSED, "third call refused at connect()");
	if (cli >= 0)
		close(cli);
	CHECK_EQ(no_healthy_drops(&f) - nh, 1, "counted: no_healthy_endpoint");
	CHECK_EQ(state(&f).fails, 2, "and charged nothing more");
	wait_active(&f, 0);
out:
	ef_down(&f);
}

/* B's :15008 refuses (B no longer local: no listener there, still a
 * peer): the dial fails and is charged; a call answered 200 afterwards
 * is a success that restarts the consecutive count. */
static void engine_refused_dial_then_success(void)
{
	struct sockaddr_in peer;
	struct im_ep_state st;
	struct px_peer v[2];
	struct efix f;
	int cli, srv;

	NEED_ROOT();
	if (!ef_up(&f))
		return;
	if (!outlier_on(&f, 3))
		goto out;
	memcpy(v, f.peers, sizeof(v));
	v[1].local = false;
	v[1].cgroup[0] = 0;
	if (!CHECK_EQ(px_engine_update(f.e, v, 2), 1, "B's :15008 closed") ||
	    !failed_call(&f, "dial refused"))
		goto out;
	st = state(&f);
	CHECK_EQ(st.fails, 1, "the refused tunnel charged as a failure");
	CHECK_EQ(st.consec_fail, 1, "one in a row");
	CHECK_EQ(EF_WAIT(&f, refused[PX_R_DIAL], 1), 1, "counted as a dial");
	if (!CHECK_EQ(px_engine_update(f.e, f.peers, 2), 2, "B listens again"))
		goto out;
	cli = ef_dial_captured(&f);
	srv = cli >= 0 ? ef_accept_app(&f, &peer, EF_WAIT_MS) : -1;
	CHECK_EQ(srv >= 0, 1, "the next call reaches B's app");
	CHECK_EQ(EF_WAIT(&f, charged_ok, 1), 1, "its 200 charged");
	st = state(&f);
	CHECK_EQ(st.consec_fail, 0, "a success restarts the count");
	CHECK_EQ(st.conns, 1, "one connection to the endpoint");
	CHECK_EQ(st.fails, 1, "the failure stays in the total");
	CHECK_EQ(st.active, 1, "the open call counts active");
	if (srv >= 0)
		close(srv);
	if (cli >= 0)
		close(cli);
	wait_active(&f, 0);
out:
	ef_down(&f);
}

/* LEAST_REQUEST's count under mTLS: BURST calls open at once count
 * BURST while they are open and 0 once they closed, and each is one
 * connection (the agent's 200, not also the socket's connect). */
static void engine_burst_active_count(void)
{
	int cli[BURST], srv[BURST], i, n = 0, got = 0;
	struct sockaddr_in peer;
	struct im_ep_state st;
	struct efix f;

	NEED_ROOT();
	if (!ef_up(&f))
		return;
	for (i = 0; i < BURST; i++) {
		cli[i] = ef_dial_captured(&f);
		n += cli[i] >= 0;
	}
	CHECK_EQ(n, BURST, "%d calls open at once", BURST);
	for (i = 0; i < BURST; i++) {
		srv[i] = ef_accept_app(&f, &peer, EF_WAIT_MS);
		got += srv[i] >= 0;
	}
	CHECK_EQ(got, BURST, "all reach B's app");
	CHECK_EQ(EF_WAIT(&f, charged_ok, BURST), 1, "%d answers charged",
		 BURST);
	wait_active(&f, BURST);
	st = state(&f);
	CHECK_EQ(st.conns, BURST, "one connection each, counted once");
	CHECK_EQ(st.fails, 0, "no failure");
	for (i = 0; i < BURST; i++) {
		if (cli[i] >= 0)
			close(cli[i]);
		if (srv[i] >= 0)
			close(srv[i]);
	}
	CHECK_EQ(wait_active(&f, 0), 1, "back to 0 after the burst");
	ef_down(&f);
}

UNIT_SUITE(engine_ol)
{
	UNIT_TEST(s, engine_503_ejects_endpoint);
	UNIT_TEST(s, engine_refused_dial_then_success);
	UNIT_TEST(s, engine_burst_active_count);
}
