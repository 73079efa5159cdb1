// SPDX-License-Identifier: Apache-2.0
/* Writing the dataplane tables from the ABI structs, and reading the state
 * the programs keep. Index arithmetic per generation lives here only. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane.h"

static int dp_update(const struct dp *dp, const char *map, const void *key,
		     const void *val)
{
	int fd = dp_map_fd(dp, map);

	if (fd < 0)
		return fd;
	return bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
}

/* Array slot <id> of generation <gen> in a table of <max> per generation. */
static int dp_put_slot(const struct dp *dp, const char *map, unsigned int gen,
		       uint32_t id, uint32_t max, const void *val)
{
	uint32_t idx = gen * max + id;

	if (gen >= IM_GENS || id >= max)
		return -ERANGE;
	return dp_update(dp, map, &idx, val);
}

int dp_set_gen(const struct dp *dp, unsigned int gen)
{
	struct im_cfg cfg = { .gen = gen };
	uint32_t zero = 0;

	if (gen >= IM_GENS)
		return -ERANGE;
	return dp_update(dp, "im_cfg", &zero, &cfg);
}

int dp_put_service(const struct dp *dp, unsigned int gen, uint32_t vip,
		   uint16_t port, const struct im_svc *svc)
{
	struct im_svc_key k = { .vip = vip, .port = port, .gen = gen };

	if (gen >= IM_GENS || svc->route >= IM_MAX_ROUTES)
		return -ERANGE;
	return dp_update(dp, "im_svc", &k, svc);
}

int dp_put_route(const struct dp *dp, unsigned int gen, uint32_t route,
		 const struct im_route *rt)
{
	if (rt->n_dst > IM_ROUTE_DSTS)
		return -ERANGE;
	return dp_put_slot(dp, "im_route_v2", gen, route, IM_MAX_ROUTES, rt);
}

/* The host in slot eps->slot is of <sub>'s cluster: what sockops needs
 * when it connects and when that fails (struct im_host). */
static int put_host(const struct dp *dp, const struct im_subset *sub,
		    const struct im_ep *ep)
{
	struct im_host h = {
		.cluster = sub->cluster, .consec_fail = sub->consec_fail,
		.base_eject_ms = sub->base_eject_ms,
		.interval_ms = sub->interval_ms, .n_ep = sub->n_ep,
		.prio = ep->prio, .max_eject_pct = sub->max_eject_pct,
		.flags = sub->flags, .connect_ms = sub->connect_ms,
	};

	return dp_update(dp, "im_host", &ep->slot, &h);
}

/* The cluster's ejection list: without room the subset still balances,
 * its hosts just cannot be ejected (dp_cl_ej_sync() counts it). */
static int put_cluster(const struct dp *dp, const struct im_subset *sub)
{
	int err;

	if (!(sub->flags & IM_SUB_OUTLIER))
		return 0;
	err = dp_cl_ej_add(dp, sub->cluster);
	return err == -ENOSPC ? 0 : err;
}

int dp_put_subset(const struct dp *dp, unsigned int gen, uint32_t subset,
		  const struct im_subset *in, const struct im_ep *in_eps)
{
	struct im_subset sub = *in;
	struct im_ep *eps;
	uint32_t i;
	int err;

	if (sub.n_ep > IM_SUBSET_EPS ||
	    sub.first_ep > IM_MAX_ENDPOINTS - sub.n_ep)
		return -ERANGE;
	eps = malloc((sub.n_ep + 1) * sizeof(*eps));
	if (!eps)
		return -ENOMEM;
	if (sub.n_ep)
		memcpy(eps, in_eps, sub.n_ep * sizeof(*eps));
	err = dp_lb_index(&sub, eps);
	for (i = 0; !err && i < sub.n_ep; i++) {
		if (eps[i].slot >= IM_MAX_EP_STATE)
			err = -ERANGE;
		err = err ?: put_host(dp, &sub, &eps[i]);
		err = err ?: dp_put_slot(dp, "im_ep_v3", gen, sub.first_ep + i,
					 IM_MAX_ENDPOINTS, &eps[i]);
	}
	free(eps);
	err = err ?: put_cluster(dp, &sub);
	return err ?: dp_put_slot(dp, "im_subset_v2", gen, subset,
				  IM_MAX_SUBSETS, &sub);
}

int dp_put_ident(const struct dp *dp, unsigned int gen, uint64_t cgroup,
		 const struct im_ident *id)
{
	struct im_ident_key k = { .cgroup = cgroup, .gen = gen };

	if (gen >= IM_GENS)
		return -ERANGE;
	return dp_update(dp, "im_ident", &k, id);
}

