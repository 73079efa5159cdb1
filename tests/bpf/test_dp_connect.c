// SPDX-License-Identifier: Apache-2.0
/*
 * connect4, getpeername4 and sockops for real: the programs are attached
 * to a fresh child cgroup, a forked child inside it dials a fake service
 * address on loopback, and real listeners on other loopback addresses are
 * the endpoints. Statistical checks use 5 sigma of the binomial spread, so
 * a correct dataplane fails them less than once in a million runs.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_child.h"
#include "dp_fix.h"
#include "dp_pkt.h"
#include "dp_testlib.h"

#define VIP	IP4(127, 0, 0, 100)
#define VPORT	9		/* nobody listens: a missed rewrite is refused */
#define N_LIS	DPFIX_LIS	/* listeners 127.0.0.11 .. 127.0.0.13 */
#define DEAD	IP4(127, 0, 0, 19)	/* nothing listens there */
#define EJECT_MS 300		/* baseEjectionTime in the tests */

static bool fix_up(struct dpfix *f, const struct dp_opts *o)
{
	return dpfix_up(f, "im-dp-test", o, IP4(127, 0, 0, 11));
}

/* Accepts (and closes) what listener <i> has queued: the connections that
 * really reached it. Waits up to 1 s for <want> of them. */
static int accepted(struct dpfix *f, int i, int want)
{
	uint64_t until = dp_now_ms() + 1000;
	int n = 0, fd;

	while (n < DP_DIAL_MAX) {
		fd = accept(f->lfd[i], NULL, NULL);
		if (fd >= 0) {
			close(fd);
			n++;
			continue;
		}
		if (n >= want || dp_now_ms() > until)
			break;
		usleep(1000);
	}
	return n;
}

/* Listener <i>'s host; its state is in slot <i> (the agent's allocator
 * is not in the way here: each test says which slot a host has). */
static struct im_ep ep_of(const struct dpfix *f, int i)
{
	return f->ep[i];
}

/* A host nothing listens on, in slot N_LIS + <i>. */
static struct im_ep ep_dead_n(const struct dpfix *f, int i)
{
	return (struct im_ep){ .ip = htonl(DEAD), .port = f->ep[i].port,
			       .weight = 1, .slot = N_LIS + i };
}

static struct im_ep ep_dead(const struct dpfix *f)
{
	return ep_dead_n(f, 0);
}

/* VIP:VPORT -> route 0 -> subsets given with their weights. */
static void put_service(struct dpfix *f, int n, const __u32 *weights)
{
	struct im_svc svc = { .svc_id = 42, .route = 0 };
	struct im_route rt = { .n_dst = n };
	int i;

	for (i = 0; i < n; i++)
		rt.dst[i] = (struct im_route_dst){ .subset = i,
						   .weight = weights[i] };
	CHECK_EQ(dp_put_route(&f->dp, 0, 0, &rt), 0, "route 0");
	CHECK_EQ(dp_put_service(&f->dp, 0, htonl(VIP), htons(VPORT), &svc),
		 0, "service VIP");
}

/* Subset <id> is cluster id + 1 unless it says otherwise. */
static void put_subset(struct dpfix *f, __u32 id, struct im_subset sub,
		       const struct im_ep *eps)
{
	if (!sub.cluster)
		sub.cluster = id + 1;
	CHECK_EQ(dp_put_subset(&f->dp, 0, id, &sub, eps), 0, "subset %u", id);
}

static struct dp_dial to_vip(int n)
{
	return (struct dp_dial){ .ip = htonl(VIP), .port = htons(VPORT),
				 .n = n };
}

static bool dial(struct dpfix *f, struct dp_dial d, struct dp_dial_result *r)
{
	return CHECK_EQ(dp_dial_from(&f->cg, &d, r), 0, "child dialled");
}

static struct im_ep_state ep_state(struct dpfix *f, struct im_ep ep)
{
	struct im_ep_state st = { 0 };

	dp_get_ep_state(&f->dp, ep.slot, &st);
	return st;
}

