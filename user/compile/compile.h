/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resolved model of one node, compiled into the dataplane's table
 * entries (include/infermesh/dataplane.h). PURE: no syscalls, no globals;
 * the only fact from outside (a cgroup's id) comes through a callback, so
 * unit tests drive it with a model in and entries out.
 *
 * What goes in:
 *   - every service with an IPv4 VIP, per port: the route an L4 connection
 *     takes (a VirtualService tcp route, or the first http route that has
 *     no condition but the port), its weighted subsets, their endpoints
 *     with locality priorities relative to the node, the load-balancer
 *     policy and the outlier-detection parameters;
 *   - every workload with an address: its PeerAuthentication mode per port
 *     and its L4 AuthorizationPolicy set (Istio's TCP reduction: ALLOW
 *     rules with HTTP-only fields dropped, DENY rules stripped), so connect4
 *     can judge a call at the source;
 *   - the identity (SPIFFE id, namespace) of each local workload's cgroup.
 * Ids of principals and namespaces are interned in tables the caller keeps
 * across compiles, so an identity keeps its number while the agent runs.
 */
#ifndef IM_COMPILE_H
#define IM_COMPILE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "infermesh/dataplane.h"
#include "../model/model.h"

/* Strings numbered 1, 2, ... in the order first seen; never renumbered. */
struct intern {
	char **v;
	size_t n, cap;
};

/* 0 when absent. */
uint32_t intern_find(const struct intern *t, const char *s);
/* The id of <s>, added when new; 0 on allocation failure. */
uint32_t intern_id(struct intern *t, const char *s);
void intern_free(struct intern *t);

/* Entries keyed by address: addresses and ports in network order. */
struct ct_svc {
	uint32_t vip;
	uint16_t port;
	struct im_svc v;
};

struct ct_ident {
	uint64_t cgroup;
	struct im_ident v;
};

struct ct_wlport {
	uint32_t ip;
	uint16_t port;
	struct im_wlport v;
};

struct ct_member {
	uint32_t clause;	/* within the generation */
	uint8_t field;		/* enum im_field */
	uint32_t value;		/* principal/namespace id or port (host
				   order); addresses are ct_cidr entries */
};

/* A network (/0 to /32) of an address field: dp_put_cidr. */
struct ct_cidr {
	uint32_t clause;
	uint8_t field;
	uint8_t plen;
	uint32_t ip;
};

struct ct_xdeny {
	uint32_t ip;
	uint8_t plen;
	uint32_t rule_id;
};

/* A numbered name: service, route, subset, rule, policy set, cgroup. */
struct ct_name {
	uint64_t id;
	const char *name;
};

struct ct_endpoint {
	uint32_t ip;
	const struct workload *wl;
	const char *locality;
};

/*
 * An object that makes a table entry bigger than the kernel holds (a
 * subset over IM_SUBSET_EPS endpoints, a route over IM_ROUTE_DSTS
 * destinations, a policy set over IM_POLSET_CLAUSES clauses). The entry
 * is compiled failing closed (no endpoint, no destination, or a policy
 * set that refuses every caller) and everything else as usual: the agent
 * rejects such objects on their own and compiles again.
 */
struct ct_overflow {
	const struct object *obj;	/* one object adding to the entry */
	const char *what;		/* the entry, its size and the limit */
};

#define CT_ARRAY(T, name) T *name; size_t n_##name, cap_##name

/* One complete table set, as written under one generation. */
struct tables {
	CT_ARRAY(struct ct_svc, svcs);
	CT_ARRAY(struct im_route, routes);
	CT_ARRAY(struct im_subset, subsets);
	CT_ARRAY(struct im_ep, eps);
	CT_ARRAY(struct ct_ident, idents);
	struct im_idlvl idlvl;	/* the levels of the idents' cgroups */
	CT_ARRAY(struct ct_wlport, wlports);
	CT_ARRAY(struct im_polset, polsets);	/* [0]: "no policy" */
	CT_ARRAY(struct im_clause, clauses);
	CT_ARRAY(struct ct_member, members);
	CT_ARRAY(struct ct_cidr, cidrs);
	CT_ARRAY(struct ct_xdeny, xdeny);
	/* names, for `infermesh maps` and the log */
	CT_ARRAY(struct ct_name, svc_names);	/* by svc_id */
	CT_ARRAY(struct ct_name, route_names);
	CT_ARRAY(struct ct_name, subset_names);
	CT_ARRAY(struct ct_name, rule_names);	/* by rule_id */
	CT_ARRAY(struct ct_name, polset_names);
	CT_ARRAY(struct ct_name, cgroup_names);
	CT_ARRAY(struct ct_endpoint, endpoints);
	/* what was left out and why, one line each */
	CT_ARRAY(const char *, notes);
	CT_ARRAY(struct ct_overflow, overflows);
	const char *locality;	/* the node's, as used; NULL: unknown */
	struct arena arena;	/* strings above */
	char error[256];	/* why compile failed */
};

#define COMPILE_LEVEL_UNKNOWN UINT_MAX

struct compile_in {
	const struct model *m;
	const char *node;	/* infermesh.io/node of the local workloads */
	const char *locality;	/* region/zone/subzone; NULL: from them */
	/* The id of cgroup <path> (relative to the cgroup root); 0 when it
	 * does not exist. NULL: no identities. */
	uint64_t (*cgroup_id)(void *ctx, const char *path);
	void *ctx;
	/* Level of the cgroup root in the cgroup v2 hierarchy (its mount
	 * is level 0): a workload's cgroup "a/b" sits at root_level + 2.
	 * COMPILE_LEVEL_UNKNOWN when it cannot be told: no workload gets an
	 * identity (at a guessed level connect4 would never find it), and
	 * a note names each one. */
	unsigned int root_level;
	struct intern *principals;	/* "td/ns/NS/sa/SA" */
	struct intern *namespaces;
};

/*
 * Compiles <in> into <t> (initialised here). Returns 0 (entries too big
 * for the kernel are in t->overflows), -E2BIG when the tables as a whole
 * would exceed the maps (t->error says which and by how much), or
 * -ENOMEM. Free <t> with tables_free() in every case.
 */
int compile_tables(const struct compile_in *in, struct tables *t);
void tables_free(struct tables *t);

/* This node's mesh workloads for im_local (dp_sync_local): <n> addresses
 * (network order) and their namespace/mesh defaults. */
struct ct_locals {
	uint32_t *ips;
	struct im_local *v;
	size_t n, cap_ips, cap_v;
};

/*
 * Every Pod and WorkloadEntry of <c> placed on <node>, valid or rejected
 * (so a workload is guarded by its defaults even when its own objects or
 * the tables are not live), once per address; mode: its namespace's, else
 * the mesh's PeerAuthentication. Returns 0 or -ENOMEM; free <out> with
 * ct_locals_free() in every case.
 */
int ct_locals(struct config *c, const char *node, struct ct_locals *out);
void ct_locals_free(struct ct_locals *l);

/* ---- pieces, exported for the unit tests ---- */

/* Istio's util.LocalityMatch: <rule> "region[/zone[/subzone]]" with "*"
 * segments against <loc>. */
bool ct_locality_match(const char *loc, const char *rule);
/* Istio's LbPriority (0 same subzone, 1 same zone, 2 same region, 3 other)
 * extended with failover: 4 when the client's region has a failover rule
 * whose `to` is not <ep>'s region. */
unsigned int ct_failover_prio(const char *client, const char *ep,
			      const struct locality_lb *setting);
/* Istio's principal/namespace match: "*", "prefix*", "*suffix", exact. */
bool ct_pattern_match(const char *pattern, const char *s);

#endif
