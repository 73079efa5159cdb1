// SPDX-License-Identifier: Apache-2.0
/*
 * connect4's balancing at real cluster sizes, with real sockets: a child
 * in a fresh cgroup dials a fake service address, the endpoints are
 * thousands of loopback addresses (127.1.x.y) all served by one listener
 * on the wildcard address, and the address each accepted connection was
 * dialled on says which endpoint connect4 chose. Statistical checks use
 * bounds a correct dataplane exceeds less than once in a million runs.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_child.h"
#include "dp_pkt.h"
#include "dp_testlib.h"

#define VIP	IP4(127, 0, 0, 101)
#define VPORT	9		/* nobody listens: a missed rewrite is refused */
#define BIG	IM_SUBSET_EPS	/* 4,096 endpoints */

struct lfix {
	struct cgroup_tmp cg;
	struct dp dp;
	bool loaded;
	int lfd;
	__u16 port;		/* the listener's, network order */
	struct im_ep *eps;
	uint32_t *hits;		/* connections accepted per endpoint */
};

/* Endpoint i is 127.1.(i / 256).(i % 256): one address each. */
static __u32 ep_ip(uint32_t i)
{
	return htonl(IP4(127, 1, 0, 0) | i);
}

static void lfix_down(struct lfix *f)
{
	if (f->lfd >= 0)
		close(f->lfd);
	if (f->loaded)
		dp_destroy(&f->dp);
	cgroup_tmp_remove(&f->cg);
	free(f->eps);
	free(f->hits);
}

static int listen_any(__u16 *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 4096) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	*port = sa.sin_port;
	return fd;
}

/* <n> endpoints of weight 1 in slots 0..n-1, all served by the listener. */
static bool lfix_up(struct lfix *f, uint32_t n)
{
	char root[256];
	uint32_t i;
	bool ok;

	memset(f, 0, sizeof(*f));
	f->cg.fd = -1;
	f->lfd = -1;
	f->eps = calloc(n, sizeof(*f->eps));
	f->hits = calloc(n, sizeof(*f->hits));
	if (!CHECK_EQ(f->eps && f->hits, 1, "memory") ||
	    !CHECK_EQ(cgroup2_root(root, sizeof(root)), 0, "cgroup2 mount") ||
	    !CHECK_EQ(cgroup_tmp_create(&f->cg, root, "im-lb-test"), 0,
		      "child cgroup under %s", root)) {
		lfix_down(f);
		return false;
	}
	f->loaded = dp_test_load(&f->dp, NULL) == 0;
	ok = f->loaded && CHECK_EQ(dp_attach_cgroup(&f->dp, f->cg.fd), 0,
				   "attaching to the cgroup");
	f->lfd = ok ? listen_any(&f->port) : -1;
	ok = ok && CHECK_EQ(f->lfd >= 0, 1, "wildcard listener");
	for (i = 0; ok && i < n; i++)
		f->eps[i] = (struct im_ep){ .ip = ep_ip(i), .port = f->port,
					    .weight = 1, .slot = i };
	if (!ok)
		lfix_down(f);
	return ok;
}

/* VIP:VPORT -> route 0 -> subset 0 (cluster 1) with <n> of f->eps. */
static bool put_big(struct lfix *f, struct im_subset sub)
{
	struct im_svc svc = { .svc_id = 7, .route = 0 };
	struct im_route rt = { .n_dst = 1, .dst = { { 0, 1 } } };

	sub.cluster = 1;
	return CHECK_EQ(dp_put_subset(&f->dp, 0, 0, &sub, f->eps), 0,
			"subset of %u endpoints", sub.n_ep) &&
	       CHECK_EQ(dp_put_route(&f->dp, 0, 0, &rt), 0, "route") &&
	       CHECK_EQ(dp_put_service(&f->dp, 0, htonl(VIP), htons(VPORT),
				       &svc), 0, "service");
}