/* One endpoint: rewritten, getpeername says the VIP, sockops counts. */
static void connect_rewrite_peername(void)
{
	struct dp_dial_result r;
	struct dpfix f;
	__u32 w = 1;
	struct im_ep ep;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	ep = ep_of(&f, 1);
	put_service(&f, 1, &w);
	put_subset(&f, 0, (struct im_subset){ .n_ep = 1 }, &ep);
	if (dial(&f, to_vip(20), &r)) {
		CHECK_EQ(r.ok, 20, "connects to the VIP succeed");
		CHECK_EQ(r.peer_bad, 0, "getpeername() answers the VIP");
		CHECK_EQ(accepted(&f, 1, 20), 20, "endpoint accepted them");
		CHECK_EQ(accepted(&f, 0, 0), 0, "other listener got none");
		CHECK_EQ(ep_state(&f, ep).conns, 20, "sockops counted them");
	}
	/* an address that is no service is left alone */
	if (dial(&f, (struct dp_dial){ .ip = f.ep[2].ip, .port = f.ep[2].port,
				       .n = 3 }, &r)) {
		CHECK_EQ(r.ok, 3, "direct connects succeed");
		CHECK_EQ(accepted(&f, 2, 3), 3, "reached the dialled listener");
	}
	dpfix_down(&f);
}

/* Route weights 3:1 over 400 connections. */
static void connect_weighted_split(void)
{
	const int n = 400, want = 300;
	const int tol = (int)ceil(5 * sqrt(n * 0.75 * 0.25));	/* 44 */
	__u32 w[2] = { 3, 1 };
	struct dp_dial_result r;
	struct im_ep a, b;
	struct dpfix f;
	int got_a;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	a = ep_of(&f, 0);
	b = ep_of(&f, 1);
	put_service(&f, 2, w);
	put_subset(&f, 0, (struct im_subset){ .n_ep = 1, .first_ep = 0 }, &a);
	put_subset(&f, 1, (struct im_subset){ .n_ep = 1, .first_ep = 1 }, &b);
	if (dial(&f, to_vip(n), &r)) {
		CHECK_EQ(r.ok, n, "all connects succeed");
		got_a = accepted(&f, 0, want - tol);
		CHECK_EQ(got_a + accepted(&f, 1, n - got_a), n,
			 "every connection reached one of the two");
		CHECK_EQ(abs(got_a - want) <= tol, 1,
			 "weight 3 got %d of %d, want %d +- %d (5 sigma)",
			 got_a, n, want, tol);
	}
	dpfix_down(&f);
}

/* An outlier policy for the ejection tests: RR makes the order plain. */
static struct im_subset outlier_sub(__u16 n_ep, __u32 consec, __u8 max_pct,
				    __u8 min_health)
{
	return (struct im_subset){
		.n_ep = n_ep, .lb = IM_LB_ROUND_ROBIN, .flags = IM_SUB_OUTLIER,
		.consec_fail = consec, .base_eject_ms = EJECT_MS,
		.interval_ms = 10000, .max_eject_pct = max_pct,
		.min_health_pct = min_health,
	};
}

/* Two refused connects eject the dead endpoint for baseEjectionTime;
 * traffic then goes to the live one; after the time it is chosen again
 * and a second ejection lasts twice as long. */
