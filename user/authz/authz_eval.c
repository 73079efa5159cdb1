// SPDX-License-Identifier: Apache-2.0
/*
 * The verdict on one tunnelled connection: bpf/lib/policy.h itself,
 * compiled here over a generation's tables (policy_user.h), plus what the
 * kernel never needs: turning the peer's SPIFFE id into the interned ids
 * and naming the rule that decided.
 *
 * The kernel only ever judges the mesh's own workloads, whose identities
 * the compile interned and expanded patterns against. A tunnel's peer may
 * carry an identity the tables do not know (a certificate of the mesh CA
 * for a service account no workload uses): where the workload's policies
 * test principals or namespaces, such a peer is refused, since patterns
 * like "*" or notPrincipals could not be judged for it.
 */
#include <string.h>

#include "authz_int.h"
#include "policy_user.h"
#include "../../bpf/lib/policy.h"

/* The generation the current thread evaluates, and the last clause the
 * walk read: where it stopped, the clause that decided. */
static __thread const struct authz_gen *cur;
static __thread uint32_t last_clause;

void *im_umap_lookup(const struct im_umap *m, const void *key)
{
	uint32_t i;

	switch (m->kind) {
	case IM_UMAP_WLPORT:
		return (void *)kset_get(&cur->wlport, key);
	case IM_UMAP_MEMBER:
		return (void *)kset_get(&cur->member, key);
	case IM_UMAP_POLSET:
		memcpy(&i, key, sizeof(i));
		return i < cur->n_polsets ? &cur->polsets[i] : NULL;
	case IM_UMAP_CLAUSE:
		memcpy(&i, key, sizeof(i));
		last_clause = i;
		return i < cur->n_clauses ? &cur->clauses[i] : NULL;
	}
	return NULL;
}

static uint32_t id_of(const struct hmap *m, const char *s, size_t n)
{
	return (uint32_t)(uintptr_t)hmap_getn(m, s, n);
}

/* Appends <s> to <buf> (<n> bytes used of <cap>); false when full. */
static bool put(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (l >= cap - *n)
		return false;
	memcpy(buf + *n, s, l);
	*n += l;
	return true;
}

/* The peer's ids; false when it cannot be judged at all. Principals are
 * "td/ns/NS/sa/SA", as compile_authz.c interns them. */
static bool peer_ids(const struct authz_gen *g, const struct authz_peer *p,
		     struct im_peer *out)
{
	char id[512];
	size_t n = 0;

	if (!p->authenticated)
		return true;
	if (!p->td || !p->ns || !p->sa || !*p->td || !*p->ns || !*p->sa)
		return false;
	if (!put(id, sizeof(id), &n, p->td) || !put(id, sizeof(id), &n, "/ns/") ||
	    !put(id, sizeof(id), &n, p->ns) || !put(id, sizeof(id), &n, "/sa/") ||
	    !put(id, sizeof(id), &n, p->sa))
		return false;
	out->principal = id_of(&g->principals, id, n);
	out->ns = id_of(&g->namespaces, p->ns, strlen(p->ns));
	return true;
}

/* An authenticated identity the tables lack, where the set tests it. */
static bool peer_unknown(const struct authz_gen *g, uint32_t set,
			 const struct authz_peer *p, const struct im_peer *ip)
{
	unsigned char f = set < g->n_polsets ? g->polset_ids[set] : 0;

	if (!p->authenticated)
		return false;
	return (!ip->principal && (f & (IM_F_PRINC | IM_F_NOTPRINC))) ||
	       (!ip->ns && (f & (IM_F_NS | IM_F_NOTNS)));
}

static void decided(const struct authz_gen *g, struct authz_verdict *v,
		    enum authz_reason why)
{
	v->reason = why;
	v->allow = why <= AUTHZ_ALLOW_RULE;
	if ((why == AUTHZ_ALLOW_RULE || why == AUTHZ_DENY_RULE) &&
	    last_clause < g->n_clauses) {
		v->rule_id = g->clauses[last_clause].rule_id;
		v->rule = v->rule_id < g->n_rules ? g->rules[v->rule_id] : NULL;
	}
}

