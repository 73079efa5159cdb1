// SPDX-License-Identifier: Apache-2.0
/*
 * The destination judges a caller that connect4 cannot know: a process in
 * pod A's network namespace, with A's address, but in a cgroup outside
 * every workload's (a process a runtime left elsewhere, a host process
 * that joined the pod's namespace). Two pods behind veths of a node, all
 * three namespaces the test's own; connect4 sits on a cgroup holding both
 * A's workload cgroup and the outsider's. Pod B's policy DENYs A's address
 * (ipBlocks) on one port and is STRICT on another: with the tc guard at
 * egress of B's node-side veth both are dropped and counted by reason;
 * without it (the control, same namespaces and tables) both connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/guard.h"
#include "dp_child.h"
#include "dp_netns.h"
#include "dp_testlib.h"

#define GW	"169.254.1.1"	/* the pods' gateway, as in tools/mesh.sh */
#define POD_A	"10.77.9.5"
#define POD_B	"10.77.9.6"
#define P_DENY	8090		/* B: PERMISSIVE, DENY ipBlocks POD_A/32 */
#define P_STRICT 8091		/* B: STRICT */

struct ofix {
	int node;		/* the namespace we left, -1 when not entered */
	int ns_a, ns_b;		/* the pods' namespaces */
	struct cgroup_tmp top, wl, out;	/* connect4 on top; wl is A's */
	struct dp dp;
	bool loaded;
	int lfd[2];		/* B's listeners: P_DENY, P_STRICT */
};

/* Pod <ns> behind the node's veth <ifc> with address <ip>: the wiring of
 * tools/mesh.sh (a /32 in the pod, a gateway on the node's side). */
static int wire_pod(int ns, const char *ifc, const char *ip)
{
	return dp_ip("link add %s type veth peer name eth0 netns /proc/%d/fd/%d",
		     ifc, (int)getpid(), ns) |
	       dp_ip_in(ns, "link set lo up") |
	       dp_ip_in(ns, "addr add %s/32 dev eth0", ip) |
	       dp_ip_in(ns, "link set eth0 up") |
	       dp_ip_in(ns, "route add %s dev eth0 scope link", GW) |
	       dp_ip_in(ns, "route add default via %s dev eth0", GW) |
	       dp_ip("addr add %s/32 dev %s", GW, ifc) |
	       dp_ip("link set %s up", ifc) |
	       dp_ip("route add %s/32 dev %s", ip, ifc);
}

static int forwarding(void)
{
	return system("sysctl -qw net.ipv4.ip_forward=1 "
		      "net.ipv4.conf.all.rp_filter=0 >/dev/null");
}

/* A listener on <port> inside namespace <ns>: sockets keep the namespace
 * they were made in, so we accept from the node. */
static int listen_in(int ns, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;

	if (here < 0 || setns(ns, CLONE_NEWNET))
		goto out;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
			listen(fd, 64))) {
		close(fd);
		fd = -1;
	}
	if (setns(here, CLONE_NEWNET) && fd >= 0) {
		close(fd);
		fd = -1;
	}
out:
	if (here >= 0)
		close(here);
	return fd;
}

/* Accepts what listener <fd> has queued; counts those from <from>
 * (network order) in *<same>. */
static int accepted(int fd, uint32_t from, int *same)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int n = 0, c;

	*same = 0;
	while (n < 64 && (c = accept(fd, (struct sockaddr *)&sa, &len)) >= 0) {
		*same += sa.sin_addr.s_addr == from;
		close(c);
		n++;
		len = sizeof(sa);
	}
	return n;
}

static void fix_down(struct ofix *f)
{
	int i;

	for (i = 0; i < 2; i++)
		if (f->lfd[i] >= 0)
			close(f->lfd[i]);
	if (f->loaded)
		dp_destroy(&f->dp);
	cgroup_tmp_remove(&f->wl);
	cgroup_tmp_remove(&f->out);
	cgroup_tmp_remove(&f->top);
	if (f->ns_a >= 0)
		close(f->ns_a);
	if (f->ns_b >= 0)
		close(f->ns_b);
	if (f->node >= 0)
		dp_ns_leave(f->node);	/* the node goes, with its veths */
}

static bool cgroups_up(struct ofix *f)
{
	char root[256];

	return CHECK_EQ(cgroup2_root(root, sizeof(root)), 0, "cgroup2") &&
	       CHECK_EQ(cgroup_tmp_create(&f->top, root, "im-dp-out"), 0,
			"a cgroup for connect4") &&
	       CHECK_EQ(cgroup_tmp_create(&f->wl, f->top.path, "pod-a"), 0,
			"pod A's workload cgroup below it") &&
	       CHECK_EQ(cgroup_tmp_create(&f->out, f->top.path, "outsider"),
			0, "a cgroup of no workload next to it");
}

/* Node, pods A and B, cgroups, programs, B's listeners. False: the test
 * stops (its failure is recorded) and everything made so far is gone. */
static bool fix_up(struct ofix *f)
{
	bool ok;

	memset(f, 0, sizeof(*f));
	f->ns_a = f->ns_b = f->lfd[0] = f->lfd[1] = -1;
	f->top.fd = f->wl.fd = f->out.fd = -1;
	f->node = dp_ns_enter();
	if (f->node >= 0) {
		f->ns_a = dp_ns_new();
		f->ns_b = dp_ns_new();
	}
	ok = f->ns_a >= 0 && f->ns_b >= 0 &&
	     CHECK_EQ(wire_pod(f->ns_a, "va", POD_A) |
		      wire_pod(f->ns_b, "vb", POD_B) | forwarding(), 0,
		      "pods A and B wired to the node") &&
	     cgroups_up(f);
	f->loaded = ok && dp_test_load(&f->dp, NULL) == 0;
	ok = f->loaded && CHECK_EQ(dp_attach_cgroup(&f->dp, f->top.fd), 0,
				   "connect4 on the cgroup of both");
	if (ok) {
		f->lfd[0] = listen_in(f->ns_b, P_DENY);
		f->lfd[1] = listen_in(f->ns_b, P_STRICT);
		ok = CHECK_EQ(f->lfd[0] >= 0 && f->lfd[1] >= 0, 1,
			      "B listens on %d and %d", P_DENY, P_STRICT);
	}
	if (!ok)
		fix_down(f);
	return ok;
}