static void connect_ejection_and_return(void)
{
	struct dp_dial_result r;
	struct im_ep eps[2];
	struct im_ep_state st;
	struct dpfix f;
	__u32 w = 1;
	uint64_t now_ns;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	eps[0] = ep_of(&f, 0);
	eps[1] = ep_dead(&f);
	put_service(&f, 1, &w);
	put_subset(&f, 0, outlier_sub(2, 2, 100, 0), eps);
	if (dial(&f, to_vip(20), &r)) {
		CHECK_EQ(r.elapsed_ms < EJECT_MS, 1,
			 "20 connects took %ld ms (< %d ms or the test is "
			 "meaningless)", r.elapsed_ms, EJECT_MS);
		CHECK_EQ(r.refused, 2, "refused until ejected");
		CHECK_EQ(r.ok, 18, "the rest reached the live endpoint");
		accepted(&f, 0, 18);
	}
	st = ep_state(&f, eps[1]);
	CHECK_EQ(st.ejections, 1, "dead endpoint ejected once");
	CHECK_EQ(st.fails, 2, "two local-origin failures counted");
	CHECK_EQ(st.eject_k, 1, "first ejection: k = 1");
	usleep((EJECT_MS + 50) * 1000);
	if (dial(&f, to_vip(20), &r)) {
		CHECK_EQ(r.refused, 2, "back after baseEjectionTime: chosen");
		accepted(&f, 0, 18);
	}
	st = ep_state(&f, eps[1]);
	now_ns = dp_now_ms() * 1000000ULL;
	CHECK_EQ(st.ejections, 2, "ejected again");
	CHECK_EQ(st.eject_k, 2, "second ejection: k = 2");
	CHECK_EQ(st.ejected_until > now_ns + (EJECT_MS + 20) * 1000000ULL, 1,
		 "second ejection lasts about 2 x base");
	dpfix_down(&f);
}

/* maxEjectionPercent: ejection only while 100 * (ejected + 1) / total <=
 * max. Istio's default 10 never ejects from a two-endpoint pool; 50 ejects
 * one of two dead endpoints and never the second. */
static void connect_max_ejection_percent(void)
{
	struct im_ep pool[2], dead2[2];
	struct dp_dial_result r;
	struct dpfix f;
	__u32 w = 1;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	pool[0] = ep_of(&f, 0);
	pool[1] = ep_dead(&f);
	put_service(&f, 1, &w);
	put_subset(&f, 0, outlier_sub(2, 2, 10, 0), pool);
	if (dial(&f, to_vip(20), &r)) {
		CHECK_EQ(r.refused, 10, "10%%: the dead one stays in rotation");
		accepted(&f, 0, 10);
	}
	CHECK_EQ(ep_state(&f, pool[1]).ejections, 0, "10%%: never ejected");
	dead2[0] = ep_dead(&f);
	dead2[1] = ep_dead_n(&f, 1);
	put_subset(&f, 0, outlier_sub(2, 1, 50, 0), dead2);
	if (dial(&f, to_vip(10), &r))
		CHECK_EQ(r.refused, 10, "50%%: both dead, all refused");
	CHECK_EQ(ep_state(&f, dead2[0]).ejections +
		 ep_state(&f, dead2[1]).ejections, 1,
		 "50%%: exactly one of the two ejected");
	dpfix_down(&f);
}

/* All endpoints ejected: with minHealthPercent 0 (Istio's default when
 * outlierDetection is set) nothing is chosen and connect() is refused at
 * once, counted as NO_HEALTHY; with minHealthPercent > 0 the pool is in
 * panic and the ejected hosts are tried anyway. */
static void connect_all_ejected_panic(void)
{
	uint64_t before[IM_DROP_MAX], after[IM_DROP_MAX];
	struct dp_dial_result r;
	struct im_ep dead[2];
	struct dpfix f;
	__u32 w = 1;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	dead[0] = ep_dead(&f);
	dead[1] = ep_dead_n(&f, 1);
	put_service(&f, 1, &w);
	put_subset(&f, 0, outlier_sub(2, 1, 100, 0), dead);
	dial(&f, to_vip(2), &r);	/* ejects both */
	dp_test_drops(&f.dp, before);
	if (dial(&f, to_vip(5), &r))
		CHECK_EQ(r.refused, 5, "no healthy host: refused");
	dp_test_drops(&f.dp, after);
	CHECK_EQ(after[IM_DROP_NO_HEALTHY] - before[IM_DROP_NO_HEALTHY], 5,
		 "refused by connect4 (NO_HEALTHY), not by the hosts");
	put_subset(&f, 0, outlier_sub(2, 1, 100, 50), dead);
	dp_test_drops(&f.dp, before);
	if (dial(&f, to_vip(5), &r))
		CHECK_EQ(r.refused, 5, "panic: the ejected hosts refuse");
	dp_test_drops(&f.dp, after);
	CHECK_EQ(after[IM_DROP_NO_HEALTHY] - before[IM_DROP_NO_HEALTHY], 0,
		 "panic: connect4 chose a host");
	dpfix_down(&f);
}

