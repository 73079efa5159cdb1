// SPDX-License-Identifier: Apache-2.0
/*
 * l4dp: the L4 dataplane for tools/bench-l4.sh, without the agent. Loads
 * the programs (nothing pinned), fills generation 0 through the dp_put_*
 * writers with one benchmarked service VIP:port -> BACKEND plus filler
 * services and policy clauses up to the requested table sizes, attaches to
 * CGROUP, prints "ready" and holds everything until SIGTERM/SIGINT. Then,
 * with L4DP_STATS set in the environment, it prints the connect4 and
 * sockops programs' run counts and run times (BPF_ENABLE_STATS, on only
 * while this runs), and unloads: nothing outlives it.
 *
 * usage: l4dp CGROUP VIP:PORT BACKEND:PORT CLIENT_IP SERVICES POLICIES
 *             [DEST_CLAUSES]
 *
 * The caller's cgroup gets a workload identity and the backend a policy
 * set (PERMISSIVE, no mTLS yet), so every benchmarked connect() takes the
 * whole path: service lookup, route, subset, least-request choice, and the
 * source-side policy walk: DEST_CLAUSES (default 1) DENY clauses that do
 * not match (an ipBlock lookup each), then the ALLOW clause that does
 * (ipBlock + port). POLICIES counts every clause in the tables; those
 * beyond the backend's own belong to filler workloads, 10 per policy set,
 * as a mesh with many policed workloads would have them.
 *
 * L4DP_EPS=N in the environment (default 1, at most IM_SUBSET_EPS) gives
 * the benchmarked subset N endpoints, all of them the backend, weights
 * 1..4: connect4's endpoint draw then searches N summed weights.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connect.skel.h"
#include "sockops.skel.h"
#include "dataplane/dataplane.h"
#include "kernel/cgroup.h"

#define FILL_NET	0x0a620000U	/* 10.98.0.0/16: filler endpoints */
#define FILL_VIP_NET	0x0a600000U	/* 10.96.0.0/16: filler VIPs */
#define SET_CLAUSES	10U		/* clauses per filler policy set */
#define GEN		0U