/* Accepts what the listener has queued, up to <want> (waiting at most
 * 2 s for them), and counts each by the endpoint address it was dialled
 * on. Returns how many; *stray counts addresses that are no endpoint. */
static int accept_all(struct lfix *f, uint32_t n, int want, int *stray)
{
	uint64_t until = dp_now_ms() + 2000;
	struct sockaddr_in sa;
	socklen_t len;
	uint32_t i;
	int got = 0, fd;

	while (got < want && dp_now_ms() < until) {
		len = sizeof(sa);
		fd = accept(f->lfd, NULL, NULL);
		if (fd < 0) {
			usleep(1000);
			continue;
		}
		getsockname(fd, (struct sockaddr *)&sa, &len);
		close(fd);
		got++;
		i = ntohl(sa.sin_addr.s_addr) - IP4(127, 1, 0, 0);
		if (i < n)
			f->hits[i]++;
		else
			(*stray)++;
	}
	return got;
}

/* <total> connects from the cgroup in batches the child allows; each
 * batch is accepted before the next so the backlog never overflows.
 * Returns the connections accepted. */
static int dial_many(struct lfix *f, uint32_t n, int total, int *refused)
{
	struct dp_dial d = { .ip = htonl(VIP), .port = htons(VPORT) };
	struct dp_dial_result r;
	int done = 0, got = 0, stray = 0;

	*refused = 0;
	while (done < total) {
		d.n = total - done < DP_DIAL_MAX ? total - done : DP_DIAL_MAX;
		if (!CHECK_EQ(dp_dial_from(&f->cg, &d, &r), 0, "child dialled"))
			break;
		*refused += r.refused + r.eperm + r.other;
		got += accept_all(f, n, r.ok, &stray);
		done += d.n;
	}
	CHECK_EQ(stray, 0, "connections to an address that is no endpoint");
	return got;
}

/* Pearson's chi-square of <obs> against expectations <exp>. */
static double chi2(const double *obs, const double *exp, int k)
{
	double x = 0;
	int i;

	for (i = 0; i < k; i++)
		x += (obs[i] - exp[i]) * (obs[i] - exp[i]) / exp[i];
	return x;
}

/* Chi-square bound for <dof> degrees of freedom that a true fit exceeds
 * with probability about 1e-6 (Wilson-Hilferty, z = 4.75). */
static double chi2_bound(int dof)
{
	double k = dof, t = 1 - 2 / (9 * k) + 4.75 * sqrt(2 / (9 * k));

	return k * t * t * t;
}

#define GROUPS 64	/* bins: 16 blocks of 256 endpoints x 4 weights */

/* 4,096 endpoints of weights 1..4 (by index mod 4), 20,480 connects:
 * the split follows the weights, over blocks of the subset as well as
 * over the weight classes (chi-square, 63 degrees of freedom). */
static void lb_4096_endpoints_weighted(void)
{
	const int total = 20480;
	double obs[GROUPS] = { 0 }, exp[GROUPS], sum_w = 0, x;
	uint32_t i, first, last;
	int refused, got;
	struct lfix f;

	NEED_ROOT();
	if (!lfix_up(&f, BIG))
		return;
	for (i = 0; i < BIG; i++) {
		f.eps[i].weight = i % 4 + 1;
		sum_w += f.eps[i].weight;
	}
	if (!put_big(&f, (struct im_subset){ .n_ep = BIG,
					     .lb = IM_LB_RANDOM }))
		goto out;
	got = dial_many(&f, BIG, total, &refused);
	CHECK_EQ(refused, 0, "connects refused");
	CHECK_EQ(got, total, "connections accepted");
	for (i = 0; i < GROUPS; i++)
		exp[i] = 0;
	for (i = 0; i < BIG; i++) {
		int g = (int)(i / 256) * 4 + (int)(i % 4);

		obs[g] += f.hits[i];
		exp[g] += got * f.eps[i].weight / sum_w;
	}
	x = chi2(obs, exp, GROUPS);
	fprintf(stderr, "  4,096 endpoints, %d connects: chi-square %.1f "
		"(bound %.1f, 63 dof)\n", got, x, chi2_bound(GROUPS - 1));
	CHECK_EQ(x < chi2_bound(GROUPS - 1), 1,
		 "chi-square %.1f over 64 groups below %.1f", x,
		 chi2_bound(GROUPS - 1));
	for (i = 0, first = 0, last = 0; i < 16; i++) {
		first += f.hits[i];
		last += f.hits[BIG - 1 - i];
	}
	/* about 80 each: none would mean the search misses an end */
	CHECK_EQ(first > 0 && last > 0, 1,
		 "the first and the last 16 endpoints are reached (%u, %u)",
		 first, last);
out:
	lfix_down(&f);
}