/* Active connections while held, back to zero when closed; a refused
 * connect is one local-origin failure; no outlierDetection: no ejection. */
static void sockops_active_and_failures(void)
{
	struct dp_dial d = to_vip(5);
	struct dp_dial_result r;
	struct dp_child c;
	struct im_ep ep[2];
	struct dpfix f;
	uint64_t until;
	__u32 w[2] = { 1, 0 };

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	ep[0] = ep_of(&f, 0);
	ep[1] = ep_dead(&f);
	put_service(&f, 2, w);
	put_subset(&f, 0, (struct im_subset){ .n_ep = 1 }, &ep[0]);
	put_subset(&f, 1, (struct im_subset){ .n_ep = 1, .first_ep = 1 },
		   &ep[1]);
	d.hold = true;
	if (CHECK_EQ(dp_child_start(&c, &f.cg, &d), 0, "holding child") &&
	    CHECK_EQ(dp_child_report(&c, &r), 0, "holding child report")) {
		CHECK_EQ(r.ok, 5, "five held connections");
		CHECK_EQ(ep_state(&f, ep[0]).active, 5, "active while held");
	}
	dp_child_finish(&c);
	until = dp_now_ms() + 2000;
	while (ep_state(&f, ep[0]).active && dp_now_ms() < until)
		usleep(2000);
	CHECK_EQ(ep_state(&f, ep[0]).active, 0, "active after close");
	w[0] = 0;
	w[1] = 1;
	put_service(&f, 2, w);
	if (dial(&f, to_vip(3), &r))
		CHECK_EQ(r.refused, 3, "dead endpoint refuses");
	CHECK_EQ(ep_state(&f, ep[1]).fails, 3, "three local-origin failures");
	CHECK_EQ(ep_state(&f, ep[1]).consec_fail, 3, "consecutive");
	CHECK_EQ(ep_state(&f, ep[1]).ejections, 0, "no outlierDetection");
	dpfix_down(&f);
}

/* The same address in two subsets is two hosts (two Envoy clusters):
 * ejecting it from subset 0 leaves it healthy in subset 1. */
static void connect_state_per_cluster(void)
{
	struct im_ep s0[2], s1[2];
	struct dp_dial_result r;
	struct dpfix f;
	__u32 w[2] = { 1, 0 };

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	s0[0] = ep_of(&f, 0);
	s0[1] = ep_dead(&f);
	s1[0] = s0[0];
	s1[0].slot = N_LIS + 4;
	s1[1] = s0[1];
	s1[1].slot = N_LIS + 5;
	put_service(&f, 2, w);
	put_subset(&f, 0, outlier_sub(2, 1, 100, 0), s0);
	put_subset(&f, 1, (struct im_subset){ .n_ep = 2, .first_ep = 2,
		   .lb = IM_LB_ROUND_ROBIN, .flags = IM_SUB_OUTLIER,
		   .consec_fail = 1, .base_eject_ms = 60000,
		   .interval_ms = 10000, .max_eject_pct = 100 }, s1);
	if (dial(&f, to_vip(10), &r))
		CHECK_EQ(r.refused, 1, "subset 0: refused once, then ejected");
	accepted(&f, 0, 9);
	CHECK_EQ(ep_state(&f, s0[1]).ejections, 1, "ejected in subset 0");
	CHECK_EQ(ep_state(&f, s1[1]).ejections, 0, "not in subset 1");
	w[0] = 0;
	w[1] = 1;
	put_service(&f, 2, w);
	if (dial(&f, to_vip(10), &r))
		CHECK_EQ(r.refused, 1, "subset 1 still tries the host once");
	accepted(&f, 0, 9);
	CHECK_EQ(ep_state(&f, s1[1]).fails, 1, "its failure counted there");
	CHECK_EQ(ep_state(&f, s0[1]).fails, 1, "and not in subset 0");
	dpfix_down(&f);
}