struct bench {
	struct dp dp;
	uint32_t vip, backend, client;	/* network order */
	uint16_t vport, bport;		/* network order */
	uint32_t services, policies, dest_clauses;
	uint32_t eps;			/* endpoints of the benchmarked subset */
	uint64_t cgroup_id;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_addr(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[64];
	char *colon;
	long p;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (port) {
		if (!colon)
			return -1;
		*colon = 0;
		p = strtol(colon + 1, NULL, 10);
		if (p <= 0 || p > 65535)
			return -1;
		*port = htons((uint16_t)p);
	}
	return inet_pton(AF_INET, buf, ip) == 1 ? 0 : -1;
}

/* The benchmarked subset with b->eps endpoints, after the fillers' ones
 * (each in its own state slot). */
static int put_big_subset(const struct bench *b, struct im_subset *sub,
			  const struct im_ep *ep)
{
	struct im_ep *eps = calloc(b->eps, sizeof(*eps));
	uint32_t i;
	int err;

	if (!eps)
		return -ENOMEM;
	for (i = 0; i < b->eps; i++) {
		eps[i] = *ep;
		eps[i].weight = i % 4 + 1;
		eps[i].slot = i;
	}
	sub->first_ep = b->services;
	sub->n_ep = (uint16_t)b->eps;
	err = dp_put_subset(&b->dp, GEN, 0, sub, eps);
	free(eps);
	return err;
}

/* Service <i>: one route with one destination, a subset with one endpoint.
 * Service 0 is the benchmarked VIP; the others are fillers. */
static int put_service(const struct bench *b, uint32_t i)
{
	struct im_svc svc = { .svc_id = i + 1, .route = i };
	struct im_route rt = { .n_dst = 1, .dst = { { .subset = i, .weight = 100 } } };
	struct im_subset sub = {
		.first_ep = i, .n_ep = 1, .lb = IM_LB_LEAST_REQUEST,
		.max_eject_pct = 10, .svc_id = i + 1,
	};
	struct im_ep ep = { .ip = b->backend, .port = b->bport, .weight = 1 };
	uint32_t vip = b->vip;
	uint16_t vport = b->vport;
	int err;

	if (i) {
		vip = htonl(FILL_VIP_NET + i);
		vport = htons(80);
		ep.ip = htonl(FILL_NET + i);
		ep.port = htons(8080);
	}
	err = dp_put_service(&b->dp, GEN, vip, vport, &svc);
	if (!err)
		err = dp_put_route(&b->dp, GEN, i, &rt);
	if (!err && !i && b->eps > 1)
		err = put_big_subset(b, &sub, &ep);
	else if (!err)
		err = dp_put_subset(&b->dp, GEN, i, &sub, &ep);
	return err;
}

/* Length of every clause's ipBlock: 32 (an exact address, a hash lookup),
 * or L4DP_PLEN from the environment (8..31) to measure prefixes. */
static unsigned int ipb_plen(void)
{
	static unsigned int plen;
	const char *e;

	if (!plen) {
		e = getenv("L4DP_PLEN");
		plen = e ? (unsigned int)strtoul(e, NULL, 10) : 32;
		if (plen < 8 || plen > 32)
			plen = 32;
	}
	return plen;
}

/* A clause that tests one source ipBlock (and, for ALLOW, the port). */
static int put_clause(const struct bench *b, uint32_t c, uint8_t action,
		      uint32_t src, uint16_t port)
{
	unsigned int plen = ipb_plen();
	struct im_clause cl = {
		.action = action, .fields = IM_F_IPB, .rule_id = c + 1,
		.plens = { [IM_A_IPB] = 1ULL << plen },
	};
	int err;

	if (port)
		cl.fields |= IM_F_PORTS;
	src &= htonl(~0U << (32 - plen));
	err = dp_put_clause(&b->dp, GEN, c, &cl);
	if (!err)
		err = dp_put_cidr(&b->dp, GEN, c, IM_F_IPB, src, plen);
	if (!err && port)
		err = dp_put_member(&b->dp, GEN, c, IM_F_PORTS, port);
	return err;
}

/* Policy set 1 selects the backend: <dest_clauses> DENY clauses for other
 * sources (192.0.2.x), then ALLOW from the client to the backend port. */
static int put_dest_policy(const struct bench *b)
{
	struct im_polset ps = { .first = 0, .n = b->dest_clauses + 1, .has_allow = 1 };
	struct im_wlport wp = { .mode = IM_MODE_PERMISSIVE, .polset = 1 };
	uint32_t c;
	int err = 0;

	for (c = 0; c < b->dest_clauses && !err; c++)
		err = put_clause(b, c, IM_ACT_DENY, htonl(0xc0000200U + c), 0);
	if (!err)
		err = put_clause(b, c, IM_ACT_ALLOW, b->client, ntohs(b->bport));
	if (!err)
		err = dp_put_polset(&b->dp, GEN, 1, &ps);
	if (!err)
		err = dp_put_wlport(&b->dp, GEN, b->backend, b->bport, &wp);
	return err;
}

/* Filler policy set <set> (from 2) for filler workload 10.98.x.y:8080,
 * clauses [first, first + n). */
static int put_filler_policy(const struct bench *b, uint32_t set,
			     uint32_t first, uint32_t n)
{
	struct im_polset ps = { .first = first, .n = n, .has_allow = 1 };
	struct im_wlport wp = { .mode = IM_MODE_PERMISSIVE, .polset = set };
	uint32_t c;
	int err = 0;

	for (c = first; c < first + n && !err; c++)
		err = put_clause(b, c, IM_ACT_ALLOW, htonl(FILL_NET + c), 8080);
	if (!err)
		err = dp_put_polset(&b->dp, GEN, set, &ps);
	if (!err)
		err = dp_put_wlport(&b->dp, GEN, htonl(FILL_NET + set), htons(8080), &wp);
	return err;
}

static int fill(const struct bench *b)
{
	struct im_ident id = { .principal = 1, .ns = 1, .ip = b->client };
	uint32_t i, set = 2, c = b->dest_clauses + 1, n;
	int err = 0;

	for (i = 0; i < b->services && !err; i++)
		err = put_service(b, i);
	if (!err)
		err = put_dest_policy(b);
	for (; c < b->policies && !err; c += n) {
		n = b->policies - c < SET_CLAUSES ? b->policies - c : SET_CLAUSES;
		err = put_filler_policy(b, set++, c, n);
	}
	if (!err)
		err = dp_put_ident(&b->dp, GEN, b->cgroup_id, &id);
	if (!err)
		err = dp_set_gen(&b->dp, GEN);
	return err;
}

static int parse_args(struct bench *b, int argc, char **argv)
{
	if (argc < 7 || argc > 8)
		return -1;
	b->cgroup_id = cgroup_id_by_path(argv[1]);
	if (!b->cgroup_id || parse_addr(argv[2], &b->vip, &b->vport) ||
	    parse_addr(argv[3], &b->backend, &b->bport) ||
	    parse_addr(argv[4], &b->client, NULL))
		return -1;
	b->services = strtoul(argv[5], NULL, 10);
	b->policies = strtoul(argv[6], NULL, 10);
	b->dest_clauses = argc == 8 ? strtoul(argv[7], NULL, 10) : 1;
	b->eps = getenv("L4DP_EPS") ? strtoul(getenv("L4DP_EPS"), NULL, 10) : 1;
	if (!b->eps || b->eps > IM_SUBSET_EPS ||
	    b->services + b->eps > IM_MAX_ENDPOINTS)
		return -1;
	if (!b->services || b->services > IM_MAX_SERVICES ||
	    b->dest_clauses >= IM_POLSET_CLAUSES ||
	    b->policies < b->dest_clauses + 1 || b->policies > IM_MAX_CLAUSES ||
	    b->policies / SET_CLAUSES + 2 >= IM_MAX_POLSETS)
		return -1;
	return 0;
}

static void print_stats(const char *name, const struct bpf_program *prog)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return;
	printf("%s run_cnt %llu run_time_ns %llu insns %u verified %u\n",
	       name, (unsigned long long)info.run_cnt,
	       (unsigned long long)info.run_time_ns,
	       info.xlated_prog_len / 8, info.verified_insns);
}