/* Weights 2147483648 + 2147483648 (a WorkloadEntry's uint32 range) split
 * 50/50, for two endpoints of a subset and for two destinations of a
 * route: summed in 32 bits they would be 0 and nothing would be chosen. */
static void lb_weights_2_pow_31_split_half(void)
{
	const int n = 2000, tol = (int)ceil(5 * sqrt(n * 0.25));	/* 112 */
	struct im_route rt = { .n_dst = 2, .dst = {
		{ 0, 0x80000000U }, { 1, 0x80000000U } } };
	struct im_svc svc = { .svc_id = 7, .route = 0 };
	struct im_subset one = { .n_ep = 1, .first_ep = 2, .cluster = 2,
				 .lb = IM_LB_RANDOM };
	int refused, got;
	struct lfix f;

	NEED_ROOT();
	if (!lfix_up(&f, 3))
		return;
	f.eps[0].weight = f.eps[1].weight = 0x80000000U;
	if (!put_big(&f, (struct im_subset){ .n_ep = 2,
					     .lb = IM_LB_RANDOM }))
		goto out;
	got = dial_many(&f, 3, n, &refused);
	CHECK_EQ(refused, 0, "endpoints 2^31 + 2^31: none refused");
	CHECK_EQ(abs((int)f.hits[0] - n / 2) <= tol, 1,
		 "endpoints 2^31 + 2^31: first got %u of %d, want %d +- %d",
		 f.hits[0], got, n / 2, tol);
	/* now a route of two subsets weighing 2^31 each */
	memset(f.hits, 0, 3 * sizeof(*f.hits));
	CHECK_EQ(dp_put_subset(&f.dp, 0, 1, &one, &f.eps[2]), 0, "subset 1");
	CHECK_EQ(dp_put_route(&f.dp, 0, 0, &rt), 0, "route 2^31 + 2^31");
	CHECK_EQ(dp_put_service(&f.dp, 0, htonl(VIP), htons(VPORT), &svc), 0,
		 "service");
	got = dial_many(&f, 3, n, &refused);
	CHECK_EQ(refused, 0, "route 2^31 + 2^31: none refused");
	CHECK_EQ(abs((int)f.hits[2] - n / 2) <= tol, 1,
		 "route 2^31 + 2^31: subset 1 got %u of %d, want %d +- %d",
		 f.hits[2], got, n / 2, tol);
out:
	lfix_down(&f);
}

/* Ejects the hosts in slots <slots> for a minute, as sockops would: in
 * their state and in their cluster's list. */
static void eject_slots(struct lfix *f, const uint32_t *slots, int n,
			__u8 prio)
{
	uint64_t until = (dp_now_ms() + 60000) * 1000000ULL;
	struct im_cl_ej l = { .until_max = until };
	struct im_ep_state st;
	__u64 cluster = 1;
	int i;

	for (i = 0; i < n; i++) {
		st = (struct im_ep_state){ .ejected_until = until,
					   .ejections = 1, .eject_k = 1 };
		CHECK_EQ(dp_put_ep_state(&f->dp, slots[i], &st), 0,
			 "slot %u ejected", slots[i]);
		l.e[i] = (struct im_ej){ .until = until, .slot = slots[i],
					 .prio = prio };
	}
	CHECK_EQ(bpf_map_update_elem(dp_map_fd(&f->dp, "im_cl_ej"), &cluster,
				     &l, BPF_ANY), 0, "cluster's list");
}