/* A slot freed and given to a new host (epoch bumped) is not charged by
 * the sockets of its previous owner; new sockets charge the new owner. */
static void sockops_stale_epoch(void)
{
	struct dp_dial d = to_vip(3);
	struct im_ep_state st;
	struct dp_dial_result r;
	struct dp_child c;
	struct im_ep ep;
	struct dpfix f;
	__u32 w = 1;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	ep = ep_of(&f, 0);
	put_service(&f, 1, &w);
	put_subset(&f, 0, (struct im_subset){ .n_ep = 1 }, &ep);
	d.hold = true;
	if (!CHECK_EQ(dp_child_start(&c, &f.cg, &d), 0, "holding child") ||
	    !CHECK_EQ(dp_child_report(&c, &r), 0, "holding child report"))
		goto out;
	st = ep_state(&f, ep);
	CHECK_EQ(st.active, 3, "three held connections counted");
	/* what the agent does when it frees the slot, then a new owner */
	st = (struct im_ep_state){ .epoch = st.epoch + 1, .active = 7 };
	CHECK_EQ(dp_put_ep_state(&f.dp, ep.slot, &st), 0, "slot reset");
	dp_child_finish(&c);	/* closes the three old sockets */
	accepted(&f, 0, 3);
	CHECK_EQ(ep_state(&f, ep).active, 7, "old sockets charged nothing");
	if (dial(&f, to_vip(2), &r))
		CHECK_EQ(r.ok, 2, "two new connections");
	accepted(&f, 0, 2);
	CHECK_EQ(ep_state(&f, ep).conns, 2, "the new owner counts them");
	dpfix_down(&f);
	return;
out:
	dp_child_finish(&c);
	dpfix_down(&f);
}

/* LEAST_REQUEST: with 5 connections held on A and B idle, power of two
 * choices lands on A only when both draws are A: 1/4 of the time. */
static void connect_least_request(void)
{
	const int n = 400, want = 100;
	const int tol = (int)ceil(5 * sqrt(n * 0.25 * 0.75));	/* 44 */
	struct dp_dial hold = to_vip(5);
	struct dp_dial_result r;
	struct dp_child c;
	struct im_ep ep[2];
	struct dpfix f;
	__u32 w = 1;
	int got_a;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	ep[0] = ep_of(&f, 0);
	ep[1] = ep_of(&f, 1);
	put_service(&f, 1, &w);
	put_subset(&f, 0, (struct im_subset){ .n_ep = 1 }, &ep[0]);
	hold.hold = true;
	if (!CHECK_EQ(dp_child_start(&c, &f.cg, &hold), 0, "holding child") ||
	    !CHECK_EQ(dp_child_report(&c, &r), 0, "holding child report"))
		goto out;
	/* the held five stay queued on A: closing them here would end them */
	put_subset(&f, 0, (struct im_subset){ .n_ep = 2,
					      .lb = IM_LB_LEAST_REQUEST }, ep);
	if (dial(&f, to_vip(n), &r)) {
		got_a = accepted(&f, 0, 5 + want - tol) - 5;
		CHECK_EQ(got_a + accepted(&f, 1, n - got_a), n,
			 "every connection reached A or B");
		CHECK_EQ(abs(got_a - want) <= tol, 1,
			 "busy endpoint got %d of %d, want %d +- %d (5 sigma)",
			 got_a, n, want, tol);
	}
out:
	dp_child_finish(&c);
	dpfix_down(&f);
}

/* Cgroup <cg> is a workload with identity <id>; its level joins the
 * levels connect4 walks (deepest first, as the agent writes them). */
