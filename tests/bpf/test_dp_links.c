// SPDX-License-Identifier: Apache-2.0
/*
 * The guard follower (user/dataplane/links.c) against real rtnetlink, as
 * root: each test moves this process into a network namespace of its own
 * (unshare), builds interfaces and routes there with `ip`, and watches
 * what the follower attaches. Most hooks are fakes that record calls (the
 * rule and its timing against the kernel's events); the last test uses
 * the dataplane's tc guard itself, across a killed and a new follower.
 * Leaving the namespace drops it, with everything built in it.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_test.h"
#include "dataplane/links.h"
#include "dp_netns.h"
#include "dp_testlib.h"

#define EVENT_MS 1000		/* the bound the issue sets */
#define MAX_IF 256

/* ---- fake hooks: what is attached where ---- */

struct fake {
	unsigned int on[MAX_IF];	/* BIT(hook) by ifindex */
	unsigned int left[MAX_IF];	/* an "earlier agent"'s hooks */
	int attaches, detaches;
	int fail_ifindex;		/* attach fails there (-EPERM) */
};

static int fake_attach(void *ctx, int ifindex, enum dp_guard_kind h)
{
	struct fake *f = ctx;

	if (ifindex <= 0 || ifindex >= MAX_IF)
		return -ERANGE;
	if (ifindex == f->fail_ifindex)
		return -EPERM;
	f->on[ifindex] |= 1u << h;
	f->attaches++;
	return 0;
}

static int fake_detach(void *ctx, int ifindex, enum dp_guard_kind h)
{
	struct fake *f = ctx;

	if (ifindex <= 0 || ifindex >= MAX_IF)
		return -ERANGE;
	f->on[ifindex] &= ~(1u << h);
	f->left[ifindex] &= ~(1u << h);
	f->detaches++;
	return 0;
}

static bool fake_owned(void *ctx, int ifindex, enum dp_guard_kind h)
{
	struct fake *f = ctx;

	return ifindex > 0 && ifindex < MAX_IF &&
	       (f->left[ifindex] & (1u << h));
}

static void fake_log(void *ctx, const char *line)
{
	fprintf(stderr, "    links: %s\n", line);
}

static struct links_opts opts(struct fake *f, const struct links_want *w,
			      size_t n, bool routes)
{
	struct links_opts o = {
		.wants = w, .n_wants = n, .routes = routes,
		.ops = { .attach = fake_attach, .detach = fake_detach,
			 .owned = fake_owned, .ctx = f, .log = fake_log },
	};

	return o;
}

/* Reads events until <f>->on[ifindex] is <want>, at most EVENT_MS.
 * Returns the milliseconds it took, or -1. */
static long until_on(struct links *l, struct fake *f, int ifindex,
		     unsigned int want)
{
	uint64_t t0 = dp_now_ms(), end = t0 + EVENT_MS;
	struct pollfd p = { .fd = links_fd(l), .events = POLLIN };

	for (;;) {
		if (ifindex > 0 && ifindex < MAX_IF && f->on[ifindex] == want)
			return (long)(dp_now_ms() - t0);
		if (dp_now_ms() >= end)
			return -1;
		if (poll(&p, 1, (int)(end - dp_now_ms())) > 0 &&
		    links_on_events(l))
			return -1;
	}
}

/* Reads events until the follower knows <n> links, at most EVENT_MS. */
static bool until_count(struct links *l, size_t n)
{
	uint64_t end = dp_now_ms() + EVENT_MS;
	struct pollfd p = { .fd = links_fd(l), .events = POLLIN };

	while (links_count(l) != n) {
		if (dp_now_ms() >= end)
			return false;
		if (poll(&p, 1, (int)(end - dp_now_ms())) > 0 &&
		    links_on_events(l))
			return false;
	}
	return true;
}

#define IN	(1u << DP_GUARD_TC_INGRESS)
#define EG	(1u << DP_GUARD_TC_EGRESS)

/* ---- (a) listed names and (b) patterns ---- */