/* 4,096 endpoints under outlier detection: 30 ejected ones are never
 * chosen; with the 8 endpoints of P0 all ejected, P1 takes everything. */
static void lb_4096_ejected_never_chosen(void)
{
	struct im_subset sub = { .n_ep = BIG, .lb = IM_LB_LEAST_REQUEST,
				 .flags = IM_SUB_OUTLIER, .consec_fail = 5,
				 .base_eject_ms = 30000, .interval_ms = 10000,
				 .max_eject_pct = 100 };
	uint32_t ej[30], p0[8], i, to_ejected = 0, to_p0 = 0;
	int refused, got;
	struct lfix f;

	NEED_ROOT();
	if (!lfix_up(&f, BIG))
		return;
	if (!put_big(&f, sub))
		goto out;
	for (i = 0; i < 30; i++)
		ej[i] = i * 131 % BIG;	/* spread over the subset */
	eject_slots(&f, ej, 30, 0);
	got = dial_many(&f, BIG, 4000, &refused);
	CHECK_EQ(refused, 0, "30 of 4,096 ejected: none refused");
	for (i = 0; i < 30; i++)
		to_ejected += f.hits[ej[i]];
	CHECK_EQ(to_ejected, 0, "connections to ejected hosts (of %d)", got);
	/* P0: the first 8 endpoints, all ejected; P1: the rest */
	memset(f.hits, 0, BIG * sizeof(*f.hits));
	for (i = 0; i < BIG; i++)
		f.eps[i].prio = i >= 8;
	for (i = 0; i < 8; i++)
		p0[i] = i;
	if (!put_big(&f, sub))
		goto out;
	eject_slots(&f, p0, 8, 0);
	got = dial_many(&f, BIG, 2000, &refused);
	CHECK_EQ(refused, 0, "P0 ejected: none refused");
	for (i = 0; i < 8; i++)
		to_p0 += f.hits[i];
	CHECK_EQ(to_p0, 0, "P0 ejected: connections to P0 (of %d)", got);
out:
	lfix_down(&f);
}

#define BLACKHOLE IP4(198, 18, 1, 1)	/* its SYNs vanish */

/* Moves this process into a new network namespace where BLACKHOLE is
 * routed into a veth whose peer drops every frame (the neighbour entry
 * names a MAC the peer does not have): a connect there gets no answer
 * at all, no ICMP, no RST. Children forked meanwhile inherit it. Returns
 * the original namespace's fd for leave_blackhole(), or -1. */
static int enter_blackhole(void)
{
	int orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (orig < 0)
		return -1;
	if (unshare(CLONE_NEWNET) ||
	    system("ip link add imbh0 type veth peer name imbh1 && "
		   "ip link set imbh0 up && ip link set imbh1 up && "
		   "ip addr add 198.18.0.1/32 dev imbh0 && "
		   "ip route add 198.18.1.0/24 dev imbh0 src 198.18.0.1 && "
		   "ip neigh add 198.18.1.1 lladdr 02:00:00:00:00:01 "
		   "dev imbh0 nud permanent")) {
		setns(orig, CLONE_NEWNET);
		close(orig);
		return -1;
	}
	return orig;
}

/* Back to the original namespace; the blackhole one goes with its last
 * process. */
static void leave_blackhole(int orig)
{
	CHECK_EQ(setns(orig, CLONE_NEWNET), 0, "back to the original netns");
	close(orig);
}