static void put_ident(struct dpfix *f, const struct cgroup_tmp *cg,
		      const struct im_ident *id)
{
	struct im_idlvl lv = { 0 };
	int lvl = cgroup2_level(cg->path);
	__u32 gen = 0, i, j;

	CHECK_EQ(dp_put_ident(&f->dp, 0, cgroup_tmp_id(cg), id), 0,
		 "identity of cgroup %s", cg->path);
	if (!CHECK_EQ(lvl > 0, 1, "level of %s", cg->path))
		return;
	bpf_map_lookup_elem(dp_map_fd(&f->dp, "im_idlvl"), &gen, &lv);
	for (i = 0; i < lv.n && lv.level[i] > lvl; i++)
		;
	if (i == lv.n || lv.level[i] != lvl) {
		for (j = lv.n++; j > i; j--)
			lv.level[j] = lv.level[j - 1];
		lv.level[i] = (__u8)lvl;
	}
	CHECK_EQ(dp_put_idlvl(&f->dp, 0, &lv), 0, "identity levels");
}

/* The endpoint's port becomes one judged per HTTP request (set 1 kept). */
static void flag_l7(struct dpfix *f, __u8 mode)
{
	struct im_wlport wp = { .mode = mode, .polset = 1,
				.flags = IM_WLPORT_L7 };
	struct im_ep ep = ep_of(f, 0);

	CHECK_EQ(dp_put_wlport(&f->dp, 0, ep.ip, ep.port, &wp), 0,
		 "endpoint port, L7");
}

/* The caller's cgroup is workload principal 9 in namespace 3; the single
 * endpoint's policy set 1 is <clauses> (DENY first). */
static void put_policy_target(struct dpfix *f, __u8 mode)
{
	struct im_ident id = { .principal = 9, .ns = 3,
			       .ip = htonl(IP4(127, 0, 0, 1)) };
	struct im_wlport wp = { .mode = mode, .polset = 1 };
	struct im_ep ep = ep_of(f, 0);
	__u32 w = 1;

	put_service(f, 1, &w);
	put_subset(f, 0, (struct im_subset){ .n_ep = 1 }, &ep);
	put_ident(f, &f->cg, &id);
	CHECK_EQ(dp_put_wlport(&f->dp, 0, ep.ip, ep.port, &wp), 0,
		 "endpoint port");
}

static void put_rule(struct dpfix *f, __u32 idx, __u8 action, __u8 field,
		     __u32 value)
{
	struct im_clause c = { .action = action, .fields = field };

	CHECK_EQ(dp_put_clause(&f->dp, 0, idx, &c), 0, "clause %u", idx);
	if (field)
		CHECK_EQ(dp_put_member(&f->dp, 0, idx, field, value), 0,
			 "member of clause %u", idx);
}

static void put_set(struct dpfix *f, __u16 n, __u8 has_allow)
{
	struct im_polset ps = { .n = n, .has_allow = has_allow };

	CHECK_EQ(dp_put_polset(&f->dp, 0, 1, &ps), 0, "policy set 1");
}

/* Dials 4 times; <eperm> says whether connect4 must refuse, and then
 * <reason> is the counter that moves by 4. */
static void expect_dial(struct dpfix *f, const char *what, bool eperm,
			unsigned int reason)
{
	uint64_t before[IM_DROP_MAX], after[IM_DROP_MAX];
	struct dp_dial_result r;

	dp_test_drops(&f->dp, before);
	if (!dial(f, to_vip(4), &r))
		return;
	dp_test_drops(&f->dp, after);
	CHECK_EQ(r.eperm, eperm ? 4 : 0, "%s: EPERM", what);
	CHECK_EQ(r.ok, eperm ? 0 : 4, "%s: connected", what);
	CHECK_EQ(accepted(f, 0, eperm ? 0 : 4), eperm ? 0 : 4,
		 "%s: reached the endpoint", what);
	if (eperm)
		CHECK_EQ(after[reason] - before[reason], 4, "%s: counter %u",
			 what, reason);
}