/* The kernel's answer, with the reason only userspace tells apart. */
static enum authz_reason walk(const struct authz_gen *g, uint32_t set,
			      const struct im_peer *p,
			      const struct authz_req *r)
{
	uint32_t drop = im_policy_verdict(0, set, p, r->dst_ip, r->dst_port);

	if (drop == IM_DROP_POLICY_DENY)
		return AUTHZ_DENY_RULE;
	if (drop != IM_DROP_NONE)
		return AUTHZ_DENY_NO_ALLOW_MATCH;
	/* allowed: by a clause only if the set has ALLOW clauses (a DENY
	 * match never allows) */
	return g->polsets[set].has_allow ? AUTHZ_ALLOW_RULE
					 : AUTHZ_ALLOW_NO_ALLOW_POLICY;
}

static enum authz_reason judge(const struct authz_gen *g,
			       const struct authz_req *r,
			       struct authz_verdict *v, bool kernel)
{
	struct im_peer p = { .ip = r->src_ip };
	struct im_wlport *wp;
	bool exact;

	if (!g)
		return AUTHZ_DENY_NO_TABLES;
	wp = im_wlport_find(0, r->wl_ip, htons(r->dst_port), &exact);
	/* a port judged per HTTP request carries the kernel's wider L7 set;
	 * a CONNECT alone there is judged by the TCP reduction, the
	 * workload's own set (port 0): the HTTP filter judges the requests */
	if (wp && (wp->flags & IM_WLPORT_L7) && !kernel)
		wp = im_wlport_find(0, r->wl_ip, 0, &exact);
	if (!wp)
		return AUTHZ_DENY_UNKNOWN_DEST;
	v->polset = wp->polset;
	if (!wp->polset)
		return AUTHZ_ALLOW_NO_POLICY;
	if (!peer_ids(g, &r->peer, &p))
		return AUTHZ_DENY_BAD_PEER;
	if (peer_unknown(g, wp->polset, &r->peer, &p))
		return AUTHZ_DENY_UNKNOWN_PEER;
	if (wp->polset >= g->n_polsets)
		return AUTHZ_DENY_NO_ALLOW_MATCH;	/* as the kernel: closed */
	return walk(g, wp->polset, &p, r);
}

static void eval(const struct authz_gen *g, const struct authz_req *r,
		 struct authz_verdict *v, bool kernel)
{
	memset(v, 0, sizeof(*v));
	cur = g;
	last_clause = UINT32_MAX;
	decided(g, v, judge(g, r, v, kernel));
}

void authz_eval(const struct authz_gen *g, const struct authz_req *r,
		struct authz_verdict *v)
{
	eval(g, r, v, false);
}

void authz_eval_kernel(const struct authz_gen *g, const struct authz_req *r,
		       struct authz_verdict *v)
{
	eval(g, r, v, true);
}

const char *authz_reason_name(enum authz_reason r)
{
	static const char *const names[AUTHZ_REASON_MAX] = {
		[AUTHZ_ALLOW_NO_POLICY] = "no_policy",
		[AUTHZ_ALLOW_NO_ALLOW_POLICY] = "no_allow_policy",
		[AUTHZ_ALLOW_RULE] = "allow_rule",
		[AUTHZ_DENY_RULE] = "deny_rule",
		[AUTHZ_DENY_NO_ALLOW_MATCH] = "no_allow_match",
		[AUTHZ_DENY_UNKNOWN_PEER] = "unknown_peer",
		[AUTHZ_DENY_UNKNOWN_DEST] = "unknown_destination",
		[AUTHZ_DENY_NO_TABLES] = "no_tables",
		[AUTHZ_DENY_BAD_PEER] = "bad_peer",
	};

	return (unsigned)r < AUTHZ_REASON_MAX ? names[r] : "unknown";
}
