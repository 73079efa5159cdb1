// SPDX-License-Identifier: Apache-2.0
/* The views of `infermesh maps dump`: each walks its map through the
 * source, decodes the live generation's entries and joins what a reader
 * needs to see next to them (a service's weighted subsets, an endpoint's
 * runtime state, a port's policy clauses). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dataplane/dataplane.h"
#include "view_int.h"

/* Adapts src_each to a decoder: one struct per walk. */
struct walk {
	const struct view_ctx *c;
	json_t *rows;
	json_t *(*row)(const struct view_ctx *c, const void *k, const void *v);
};

static int walk_cb(void *arg, const void *k, const void *v)
{
	struct walk *w = arg;
	json_t *r = w->row(w->c, k, v);

	if (r && json_array_append_new(w->rows, r))
		return -ENOMEM;
	return 0;
}

static int walk(const struct view_ctx *c, const char *map, json_t *rows,
		json_t *(*row)(const struct view_ctx *, const void *,
			       const void *))
{
	struct walk w = { c, rows, row };

	return src_each(c->src, map, walk_cb, &w);
}

unsigned int view_live_gen(const struct map_src *s, int *err)
{
	struct im_cfg cfg = {};
	__u32 zero = 0;
	int e = src_lookup(s, "im_cfg", &zero, &cfg);

	if (err)
		*err = e;
	return e ? 0 : cfg.gen & 1;
}

static json_t *row_cfg(const struct view_ctx *c, const void *k, const void *v)
{
	return dec_cfg(v);
}

static int build_cfg(const struct view_ctx *c, json_t *rows)
{
	return walk(c, "im_cfg", rows, row_cfg);
}

/* The route of a service, with its destinations named. */
static json_t *svc_dsts(const struct view_ctx *c, uint32_t route)
{
	uint32_t idx = c->dec.gen * IM_MAX_ROUTES + route;
	struct im_route rt;
	json_t *r, *d;

	if (route >= IM_MAX_ROUTES ||
	    src_lookup(c->src, "im_route_v2", &idx, &rt))
		return json_array();
	r = dec_route(&c->dec, idx, &rt);
	d = r ? json_incref(json_object_get(r, "destinations")) : NULL;
	json_decref(r);
	return d ? d : json_array();
}

static json_t *row_svc(const struct view_ctx *c, const void *k, const void *v)
{
	const struct im_svc *s = v;
	json_t *r = dec_svc(&c->dec, k, s);

	if (r)
		json_object_set_new(r, "destinations", svc_dsts(c, s->route));
	return r;
}

static int build_services(const struct view_ctx *c, json_t *rows)
{
	int err = walk(c, "im_svc", rows, row_svc);

	view_sort(rows, "vip", "port");
	return err;
}

static json_t *row_route(const struct view_ctx *c, const void *k,
			 const void *v)
{
	return dec_route(&c->dec, *(const __u32 *)k, v);
}

static int build_routes(const struct view_ctx *c, json_t *rows)
{
	return walk(c, "im_route_v2", rows, row_route);
}

static json_t *row_subset(const struct view_ctx *c, const void *k,
			  const void *v)
{
	return dec_subset(&c->dec, *(const __u32 *)k, v);
}

static int build_subsets(const struct view_ctx *c, json_t *rows)
{
	return walk(c, "im_subset_v2", rows, row_subset);
}

/* The endpoints of one subset, each with its runtime state. */
static json_t *row_subset_eps(const struct view_ctx *c, const void *k,
			      const void *v)
{
	uint32_t s = *(const __u32 *)k, i;
	const struct im_subset *sub = v;
	json_t *eps;

	if (s / IM_MAX_SUBSETS != c->dec.gen || !sub->n_ep)
		return NULL;
	eps = json_array();
	for (i = 0; i < sub->n_ep && i < IM_SUBSET_EPS; i++) {
		uint32_t idx = c->dec.gen * IM_MAX_ENDPOINTS + sub->first_ep + i;
		struct im_ep_state st;
		struct im_ep ep;

		if (sub->first_ep + i >= IM_MAX_ENDPOINTS ||
		    src_lookup(c->src, "im_ep_v3", &idx, &ep))
			break;
		json_array_append_new(eps, dec_ep(
			&c->dec, idx, s % IM_MAX_SUBSETS, &ep,
			src_lookup(c->src, "im_ep_state", &ep.slot, &st) ?
			NULL : &st));
	}
	return eps;
}