/* connectTimeout 1 s on a blackholed host: each connect fails with
 * ETIMEDOUT after the timeout (not after two minutes of SYN retries),
 * a local-origin failure; the second consecutive one ejects the host,
 * and the third connect is refused by connect4 at once. */
static void lb_connect_timeout_ejects_blackhole(void)
{
	struct im_subset sub = { .n_ep = 1, .lb = IM_LB_ROUND_ROBIN,
				 .flags = IM_SUB_OUTLIER, .consec_fail = 2,
				 .base_eject_ms = 30000, .interval_ms = 10000,
				 .max_eject_pct = 100, .connect_ms = 1000 };
	struct dp_dial d = { .ip = htonl(VIP), .port = htons(VPORT), .n = 3 };
	uint64_t before[IM_DROP_MAX], after[IM_DROP_MAX];
	struct dp_dial_result r;
	struct im_ep_state st = { 0 };
	struct lfix f;
	int orig;

	NEED_ROOT();
	if (!lfix_up(&f, 1))
		return;
	f.eps[0].ip = htonl(BLACKHOLE);
	f.eps[0].port = htons(80);
	orig = enter_blackhole();
	if (!CHECK_EQ(orig >= 0, 1, "blackhole namespace (ip, veth)"))
		goto out;
	if (!put_big(&f, sub))
		goto back;
	dp_test_drops(&f.dp, before);
	if (CHECK_EQ(dp_dial_from(&f.cg, &d, &r), 0, "child dialled")) {
		fprintf(stderr, "  3 connects to a blackhole, connectTimeout "
			"1 s: %ld ms\n", r.elapsed_ms);
		CHECK_EQ(r.other, 2, "two connects failed on their own");
		CHECK_EQ(r.last_errno, ETIMEDOUT, "with ETIMEDOUT");
		CHECK_EQ(r.refused, 1, "the third refused: host ejected");
	}
	dp_test_drops(&f.dp, after);
	CHECK_EQ(after[IM_DROP_NO_HEALTHY] - before[IM_DROP_NO_HEALTHY], 1,
		 "refused by connect4 (NO_HEALTHY)");
	CHECK_EQ(dp_get_ep_state(&f.dp, 0, &st), 0, "host's state");
	CHECK_EQ(st.fails, 2, "two local-origin failures");
	CHECK_EQ(st.ejections, 1, "ejected once");
back:
	leave_blackhole(orig);
out:
	lfix_down(&f);
}

/* connectTimeout bounds the connect only: once established the socket's
 * TCP_USER_TIMEOUT is back to 0, so an idle or slow live connection is
 * never cut by it (the test above shows it in force while connecting). */
static void lb_connect_timeout_cleared(void)
{
	struct im_subset sub = { .n_ep = 1, .lb = IM_LB_ROUND_ROBIN,
				 .connect_ms = 1000 };
	struct dp_dial d = { .ip = htonl(VIP), .port = htons(VPORT), .n = 5 };
	struct dp_dial_result r;
	struct lfix f;

	NEED_ROOT();
	if (!lfix_up(&f, 1))
		return;
	if (put_big(&f, sub) &&
	    CHECK_EQ(dp_dial_from(&f.cg, &d, &r), 0, "child dialled")) {
		CHECK_EQ(r.ok, 5, "connected through the VIP");
		CHECK_EQ(r.user_timeout, 0,
			 "TCP_USER_TIMEOUT 0 (and readable) once connected");
	}
	lfix_down(&f);
}

UNIT_SUITE(dp_lb)
{
	UNIT_TEST(s, lb_4096_endpoints_weighted);
	UNIT_TEST(s, lb_weights_2_pow_31_split_half);
	UNIT_TEST(s, lb_4096_ejected_never_chosen);
	UNIT_TEST(s, lb_connect_timeout_ejects_blackhole);
	UNIT_TEST(s, lb_connect_timeout_cleared);
}