/* Over mTLS the destination sees principal 9 / namespace 3. */
static void connect_policy_mtls(void)
{
	struct dp_opts o = { .mtls = true };
	struct dpfix f;

	NEED_ROOT();
	if (!fix_up(&f, &o))
		return;
	put_policy_target(&f, IM_MODE_STRICT);
	put_rule(&f, 0, IM_ACT_ALLOW, IM_F_PRINC, 5);
	put_set(&f, 1, 1);
	expect_dial(&f, "ALLOW principals [5], caller 9", true,
		    IM_DROP_POLICY_NO_ALLOW);
	put_rule(&f, 1, IM_ACT_ALLOW, IM_F_PRINC, 9);
	put_set(&f, 2, 1);
	expect_dial(&f, "ALLOW principals [5] or [9], caller 9", false, 0);
	put_rule(&f, 0, IM_ACT_DENY, IM_F_NS, 3);
	expect_dial(&f, "DENY namespaces [3] before ALLOW [9]", true,
		    IM_DROP_POLICY_DENY);
	put_rule(&f, 0, IM_ACT_DENY, IM_F_NOTPRINC, 9);
	expect_dial(&f, "DENY notPrincipals [9], caller 9", false, 0);
	/* over mTLS the agent judges the requests: the set decides here */
	flag_l7(&f, IM_MODE_STRICT);
	expect_dial(&f, "port judged per HTTP request, over mTLS", false, 0);
	dpfix_down(&f);
}

/* Without mTLS the destination sees no identity: STRICT refuses, and on
 * PERMISSIVE principals never match, notPrincipals always do. */
static void connect_policy_plaintext(void)
{
	struct dpfix f;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	put_policy_target(&f, IM_MODE_STRICT);
	put_set(&f, 0, 0);
	expect_dial(&f, "STRICT port, plaintext", true,
		    IM_DROP_STRICT_PLAINTEXT);
	put_policy_target(&f, IM_MODE_PERMISSIVE);
	put_rule(&f, 0, IM_ACT_ALLOW, IM_F_PRINC, 9);
	put_set(&f, 1, 1);
	expect_dial(&f, "ALLOW principals [9], plaintext", true,
		    IM_DROP_POLICY_NO_ALLOW);
	put_rule(&f, 0, IM_ACT_DENY, IM_F_NOTPRINC, 9);
	expect_dial(&f, "DENY notPrincipals [9], plaintext", true,
		    IM_DROP_POLICY_DENY);
	put_rule(&f, 0, IM_ACT_ALLOW, IM_F_PORTS, ntohs(f.ep[0].port));
	expect_dial(&f, "ALLOW ports [its port], plaintext", false, 0);
	/* the destination's guard would drop it: refused at once */
	flag_l7(&f, IM_MODE_PERMISSIVE);
	expect_dial(&f, "ALLOW ports [its port], port judged per HTTP "
		    "request, plaintext", true, IM_DROP_L7_PLAINTEXT);
	dpfix_down(&f);
}

/* Dials 4 times from cgroup <cg>; see expect_dial. */
static void expect_dial_from(struct dpfix *f, const struct cgroup_tmp *cg,
			     const char *what, bool eperm,
			     unsigned int reason)
{
	struct cgroup_tmp keep = f->cg;

	f->cg = *cg;
	expect_dial(f, what, eperm, reason);
	f->cg = keep;
}

/* Kubernetes runs each container in a cgroup below its pod's: a process
 * anywhere below a workload's cgroup is that workload, and the nearest
 * workload ancestor wins. */