/* Pod A's workload (its cgroup, its address); pod B's ports: P_DENY
 * PERMISSIVE with set 1 (DENY ipBlocks POD_A/32), P_STRICT STRICT. */
static void tables(struct ofix *f)
{
	struct im_ident a = { .principal = 1, .ns = 1, .ip = dp_ipv4(POD_A) };
	struct im_idlvl lv = { .n = 1,
			       .level[0] = (__u8)cgroup2_level(f->wl.path) };
	struct im_wlport deny = { .mode = IM_MODE_PERMISSIVE, .polset = 1 };
	struct im_wlport strict = { .mode = IM_MODE_STRICT };
	struct im_polset s1 = { .first = 0, .n = 1 };
	struct im_clause c = { .action = IM_ACT_DENY, .fields = IM_F_IPB,
			       .plens = { [IM_A_IPB] = 1ULL << 32 } };
	struct im_local b = { .mode = IM_MODE_PERMISSIVE };
	uint32_t ip_b = dp_ipv4(POD_B);
	struct dp *dp = &f->dp;

	CHECK_EQ(dp_put_ident(dp, 0, cgroup_tmp_id(&f->wl), &a) |
		 dp_put_idlvl(dp, 0, &lv), 0, "pod A's identity");
	CHECK_EQ(dp_put_wlport(dp, 0, ip_b, htons(P_DENY), &deny) |
		 dp_put_wlport(dp, 0, ip_b, htons(P_STRICT), &strict) |
		 dp_put_polset(dp, 0, 1, &s1) | dp_put_clause(dp, 0, 0, &c) |
		 dp_put_cidr(dp, 0, 0, IM_F_IPB, dp_ipv4(POD_A), 32) |
		 dp_sync_local(dp, &ip_b, &b, 1, true), 0, "pod B's policy");
}

/* One connect from pod A's namespace, from cgroup <cg>, to B:<port>. */
static struct dp_dial_result dial(struct ofix *f, const struct cgroup_tmp *cg,
				  int port)
{
	struct dp_dial d = { .ip = dp_ipv4(POD_B), .port = htons(port),
			     .n = 1 };
	struct dp_dial_result r = { .last_errno = -1 };
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	/* the child is forked here, so it starts in pod A's namespace */
	if (CHECK_EQ(here >= 0 && !setns(f->ns_a, CLONE_NEWNET), 1,
		     "into pod A's namespace")) {
		CHECK_EQ(dp_dial_from(cg, &d, &r), 0, "dialled B:%d", port);
		CHECK_EQ(setns(here, CLONE_NEWNET), 0, "back on the node");
	}
	if (here >= 0)
		close(here);
	return r;
}

/* Dials B:<port> as the outsider: connected or not (<ok>), reached B
 * from A's address or not, and drop counter <reason> moved (only when
 * refused) while every other one stayed. */
static void outsider(struct ofix *f, int port, int lis, bool ok,
		     unsigned int reason)
{
	uint64_t d0[IM_DROP_MAX] = { 0 }, d1[IM_DROP_MAX] = { 0 };
	struct dp_dial_result r;
	unsigned int i;
	int same, other = 0;

	dp_test_drops(&f->dp, d0);
	r = dial(f, &f->out, port);
	dp_test_drops(&f->dp, d1);
	CHECK_EQ(r.ok, ok, "B:%d: connected", port);
	CHECK_EQ(r.eperm, 0, "B:%d: connect4 did not know the caller", port);
	CHECK_EQ(accepted(f->lfd[lis], dp_ipv4(POD_A), &same), ok,
		 "B:%d: accepted", port);
	CHECK_EQ(same, ok, "B:%d: from pod A's address", port);
	CHECK_EQ(d1[reason] > d0[reason], !ok, "B:%d: drops counted as %u",
		 port, reason);
	for (i = 0; i < IM_DROP_MAX; i++)
		other += i != reason && d1[i] != d0[i];
	CHECK_EQ(other, 0, "B:%d: no other drop counter moved", port);
}

static void outsider_judged_by_destination(void)
{
	struct dp_guard g = { .kind = DP_GUARD_TC_EGRESS };
	struct dp_dial_result r;
	struct ofix f;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	tables(&f);
	r = dial(&f, &f.wl, P_DENY);
	CHECK_EQ(r.eperm, 1, "pod A itself: EPERM at connect() (tables live)");

	/* the control: no guard, the outsider reaches both ports */
	outsider(&f, P_DENY, 0, true, IM_DROP_POLICY_DENY);
	outsider(&f, P_STRICT, 1, true, IM_DROP_STRICT_PLAINTEXT);

	g.ifindex = dp_ifindex("vb");
	if (CHECK_EQ(dp_guard_attach(&f.dp, &g), 0,
		     "tc guard at egress of B's node-side veth")) {
		outsider(&f, P_DENY, 0, false, IM_DROP_POLICY_DENY);
		outsider(&f, P_STRICT, 1, false, IM_DROP_STRICT_PLAINTEXT);
		dp_guard_detach(&g);
	}
	fix_down(&f);
}

UNIT_SUITE(dp_outsider)
{
	UNIT_TEST(s, outsider_judged_by_destination);
}