static void test_links_names_patterns(void)
{
	static const struct links_want w[] = {
		{ .name = "gm0", .hook = DP_GUARD_TC_INGRESS },
		{ .name = "lk*", .hook = DP_GUARD_TC_EGRESS, .pattern = true },
	};
	struct fake f = { 0 };
	struct links_opts o = opts(&f, w, 2, false);
	struct links *l = NULL;
	struct links_stats st;
	int ns, i1;
	size_t n;

	NEED_ROOT();
	ns = dp_ns_enter();
	if (ns < 0)
		return;
	CHECK_EQ(dp_veth("lk0") | dp_veth("other0"),
		 0, "two interfaces");
	CHECK_EQ(links_open(&l, &o), 0, "open with gm0 listed and missing");
	if (!l)
		goto out;
	CHECK_EQ(f.on[dp_ifindex("lk0")], EG, "lk0 (pattern lk*): egress at start");
	CHECK_EQ(f.on[dp_ifindex("other0")], 0, "other0: nothing");

	CHECK_EQ(dp_veth("gm0"), 0, "gm0 appears");
	CHECK_EQ(until_on(l, &f, dp_ifindex("gm0"), IN) >= 0, 1,
		 "gm0 (listed): ingress within %d ms", EVENT_MS);
	CHECK_EQ(dp_veth("lk1"), 0, "lk1 appears");
	i1 = dp_ifindex("lk1");
	CHECK_EQ(until_on(l, &f, i1, EG) >= 0, 1,
		 "lk1 (pattern): egress within %d ms", EVENT_MS);
	CHECK_EQ(dp_ip("link set other0 name lk9"), 0, "other0 renamed lk9");
	CHECK_EQ(until_on(l, &f, dp_ifindex("lk9"), EG) >= 0, 1,
		 "lk9 (renamed into the pattern): egress");

	n = links_count(l);
	CHECK_EQ(dp_ip("link del lk1"), 0, "lk1 vanishes (its peer with it)");
	CHECK_EQ(until_count(l, n - 2), 1, "lk1 and its peer forgotten");
	CHECK_EQ(links_hooks(l, i1), 0, "no hook left on lk1's ifindex");
	links_get_stats(l, &st);
	CHECK_EQ(st.vanished, 1, "counted as vanished with its guard");
	CHECK_EQ(st.failed, 0, "no failure");
out:
	links_close(l);
	dp_ns_leave(ns);
}

/* ---- (c) the route to a local workload ---- */

/* pod0 routes 10.77.0.5 directly; 10.77.0.6 is behind a gateway on gw0;
 * 10.77.0.7 is an address of this host (loc0); 10.77.0.8 has no route. */
static int route_world(void)
{
	return dp_veth("pod0") | dp_ip("link set pod0 up") |
	       dp_ip("route add 10.77.0.5/32 dev pod0") |
	       dp_veth("gw0") | dp_ip("link set gw0 up") |
	       dp_ip("addr add 10.78.0.1/24 dev gw0") |
	       dp_ip("route add 10.77.0.6/32 via 10.78.0.2") |
	       dp_veth("loc0") | dp_ip("link set loc0 up") |
	       dp_ip("addr add 10.77.0.7/32 dev loc0");
}