static int eps_cb(void *arg, const void *k, const void *v)
{
	struct walk *w = arg;
	json_t *eps = row_subset_eps(w->c, k, v);
	int err = eps ? json_array_extend(w->rows, eps) : 0;

	json_decref(eps);
	return err ? -ENOMEM : 0;
}

static int build_endpoints(const struct view_ctx *c, json_t *rows)
{
	struct walk w = { c, rows, NULL };

	return src_each(c->src, "im_subset_v2", eps_cb, &w);
}

/* One allocated slot (im_ep_slot) with its host and state. */
static json_t *row_epst(const struct view_ctx *c, const void *k,
			const void *v)
{
	uint32_t slot = *(const __u32 *)v;
	struct im_ep_state st;

	return dec_ep_state(&c->dec, k, slot,
			    src_lookup(c->src, "im_ep_state", &slot, &st) ?
			    NULL : &st);
}

/* Cluster ids ("#hex", as dec_ep_state writes them) -> subset names. */
static json_t *cluster_names(const struct view_ctx *c)
{
	json_t *m = json_object();
	const char *n;
	char hex[24];
	uint32_t s;

	for (s = 0; m && c->dec.names && s < IM_MAX_SUBSETS; s++) {
		n = names_get(c->dec.names, NAMES_SUBSET, s);
		if (!n)
			continue;
		snprintf(hex, sizeof(hex), "#%016llx",
			 (unsigned long long)dp_cluster_id(n));
		json_object_set_new(m, hex, json_string(n));
	}
	return m;
}

static int build_epstate(const struct view_ctx *c, json_t *rows)
{
	int err = walk(c, "im_ep_slot", rows, row_epst);
	json_t *names = cluster_names(c), *r, *n;
	size_t i;

	json_array_foreach(rows, i, r) {
		n = json_object_get(names, json_string_value(
			json_object_get(r, "cluster")));
		if (n)
			json_object_set(r, "cluster", n);
	}
	json_decref(names);
	view_sort(rows, "endpoint", NULL);
	return err;
}

static json_t *row_ident(const struct view_ctx *c, const void *k,
			 const void *v)
{
	return dec_ident(&c->dec, k, v);
}

static int build_identities(const struct view_ctx *c, json_t *rows)
{
	int err = walk(c, "im_ident", rows, row_ident);

	view_sort(rows, "cgroup_id", NULL);
	return err;
}

static json_t *row_polset(const struct view_ctx *c, const void *k,
			  const void *v)
{
	return dec_polset(&c->dec, *(const __u32 *)k, v);
}

static int build_polsets(const struct view_ctx *c, json_t *rows)
{
	return walk(c, "im_polset", rows, row_polset);
}

static json_t *row_clause(const struct view_ctx *c, const void *k,
			  const void *v)
{
	return dec_clause(&c->dec, *(const __u32 *)k, v);
}

static int build_clauses(const struct view_ctx *c, json_t *rows)
{
	return walk(c, "im_clause_v2", rows, row_clause);
}