int dp_put_idlvl(const struct dp *dp, unsigned int gen,
		 const struct im_idlvl *lv)
{
	uint32_t k = gen;

	if (gen >= IM_GENS || lv->n > IM_IDENT_LEVELS)
		return -ERANGE;
	return dp_update(dp, "im_idlvl", &k, lv);
}

int dp_put_wlport(const struct dp *dp, unsigned int gen, uint32_t ip,
		  uint16_t port, const struct im_wlport *wp)
{
	struct im_wlport_key k = { .ip = ip, .port = port, .gen = gen };

	if (gen >= IM_GENS || wp->polset >= IM_MAX_POLSETS)
		return -ERANGE;
	return dp_update(dp, "im_wlport", &k, wp);
}

int dp_put_polset(const struct dp *dp, unsigned int gen, uint32_t set,
		  const struct im_polset *ps)
{
	if (ps->n > IM_POLSET_CLAUSES || ps->first > IM_MAX_CLAUSES - ps->n)
		return -ERANGE;
	return dp_put_slot(dp, "im_polset", gen, set, IM_MAX_POLSETS, ps);
}

int dp_put_clause(const struct dp *dp, unsigned int gen, uint32_t clause,
		  const struct im_clause *c)
{
	return dp_put_slot(dp, "im_clause_v2", gen, clause, IM_MAX_CLAUSES, c);
}

int dp_put_member(const struct dp *dp, unsigned int gen, uint32_t clause,
		  uint8_t field, uint32_t value)
{
	struct im_member_key k = {
		.clause = gen * IM_MAX_CLAUSES + clause,
		.value = value, .field = field,
	};
	uint8_t one = 1;

	if (gen >= IM_GENS || clause >= IM_MAX_CLAUSES)
		return -ERANGE;
	return dp_update(dp, "im_member_v2", &k, &one);
}

/* Networks of every length are members too, keyed by their length, the
 * host bits cleared here so that the programs' masked lookups find them:
 * see enum im_field. */
int dp_put_cidr(const struct dp *dp, unsigned int gen, uint32_t clause,
		uint8_t field, uint32_t ip, unsigned int plen)
{
	struct im_member_key k = {
		.clause = gen * IM_MAX_CLAUSES + clause,
		.field = field, .plen = (uint8_t)plen,
	};
	uint8_t one = 1;

	if (gen >= IM_GENS || clause >= IM_MAX_CLAUSES || plen > 32)
		return -ERANGE;
	k.value = plen ? ip & htonl(~0U << (32 - plen)) : 0;
	return dp_update(dp, "im_member_v2", &k, &one);
}

int dp_put_xdeny(const struct dp *dp, unsigned int gen, uint32_t ip,
		 unsigned int plen, uint32_t rule_id)
{
	struct im_xdeny_key k = { .prefixlen = 32 + plen, .gen = gen, .ip = ip };

	if (gen >= IM_GENS || plen > 32)
		return -ERANGE;
	return dp_update(dp, "im_xdeny", &k, &rule_id);
}

uint64_t dp_cluster_id(const char *name)
{
	return im_cluster_id(name);
}

int dp_get_ep_state(const struct dp *dp, uint32_t slot,
		    struct im_ep_state *st)
{
	int fd = dp_map_fd(dp, "im_ep_state");

	if (fd < 0)
		return fd;
	if (slot >= IM_MAX_EP_STATE)
		return -ERANGE;
	return bpf_map_lookup_elem(fd, &slot, st) ? -errno : 0;
}

int dp_put_ep_state(const struct dp *dp, uint32_t slot,
		    const struct im_ep_state *st)
{
	if (slot >= IM_MAX_EP_STATE)
		return -ERANGE;
	return dp_update(dp, "im_ep_state", &slot, st);
}

int dp_get_drops(const struct dp *dp, uint64_t out[IM_DROP_MAX])
{
	int fd = dp_map_fd(dp, "im_drops_v2"), ncpu = libbpf_num_possible_cpus();
	uint64_t *per_cpu;
	uint32_t r;
	int c;

	if (fd < 0)
		return fd;
	if (ncpu < 0)
		return ncpu;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (r = 0; r < IM_DROP_MAX; r++) {
		out[r] = 0;
		if (bpf_map_lookup_elem(fd, &r, per_cpu))
			continue;
		for (c = 0; c < ncpu; c++)
			out[r] += per_cpu[c];
	}
	free(per_cpu);
	return 0;
}