static void test_links_route_rule(void)
{
	struct fake f = { 0 };
	struct links_opts o = opts(&f, NULL, 0, true);
	uint32_t wl[] = { dp_ipv4("10.77.0.5"), dp_ipv4("10.77.0.6"),
			  dp_ipv4("10.77.0.7"), dp_ipv4("10.77.0.8") };
	struct links *l = NULL;
	int ns, p0;

	NEED_ROOT();
	ns = dp_ns_enter();
	if (ns < 0)
		return;
	CHECK_EQ(route_world(), 0, "interfaces and routes");
	CHECK_EQ(links_open(&l, &o), 0, "open");
	if (!l)
		goto out;
	p0 = dp_ifindex("pod0");
	CHECK_EQ(f.attaches, 0, "no workload known: nothing attached");
	CHECK_EQ(links_set_workloads(l, wl, 4), 0, "four local workloads");
	CHECK_EQ(f.on[p0], EG, "pod0 (direct route to .5): egress");
	CHECK_EQ(f.on[dp_ifindex("gw0")], 0, "gw0 (.6 behind a gateway): nothing");
	CHECK_EQ(f.on[dp_ifindex("loc0")] | f.on[1], 0,
		 "loc0 and lo (.7 is local): nothing");
	CHECK_EQ(f.attaches, 1, "one attach in all");

	CHECK_EQ(dp_ip("route del 10.77.0.5/32"), 0, "the pod's route goes");
	CHECK_EQ(until_on(l, &f, p0, 0) >= 0, 1, "pod0: detached");
	CHECK_EQ(dp_ip("route add 10.77.0.5/32 dev pod0"), 0, "and comes back");
	CHECK_EQ(until_on(l, &f, p0, EG) >= 0, 1, "pod0: attached again");

	/* config first, then the interface (a CNI's order) */
	CHECK_EQ(dp_veth("pod1") | dp_ip("link set pod1 up") |
		 dp_ip("route add 10.77.0.8/32 dev pod1"), 0,
		 "pod1 appears with the route to .8");
	CHECK_EQ(until_on(l, &f, dp_ifindex("pod1"), EG) >= 0, 1,
		 "pod1 (.8 was configured already): egress within %d ms",
		 EVENT_MS);
	/* the interface first, then the config */
	CHECK_EQ(dp_veth("pod2") | dp_ip("link set pod2 up") |
		 dp_ip("route add 10.77.0.9/32 dev pod2"), 0, "pod2 and its route");
	CHECK_EQ(f.on[dp_ifindex("pod2")], 0, "pod2: not a workload yet");
	wl[1] = dp_ipv4("10.77.0.9");
	CHECK_EQ(links_set_workloads(l, wl, 4), 0, "config adds .9, drops .6");
	CHECK_EQ(f.on[dp_ifindex("pod2")], EG, "pod2: egress at once");

	wl[0] = dp_ipv4("10.77.0.99");
	CHECK_EQ(links_add_workloads(l, wl, 1), 0, "a partial config adds .99");
	CHECK_EQ(f.on[p0], EG, "pod0 (.5, not in it): kept");
	CHECK_EQ(links_set_workloads(l, wl, 4), 0, "config drops .5");
	CHECK_EQ(f.on[p0], 0, "pod0, still there: detached");
out:
	links_close(l);
	dp_ns_leave(ns);
}

/* ---- restarts: no gap, then an earlier agent's leftovers go ---- */

static void test_links_adopt(void)
{
	static const struct links_want w[] = {
		{ .name = "keep0", .hook = DP_GUARD_TC_EGRESS },
	};
	struct fake f = { 0 };
	struct links_opts o = opts(&f, w, 1, true);
	uint32_t wl = dp_ipv4("10.77.1.5");
	struct links *l = NULL;
	int ns, pod, old, keep;

	NEED_ROOT();
	ns = dp_ns_enter();
	if (ns < 0)
		return;
	CHECK_EQ(dp_veth("pod0") | dp_ip("link set pod0 up") |
		 dp_ip("route add 10.77.1.5/32 dev pod0") |
		 dp_veth("old0") | dp_veth("keep0"),
		 0, "pod0 routed to .5, old0, keep0");
	pod = dp_ifindex("pod0"), old = dp_ifindex("old0"), keep = dp_ifindex("keep0");
	/* an earlier agent guarded all three */
	f.left[pod] = f.left[old] = f.left[keep] = EG;
	f.on[pod] = f.on[old] = f.on[keep] = EG;
	CHECK_EQ(links_open(&l, &o), 0, "open");
	if (!l)
		goto out;
	CHECK_EQ(f.detaches, 0, "before the config is known nothing is "
		 "detached (pod0's guard has no gap)");
	CHECK_EQ(links_set_workloads(l, &wl, 1), 0, "the config: .5");
	CHECK_EQ(f.on[pod], EG, "pod0 (routed to .5): kept");
	CHECK_EQ(f.on[keep], EG, "keep0 (listed): kept");
	CHECK_EQ(f.on[old], 0, "old0 (nothing matches): removed");
	CHECK_EQ(f.detaches, 1, "one detach");
out:
	links_close(l);
	dp_ns_leave(ns);
}

/* ---- a failed attach is counted and retried ---- */