/* Members and CIDRs of the live generation only. */
static json_t *live_only(const struct view_ctx *c, json_t *r)
{
	json_int_t g = json_integer_value(json_object_get(r, "gen"));

	if (r && g != c->dec.gen) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* Ids, ports and exact addresses; the shorter networks of address
 * fields, im_member_v2 entries too, are the cidrs view. */
static json_t *row_member(const struct view_ctx *c, const void *k,
			  const void *v)
{
	if (dec_is_cidr(k))
		return NULL;
	return live_only(c, dec_member(&c->dec, k));
}

static int build_members(const struct view_ctx *c, json_t *rows)
{
	int err = walk(c, "im_member_v2", rows, row_member);

	view_sort(rows, "clause", "field");
	return err;
}

static json_t *row_cidr(const struct view_ctx *c, const void *k,
			const void *v)
{
	if (!dec_is_cidr(k))
		return NULL;
	return live_only(c, dec_member(&c->dec, k));
}

static int build_cidrs(const struct view_ctx *c, json_t *rows)
{
	int err = walk(c, "im_member_v2", rows, row_cidr);

	view_sort(rows, "clause", "cidr");
	return err;
}

static json_t *row_xdeny(const struct view_ctx *c, const void *k,
			 const void *v)
{
	return dec_xdeny(&c->dec, k, *(const __u32 *)v);
}

static int build_xdeny(const struct view_ctx *c, json_t *rows)
{
	int err = walk(c, "im_xdeny", rows, row_xdeny);

	view_sort(rows, "cidr", NULL);
	return err;
}

static json_t *row_drops(const struct view_ctx *c, const void *k,
			 const void *v)
{
	return dec_drops(&c->dec, *(const __u32 *)k, v, c->src->ncpu);
}

static int build_drops(const struct view_ctx *c, json_t *rows)
{
	return walk(c, "im_drops_v2", rows, row_drops);
}


static const struct column cols_cfg[] = {
	{ "LIVE-GEN", "gen", NULL }, {}
};

static const struct column cols_svc[] = {
	{ "VIP", "vip", NULL }, { "PORT", "port", NULL }, { "SERVICE", "service", NULL },
	{ "ROUTE", "route", NULL }, { "DESTINATIONS", "destinations", view_fmt_dsts },
	{}
};

static const struct column cols_route[] = {
	{ "ROUTE", "route", NULL }, { "NAME", "name", NULL },
	{ "DESTINATIONS", "destinations", view_fmt_dsts }, {}
};

static const struct column cols_subset[] = {
	{ "SUBSET", "subset", NULL }, { "NAME", "name", NULL }, { "LB", "lb", NULL },
	{ "ENDPOINTS", "endpoints", NULL }, { "MIN-HEALTH%", "min_health_percent", NULL },
	{ "OUTLIER", "outlier", view_fmt_outlier }, {}
};

static const struct column cols_ep[] = {
	{ "ENDPOINT", "endpoint", NULL }, { "WORKLOAD", "workload", NULL },
	{ "SUBSET", "subset_name", view_fmt_ep_subset },
	{ "LOCALITY", "locality", NULL }, { "PRIO", "priority", NULL },
	{ "WEIGHT", "weight", NULL }, { "ACTIVE", "active", NULL },
	{ "STATE", "ejected", view_fmt_state }, { "EJECTIONS", "ejections", NULL },
	{ "LABELS", "labels", NULL }, {}
};

static const struct column cols_epst[] = {
	{ "ENDPOINT", "endpoint", NULL }, { "WORKLOAD", "workload", NULL },
	{ "CLUSTER", "cluster", NULL }, { "SLOT", "state_slot", NULL },
	{ "ACTIVE", "active", NULL }, { "STATE", "ejected", view_fmt_state },
	{ "EJECTIONS", "ejections", NULL }, { "CONSEC-FAIL", "consecutive_failures", NULL },
	{ "FAILURES", "failures", NULL }, { "CONNECTIONS", "connections", NULL }, {}
};

static const struct column cols_ident[] = {
	{ "CGROUP-ID", "cgroup_id", NULL }, { "CGROUP", "cgroup", NULL },
	{ "PRINCIPAL", "principal", NULL }, { "NAMESPACE", "namespace", NULL },
	{ "ADDRESS", "address", NULL }, {}
};

static const struct column cols_idlvl[] = {
	{ "GEN", "gen", NULL }, { "LEVELS (DEEPEST FIRST)", "levels", NULL },
	{ "OVERFLOW", "overflow", NULL }, {}
};

static const struct column cols_local[] = {
	{ "ADDRESS", "address", NULL }, { "MODE", "mode", NULL },
	{ "WORKLOAD", "workload", NULL }, { "PRINCIPAL", "principal", NULL },
	{ "CGROUP", "cgroup", NULL }, {}
};

static const struct column cols_polset[] = {
	{ "POLSET", "polset", NULL }, { "NAME", "name", NULL },
	{ "FIRST", "first_clause", NULL }, { "CLAUSES", "clauses", NULL },
	{ "OTHERWISE", "otherwise", NULL }, {}
};

static const struct column cols_clause[] = {
	{ "CLAUSE", "clause", NULL }, { "ACTION", "action", NULL }, { "RULE", "rule", NULL },
	{ "TESTS", "tests", NULL }, {}
};

static const struct column cols_member[] = {
	{ "CLAUSE", "clause", NULL }, { "FIELD", "field", NULL }, { "VALUE", "value", NULL }, {}
};

static const struct column cols_cidr[] = {
	{ "CLAUSE", "clause", NULL }, { "FIELD", "field", NULL }, { "CIDR", "cidr", NULL }, {}
};

static const struct column cols_xdeny[] = {
	{ "SOURCE", "cidr", NULL }, { "RULE", "rule", NULL }, { "RULE-ID", "rule_id", NULL }, {}
};

static const struct column cols_drops[] = {
	{ "REASON", "reason", NULL }, { "ID", "id", NULL }, { "COUNT", "count", NULL }, {}
};

static const struct view views[] = {
	{ "services", "im_svc", "service VIP:port -> name and weighted subsets",
	  build_services, cols_svc, NULL },
	{ "routes", "im_route_v2", "weighted destinations of each route",
	  build_routes, cols_route, NULL },
	{ "subsets", "im_subset_v2", "subsets: load balancer, outlier detection",
	  build_subsets, cols_subset, NULL },
	{ "endpoints", "im_ep_v3", "endpoints: labels, locality, active, ejection",
	  build_endpoints, cols_ep, NULL },
	{ "epstate", "im_ep_slot", "runtime state per host (cluster, address)",
	  build_epstate, cols_epst, NULL },
	{ "identities", "im_ident", "cgroup -> workload identity",
	  build_identities, cols_ident, NULL },
	{ "idlevels", "im_idlvl", "cgroup levels connect4 looks for workloads at",
	  view_build_idlevels, cols_idlvl, NULL },
	{ "local", "im_local", "this node's workloads: mode while not live",
	  view_build_local, cols_local, NULL },
	{ "policy", "im_wlport", "per workload port: mTLS mode and L4 policy",
	  view_build_policy, NULL, view_text_policy },
	{ "polsets", "im_polset", "policy sets", build_polsets, cols_polset, NULL },
	{ "clauses", "im_clause_v2", "policy clauses", build_clauses, cols_clause, NULL },
	{ "members", "im_member_v2", "clause members", build_members, cols_member, NULL },
	{ "cidrs", "im_member_v2", "clause networks shorter than /32",
	  build_cidrs, cols_cidr, NULL },
	{ "xdeny", "im_xdeny", "sources the XDP guard drops", build_xdeny,
	  cols_xdeny, NULL },
	{ "drops", "im_drops_v2", "drop counters by reason, summed over CPUs",
	  build_drops, cols_drops, NULL },
	{ "cfg", "im_cfg", "the live table generation", build_cfg, cols_cfg, NULL },
};

const struct view *view_all(size_t *n)
{
	*n = sizeof(views) / sizeof(views[0]);
	return views;
}

const struct view *view_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (!strcmp(name, views[i].name) || !strcmp(name, views[i].map))
			return &views[i];
	return NULL;
}