static void connect_policy_child_cgroup(void)
{
	struct im_ident inner = { .principal = 7, .ns = 3,
				  .ip = htonl(IP4(127, 0, 0, 2)) };
	struct cgroup_tmp ctr = { .fd = -1 }, sub = { .fd = -1 },
			  pod2 = { .fd = -1 }, ctr2 = { .fd = -1 };
	struct dp_opts o = { .mtls = true };
	struct dpfix f;

	NEED_ROOT();
	if (!fix_up(&f, &o))
		return;
	if (!CHECK_EQ(cgroup_tmp_create(&ctr, f.cg.path, "ctr"), 0,
		      "container cgroup") ||
	    !CHECK_EQ(cgroup_tmp_create(&sub, ctr.path, "sub"), 0,
		      "a cgroup below the container's") ||
	    !CHECK_EQ(cgroup_tmp_create(&pod2, ctr.path, "pod2"), 0,
		      "a workload cgroup inside it") ||
	    !CHECK_EQ(cgroup_tmp_create(&ctr2, pod2.path, "ctr"), 0,
		      "that workload's container"))
		goto out;
	put_policy_target(&f, IM_MODE_STRICT);
	put_rule(&f, 0, IM_ACT_DENY, IM_F_PRINC, 9);
	put_set(&f, 1, 0);
	expect_dial_from(&f, &ctr, "DENY principals [9], caller in the "
			 "container cgroup of 9", true, IM_DROP_POLICY_DENY);
	expect_dial_from(&f, &sub, "... two levels below 9's cgroup", true,
			 IM_DROP_POLICY_DENY);
	expect_dial(&f, "... in 9's own cgroup", true, IM_DROP_POLICY_DENY);
	put_ident(&f, &pod2, &inner);
	expect_dial_from(&f, &ctr2, "... caller below workload 7 (nearest "
			 "ancestor), itself below 9", false, 0);
	expect_dial_from(&f, &sub, "... caller below 9 still", true,
			 IM_DROP_POLICY_DENY);
out:
	cgroup_tmp_remove(&ctr2);
	cgroup_tmp_remove(&pod2);
	cgroup_tmp_remove(&sub);
	cgroup_tmp_remove(&ctr);
	dpfix_down(&f);
}

/* An AF_INET6 socket dialling the service at ::ffff:VIP (Java's default)
 * is balanced like an AF_INET one (getpeername6 still says ::ffff:VIP)
 * and refused by the same DENY. */
static void connect6_v4_mapped(void)
{
	struct dp_dial d = to_vip(4);
	struct dp_dial_result r;
	struct dpfix f;

	NEED_ROOT();
	if (!fix_up(&f, NULL))
		return;
	d.v4mapped = true;
	put_policy_target(&f, IM_MODE_PERMISSIVE);
	if (dial(&f, d, &r)) {
		CHECK_EQ(r.ok, 4, "v4-mapped: connected");
		CHECK_EQ(r.peer_bad, 0, "v4-mapped: getpeername is ::ffff:VIP");
		CHECK_EQ(accepted(&f, 0, 4), 4, "v4-mapped: reached the endpoint");
	}
	put_rule(&f, 0, IM_ACT_DENY, IM_F_PORTS, ntohs(f.ep[0].port));
	put_set(&f, 1, 0);
	if (dial(&f, d, &r)) {
		CHECK_EQ(r.eperm, 4, "v4-mapped, DENY ports [its port]: EPERM");
		CHECK_EQ(accepted(&f, 0, 0), 0, "v4-mapped, DENY: nothing "
			 "reached the endpoint");
	}
	dpfix_down(&f);
}

UNIT_SUITE(dp_connect)
{
	UNIT_TEST(s, connect_rewrite_peername);
	UNIT_TEST(s, connect_weighted_split);
	UNIT_TEST(s, connect_ejection_and_return);
	UNIT_TEST(s, connect_max_ejection_percent);
	UNIT_TEST(s, connect_all_ejected_panic);
	UNIT_TEST(s, sockops_active_and_failures);
	UNIT_TEST(s, connect_state_per_cluster);
	UNIT_TEST(s, sockops_stale_epoch);
	UNIT_TEST(s, connect_least_request);
	UNIT_TEST(s, connect_policy_mtls);
	UNIT_TEST(s, connect_policy_plaintext);
	UNIT_TEST(s, connect_policy_child_cgroup);
	UNIT_TEST(s, connect6_v4_mapped);
}