/* Loaded, filled and attached: wait for the signal to go. */
static int serve(struct bench *b, int cgfd)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	err = fill(b);
	if (!err)
		err = dp_attach_cgroup(&b->dp, cgfd);
	if (err) {
		fprintf(stderr, "l4dp: filling or attaching: %s\n", strerror(-err));
		return 1;
	}
	printf("ready services %u policies %u dest_clauses %u eps %u\n",
	       b->services, b->policies, b->dest_clauses, b->eps);
	fflush(stdout);
	while (!stop)
		pause();
	print_stats("connect4", b->dp.connect->progs.im_connect4);
	print_stats("getpeername4", b->dp.connect->progs.im_getpeername4);
	print_stats("sockops", b->dp.sockops->progs.im_sockops);
	return 0;
}

int main(int argc, char **argv)
{
	struct dp_opts o = { 0 };
	struct bench b = { 0 };
	int cgfd, statsfd, err, rc;

	if (parse_args(&b, argc, argv)) {
		fprintf(stderr, "usage: l4dp CGROUP VIP:PORT BACKEND:PORT "
			"CLIENT_IP SERVICES POLICIES [DEST_CLAUSES]\n");
		return 2;
	}
	cgfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (cgfd < 0) {
		perror("l4dp: cgroup");
		return 1;
	}
	/* Run-time stats cost every BPF program two clock reads: only on
	 * when asked (connect latency), never while throughput is measured. */
	statsfd = getenv("L4DP_STATS") ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	err = dp_load(&b.dp, &o);
	if (err) {
		fprintf(stderr, "l4dp: loading: %s\n", strerror(-err));
		return 1;
	}
	rc = serve(&b, cgfd);
	dp_destroy(&b.dp);
	if (statsfd >= 0)
		close(statsfd);
	close(cgfd);
	return rc;
}