static void test_links_attach_fails(void)
{
	static const struct links_want w[] = {
		{ .name = "bad0", .hook = DP_GUARD_TC_EGRESS },
	};
	struct fake f = { 0 };
	struct links_opts o = opts(&f, w, 1, false);
	struct links *l = NULL;
	struct links_stats st;
	int ns;

	NEED_ROOT();
	ns = dp_ns_enter();
	if (ns < 0)
		return;
	CHECK_EQ(dp_veth("bad0"), 0, "bad0");
	f.fail_ifindex = dp_ifindex("bad0");
	CHECK_EQ(links_open(&l, &o), 0, "open: a failing hook does not stop it");
	if (!l)
		goto out;
	links_get_stats(l, &st);
	CHECK_EQ(st.failed, 1, "the failure is counted");
	CHECK_EQ(links_hooks(l, f.fail_ifindex), 0, "not marked attached");
	f.fail_ifindex = 0;
	CHECK_EQ(dp_ip("link set bad0 up"), 0, "an event on bad0");
	CHECK_EQ(until_on(l, &f, dp_ifindex("bad0"), EG) >= 0, 1,
		 "retried at the next event: attached");
out:
	links_close(l);
	dp_ns_leave(ns);
}

/* ---- the clsact qdisc goes with the last filter ---- */

/* Hooks that are real tc state, made with tc(8): a classic BPF filter
 * that passes everything, at our priority. */
static int tc_attach(void *ctx, int ifindex, enum dp_guard_kind h)
{
	char name[IF_NAMESIZE], cmd[200];

	if (!if_indextoname((unsigned int)ifindex, name))
		return -errno;
	snprintf(cmd, sizeof(cmd), "tc qdisc add dev %s clsact 2>/dev/null; "
		 "tc filter add dev %s %s pref 422 bpf bytecode "
		 "'1,6 0 0 4294967295,'", name, name,
		 h == DP_GUARD_TC_EGRESS ? "egress" : "ingress");
	return system(cmd) ? -EIO : fake_attach(ctx, ifindex, h);
}

static int tc_detach(void *ctx, int ifindex, enum dp_guard_kind h)
{
	char name[IF_NAMESIZE], cmd[200];

	if (!if_indextoname((unsigned int)ifindex, name))
		return -errno;
	snprintf(cmd, sizeof(cmd), "tc filter del dev %s %s pref 422", name,
		 h == DP_GUARD_TC_EGRESS ? "egress" : "ingress");
	return system(cmd) ? -EIO : fake_detach(ctx, ifindex, h);
}

static int tc_clsact_remove(void *ctx, int ifindex)
{
	char name[IF_NAMESIZE], cmd[200];

	if (!if_indextoname((unsigned int)ifindex, name))
		return -errno;
	snprintf(cmd, sizeof(cmd), "tc qdisc del dev %s clsact", name);
	return system(cmd) ? -EIO : 0;
}

/* Whether <name> has a clsact qdisc. */
static bool has_clsact(const char *name)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd),
		 "tc qdisc show dev %s | grep -q clsact", name);
	return !system(cmd);
}

static void test_links_clsact(void)
{
	struct fake f = { 0 };
	struct links_opts o = opts(&f, NULL, 0, true);
	uint32_t wl[] = { dp_ipv4("10.77.2.5"), dp_ipv4("10.77.2.6") };
	struct links *l = NULL;
	int ns;

	NEED_ROOT();
	o.ops.attach = tc_attach;
	o.ops.detach = tc_detach;
	o.ops.clsact_remove = tc_clsact_remove;
	ns = dp_ns_enter();
	if (ns < 0)
		return;
	CHECK_EQ(dp_veth("tc0") | dp_ip("link set tc0 up") |
		 dp_ip("route add 10.77.2.5/32 dev tc0") |
		 dp_veth("tc1") | dp_ip("link set tc1 up") |
		 dp_ip("route add 10.77.2.6/32 dev tc1"), 0, "tc0 and tc1 routed");
	CHECK_EQ(links_open(&l, &o), 0, "open");
	if (!l)
		goto out;
	CHECK_EQ(links_set_workloads(l, wl, 2), 0, "both are workloads");
	CHECK_EQ(f.on[dp_ifindex("tc0")] | f.on[dp_ifindex("tc1")], EG, "both guarded");
	CHECK_EQ(has_clsact("tc0") && has_clsact("tc1"), 1, "clsact on both");
	CHECK_EQ(system("tc filter add dev tc1 ingress pref 7 bpf bytecode "
			"'1,6 0 0 4294967295,'"), 0, "someone else's filter on tc1");
	CHECK_EQ(links_set_workloads(l, NULL, 0), 0, "neither is any more");
	CHECK_EQ(f.on[dp_ifindex("tc0")] | f.on[dp_ifindex("tc1")], 0, "both unguarded");
	CHECK_EQ(has_clsact("tc0"), 0, "tc0: the clsact qdisc went too");
	CHECK_EQ(has_clsact("tc1"), 1, "tc1: kept for the other filter");
out:
	links_close(l);
	dp_ns_leave(ns);
}

/* ---- the dataplane's own guards: an agent killed, the next one ---- */

/* Whether our tc guard of <dp> sits at egress of <name>. */
static bool tc_guarded(const struct dp *dp, const char *name)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = dp_ifindex(name),
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = 0x1a6, .priority = 0x1a6);

	if (!h.ifindex || bpf_tc_query(&h, &o) ||
	    bpf_obj_get_info_by_fd(dp_tc_prog_fd(dp), &info, &len))
		return false;
	return o.prog_id == info.id;
}

/* Follows with the dataplane's hooks; the workloads, when given. */
static struct links *follow(const struct dp *dp, const uint32_t *wl,
			    size_t n)
{
	struct links_opts o = { .routes = true,
				.ops = { .log = fake_log } };
	struct links *l = NULL;

	links_dp_ops(&o.ops, dp);
	CHECK_EQ(links_open(&l, &o), 0, "follow with the dataplane's guards");
	if (l && wl)
		CHECK_EQ(links_set_workloads(l, wl, n), 0, "%zu workloads", n);
	return l;
}

static void test_links_real_guard(void)
{
	uint32_t wl[] = { dp_ipv4("10.77.3.5"), dp_ipv4("10.77.3.6") };
	struct links *l;
	struct dp dp;
	int ns;

	NEED_ROOT();
	if (dp_test_load(&dp, NULL))
		return;
	ns = dp_ns_enter();
	if (ns < 0)
		goto out_dp;
	CHECK_EQ(dp_veth("g0") | dp_ip("link set g0 up") |
		 dp_ip("route add 10.77.3.5/32 dev g0") |
		 dp_veth("g1") | dp_ip("link set g1 up") |
		 dp_ip("route add 10.77.3.6/32 dev g1"), 0, "g0 and g1 routed");
	l = follow(&dp, wl, 2);
	CHECK_EQ(tc_guarded(&dp, "g0") && tc_guarded(&dp, "g1"), 1,
		 "the tc guard at egress of both");
	links_close(l);		/* the agent is killed: nothing detached */
	CHECK_EQ(tc_guarded(&dp, "g0") && tc_guarded(&dp, "g1"), 1,
		 "both stay guarded while no agent runs");

	l = follow(&dp, NULL, 0);	/* the next agent, config not read yet */
	CHECK_EQ(tc_guarded(&dp, "g0") && tc_guarded(&dp, "g1"), 1,
		 "the next agent, before its config: no gap");
	if (l)
		CHECK_EQ(links_set_workloads(l, wl, 1), 0,
			 "its config has only .5 (.6 left meanwhile)");
	CHECK_EQ(tc_guarded(&dp, "g0"), 1, "g0: kept");
	CHECK_EQ(tc_guarded(&dp, "g1"), 0, "g1: the earlier agent's guard removed");
	CHECK_EQ(has_clsact("g1"), 0, "g1: no clsact qdisc left");
	if (l)
		links_detach_all(l);	/* a clean stop */
	CHECK_EQ(tc_guarded(&dp, "g0") || has_clsact("g0"), 0,
		 "g0 after a clean stop: no filter, no qdisc");
	links_close(l);
	dp_ns_leave(ns);
out_dp:
	dp_destroy(&dp);
}

UNIT_SUITE(dp_links)
{
	UNIT_TEST(s, test_links_names_patterns);
	UNIT_TEST(s, test_links_route_rule);
	UNIT_TEST(s, test_links_adopt);
	UNIT_TEST(s, test_links_attach_fails);
	UNIT_TEST(s, test_links_clsact);
	UNIT_TEST(s, test_links_real_guard);
}
