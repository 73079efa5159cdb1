// SPDX-License-Identifier: Apache-2.0
/*
 * Identities, PeerAuthentication modes and L4 AuthorizationPolicy sets.
 * Every workload with an IPv4 address gets its mode per port and its policy
 * set (connect4 judges a call at the source, wherever the destination
 * runs); only this node's workloads get a cgroup identity, and connect4
 * gets the levels of those cgroups (a process below one is that
 * workload). Workloads with the same enforced policies share one policy
 * set. DENY clauses come first (the kernel's walk stops at the first
 * match).
 *
 * Ports judged per HTTP request (model_l7_ports) get a second set, the
 * L7 form of the same policies: wider, never narrower, than the agent's
 * verdicts on the requests, since the kernel cannot see a request. An
 * ALLOW rule keeps its L4 parts, its HTTP fields taken as "could match"
 * (not dropped, as on TCP ports); a DENY rule with HTTP fields is left to
 * the requests (not widened to every connection). Those ports are flagged
 * IM_WLPORT_L7: plaintext that bypasses the agent is dropped there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_clause.h"

/* The workload a policy set was made for, and in which form. */
struct set_owner {
	const struct model_workload *mw;
	bool l7;
};

struct pol_ctx {
	const struct compile_in *in;
	struct tables *t;
	struct intern rules;		/* rule names -> rule_id */
	struct set_owner *set_owner;	/* by polset index */
	size_t cap_owner;
};

static bool enforced(const struct ap_eff *p)
{
	return !p->dry_run &&
	       (p->action == AP_ALLOW || p->action == AP_DENY);
}

static bool is_local(const struct compile_in *in, const struct workload *w)
{
	return in->node && w->node && !strcmp(w->node, in->node);
}

/* "spiffe://td/ns/NS/sa/SA" -> "td/ns/NS/sa/SA", as principals are written */
static const char *principal_of(const struct model_workload *mw)
{
	const char *id = mw->identity ? mw->identity : "";

	return strncmp(id, "spiffe://", 9) ? id : id + 9;
}

static int intern_identities(const struct compile_in *in)
{
	size_t i;

	for (i = 0; i < in->m->n_wls; i++) {
		const struct model_workload *mw = &in->m->wls[i];

		if (!intern_id(in->principals, principal_of(mw)) ||
		    !intern_id(in->namespaces, mw->wl->ns))
			return -ENOMEM;
	}
	return 0;
}

/* ---- clauses of one rule ---- */

static int rule_clause(struct pol_ctx *pc, const struct ap_eff *p,
		       const struct ap_rule *r, size_t f, size_t to,
		       uint32_t rule_id, const char *rname)
{
	struct clause_b cb = {
		.principals = pc->in->principals,
		.namespaces = pc->in->namespaces, .pol_ns = p->obj->ns,
	};
	size_t i;
	int err = 0;

	if (r->from.n)
		err = cb_source(&cb, &r->from.v[f].source);
	if (!err && r->to.n)
		err = cb_operation(&cb, &r->to.v[to].operation);
	for (i = 0; !err && i < r->when.n; i++)
		err = cb_when(&cb, &r->when.v[i]);
	if (!err && cb.never)	/* matches nothing: ALLOW or DENY, gone */
		ct_note(pc->t, "%s: %s; this clause never matches", rname,
			cb.never);
	else if (!err && cb.unrep)
		ct_note(pc->t, "%s: %s; %s", rname, cb.unrep,
			p->action == AP_ALLOW ? "this ALLOW clause is left out"
					      : "this DENY clause denies more");
	if (!err && !cb.never && !(cb.unrep && p->action == AP_ALLOW))
		err = cb_emit(&cb, pc->t, p->action == AP_DENY ? IM_ACT_DENY
							       : IM_ACT_ALLOW,
			      rule_id);
	cb_free(&cb);
	return err;
}

/* The rule as the kernel judges it, or NULL when it has no part there.
 * TCP ports: Istio's reduction (an ALLOW rule with HTTP fields is gone).
 * L7 ports: see the top of the file; <tmp> holds the stripped form. */
static const struct ap_rule *kernel_form(struct pol_ctx *pc,
					 const struct ap_eff *p,
					 const struct ap_rule_eff *re, bool l7,
					 struct ap_rule_eff *tmp)
{
	if (re->fate == L4_AS_WRITTEN)
		return &re->l4;
	if (!l7)
		return re->fate == L4_DROPPED ? NULL : &re->l4;
	if (p->action != AP_ALLOW)
		return NULL;
	/* what DENY's reduction does: HTTP fields removed, wider */
	authz_reduce_rule(&pc->t->arena, re->rule, AP_DENY, tmp);
	return &tmp->l4;
}

static int rule_clauses(struct pol_ctx *pc, const struct ap_eff *p, size_t i,
			bool l7)
{
	const struct ap_rule_eff *re = &p->rules[i];
	struct ap_rule_eff tmp;
	const struct ap_rule *r = kernel_form(pc, p, re, l7, &tmp);
	size_t nf, nt, f, to;
	char name[320];
	uint32_t id;
	int err = 0;

	if (!r)
		return 0;
	nf = r->from.n ? r->from.n : 1;
	nt = r->to.n ? r->to.n : 1;
	snprintf(name, sizeof(name), "%s/%s rules[%zu]", p->obj->ns,
		 p->obj->meta.name ? p->obj->meta.name : "", re->index);
	id = intern_id(&pc->rules, name);
	if (!id)
		return -ENOMEM;
	for (f = 0; !err && f < nf; f++)
		for (to = 0; !err && to < nt; to++)
			err = rule_clause(pc, p, r, f, to, id, name);
	return err;
}

/* ---- policy sets ---- */

static size_t n_enforced(const struct authz_eff *a)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		n += enforced(&a->v[i]);
	return n;
}

static bool same_policies(const struct authz_eff *a, const struct authz_eff *b)
{
	size_t i = 0, j = 0;

	if (a->has_allow != b->has_allow)
		return false;
	for (;;) {
		while (i < a->n && !enforced(&a->v[i]))
			i++;
		while (j < b->n && !enforced(&b->v[j]))
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		if (a->v[i++].obj != b->v[j++].obj)
			return false;
	}
}

static int policy_clauses(struct pol_ctx *pc, const struct ap_eff *p, bool l7)
{
	size_t i;
	int err = 0;

	if (p->action == AP_CUSTOM && !p->dry_run)
		ct_note(pc->t, "%s: CUSTOM (external authorization) is not "
			"enforced by the kernel", p->obj->resource);
	if (!enforced(p))
		return 0;
	for (i = 0; !err && i < p->n_rules; i++)
		err = rule_clauses(pc, p, i, l7);
	return err;
}

/* A policy set over IM_POLSET_CLAUSES: its policies are recorded (the
 * agent rejects the new ones); meanwhile the set refuses every caller,
 * as an ALLOW policy nobody matches would. */
static int too_many_clauses(struct pol_ctx *pc,
			    const struct model_workload *mw, size_t n)
{
	const char *what = arena_printf(&pc->t->arena, "the policies of "
					"%s/%s would make %zu L4 clauses, the "
					"kernel tables hold %u per workload",
					mw->wl->ns, mw->wl->name, n,
					IM_POLSET_CLAUSES);
	size_t i;
	int err = what ? 0 : -ENOMEM;

	for (i = 0; !err && i < mw->authz.n; i++)
		err = ct_overflow(pc->t, mw->authz.v[i].obj, what);
	return err;
}

static int new_polset(struct pol_ctx *pc, const struct model_workload *mw,
		      bool l7, uint32_t *out)
{
	struct im_polset ps = { .first = (uint32_t)pc->t->n_clauses,
				.has_allow = mw->authz.has_allow };
	struct im_polset *slot;
	size_t i, n;
	char name[256];
	int err = 0;

	for (i = 0; !err && i < mw->authz.n; i++)	/* DENY before ALLOW */
		err = policy_clauses(pc, &mw->authz.v[i], l7);
	if (err)
		return err;
	n = pc->t->n_clauses - ps.first;
	if (n > IM_POLSET_CLAUSES) {
		err = too_many_clauses(pc, mw, n);
		if (err)
			return err;
		pc->t->n_clauses = ps.first;	/* fails closed: refuses all */
		ps.has_allow = 1;
		n = 0;
	}
	ps.n = (uint16_t)n;
	*out = (uint32_t)pc->t->n_polsets;
	slot = CT_PUSH(pc->t, polsets);
	if (!slot)
		return -ENOMEM;
	*slot = ps;
	snprintf(name, sizeof(name), "%s/%s%s", mw->wl->ns, mw->wl->name,
		 l7 ? " (HTTP ports)" : "");
	return CT_NAME(pc->t, polset_names, *out, name);
}

static int polset_of(struct pol_ctx *pc, const struct model_workload *mw,
		     bool l7, uint32_t *out)
{
	size_t k;
	int err;

	*out = 0;
	if (!n_enforced(&mw->authz) && !mw->authz.has_allow)
		return 0;
	for (k = 1; k < pc->t->n_polsets; k++)
		if (pc->set_owner[k].l7 == l7 &&
		    same_policies(&pc->set_owner[k].mw->authz, &mw->authz)) {
			*out = (uint32_t)k;
			return 0;
		}
	err = new_polset(pc, mw, l7, out);
	if (err)
		return err;
	if (*out >= pc->cap_owner &&
	    grow((void **)&pc->set_owner, &pc->cap_owner,
		    sizeof(*pc->set_owner)))
		return -ENOMEM;
	pc->set_owner[*out] = (struct set_owner){ mw, l7 };
	return 0;
}

/* ---- workload ports and identities ---- */

uint8_t ct_mode(enum mtls_mode m)
{
	switch (m) {
	case MTLS_STRICT:
		return IM_MODE_STRICT;
	case MTLS_DISABLE:
		return IM_MODE_DISABLE;
	default:
		return IM_MODE_PERMISSIVE;
	}
}

static int put_wlport(struct tables *t, uint32_t ip, uint32_t port,
		      enum mtls_mode mode, uint32_t polset, bool l7)
{
	struct ct_wlport *w = CT_PUSH(t, wlports);

	if (!w)
		return -ENOMEM;
	w->ip = ip;
	w->port = htons((uint16_t)port);
	w->v.mode = ct_mode(mode);
	w->v.polset = polset;
	w->v.flags = l7 ? IM_WLPORT_L7 : 0;
	return 0;
}

static bool has_mtls_port(const struct model_workload *mw, uint32_t port)
{
	size_t i;

	for (i = 0; i < mw->mtls.n_ports; i++)
		if (mw->mtls.ports[i].port == port)
			return true;
	return false;
}

/* Port 0 carries the workload's mode and TCP set; portLevelMtls ports
 * their own mode; ports judged per request (<l7>, <n>) the L7 set. */
static int put_wlports(struct pol_ctx *pc, const struct model_workload *mw,
		       uint32_t ip, const struct l7_port_eff *l7, size_t n)
{
	uint32_t set, set7 = 0;
	size_t i;
	int err = polset_of(pc, mw, false, &set);

	if (!err && n)
		err = polset_of(pc, mw, true, &set7);
	err = err ?: put_wlport(pc->t, ip, 0, mw->mtls.mode, set, false);
	for (i = 0; !err && i < mw->mtls.n_ports; i++) {
		uint32_t port = mw->mtls.ports[i].port;
		bool is7 = l7_family_of(l7, n, port) != L7F_NONE;

		err = put_wlport(pc->t, ip, port, mw->mtls.ports[i].mode,
				 is7 ? set7 : set, is7);
	}
	for (i = 0; !err && i < n; i++)
		if (!has_mtls_port(mw, l7[i].port))
			err = put_wlport(pc->t, ip, l7[i].port, mw->mtls.mode,
					 set7, true);
	return err;
}

static int compile_wlports(struct pol_ctx *pc, const struct model_workload *mw,
			   uint32_t ip)
{
	struct l7_port_eff few[32], *v = few;
	size_t n = model_l7_ports(pc->in->m, mw, few, 32);
	int err;

	if (n > 32) {
		v = malloc(n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		n = model_l7_ports(pc->in->m, mw, v, n);
	}
	err = put_wlports(pc, mw, ip, v, n);
	if (v != few)
		free(v);
	return err;
}

/* Components of cgroup path <p> below the root ("a//b/." is 2). */
static unsigned int path_depth(const char *p)
{
	unsigned int n = 0;
	size_t len;

	while (*p) {
		len = strcspn(p, "/");
		n += len && !(len == 1 && *p == '.');
		p += len + (p[len] == '/');
	}
	return n;
}

/* Adds <lvl> to the levels connect4 walks, deepest first. */
static int idlvl_add(struct tables *t, unsigned int lvl, const char *cg)
{
	struct im_idlvl *lv = &t->idlvl;
	unsigned int i, j;

	for (i = 0; i < lv->n && lv->level[i] >= lvl; i++)
		if (lv->level[i] == lvl)
			return 0;
	if (lvl > UINT8_MAX || lv->n >= IM_IDENT_LEVELS) {
		snprintf(t->error, sizeof(t->error),
			 "cgroup %s is at level %u, a new level of workload "
			 "cgroups; the kernel looks for identities at %u "
			 "levels, at most 255 deep: nothing applied, the "
			 "previous tables stay", cg, lvl, IM_IDENT_LEVELS);
		return -E2BIG;
	}
	for (j = lv->n++; j > i; j--)
		lv->level[j] = lv->level[j - 1];
	lv->level[i] = (uint8_t)lvl;
	return 0;
}

static int compile_ident(struct pol_ctx *pc, const struct model_workload *mw,
			 uint32_t ip)
{
	const struct compile_in *in = pc->in;
	const struct workload *w = mw->wl;
	struct ct_ident *id;
	uint64_t cg;

	if (!is_local(in, w) || !w->cgroup || !in->cgroup_id)
		return 0;
	cg = in->cgroup_id(in->ctx, w->cgroup);
	if (!cg) {
		ct_note(pc->t, "cgroup %s of %s/%s does not exist: its calls "
			"are not judged at the source", w->cgroup, w->ns,
			w->name);
		return 0;
	}
	if (in->root_level == COMPILE_LEVEL_UNKNOWN) {
		ct_note(pc->t, "cgroup %s of %s/%s: the cgroup root's level "
			"in the cgroup v2 hierarchy is unknown, so is this "
			"cgroup's: its calls are not judged at the source (the "
			"destination's guard still judges them)", w->cgroup,
			w->ns, w->name);
		return 0;
	}
	if (idlvl_add(pc->t, in->root_level + path_depth(w->cgroup),
		      w->cgroup))
		return -E2BIG;
	id = CT_PUSH(pc->t, idents);
	if (!id)
		return -ENOMEM;
	id->cgroup = cg;
	id->v.principal = intern_find(in->principals, principal_of(mw));
	id->v.ns = intern_find(in->namespaces, w->ns);
	id->v.ip = ip;
	return CT_NAME(pc->t, cgroup_names, cg, w->cgroup);
}

static int compile_workload(struct pol_ctx *pc, const struct model_workload *mw)
{
	uint32_t ip = 0;
	bool v4 = ct_ipv4(mw->wl->address, &ip);
	int err = v4 ? compile_wlports(pc, mw, ip) : 0;

	return err ?: compile_ident(pc, mw, v4 ? ip : 0);
}

/* ---- sources the XDP guard drops for the whole node ---- */

static bool has_policy(const struct authz_eff *a, const struct object *o)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].obj == o && enforced(&a->v[i]))
			return true;
	return false;
}

/* Whether DENY policy <o> applies to every local workload (and there is
 * at least one). */
static bool node_wide(const struct pol_ctx *pc, const struct object *o)
{
	const struct model *m = pc->in->m;
	size_t i, n = 0;

	for (i = 0; i < m->n_wls; i++) {
		if (!is_local(pc->in, m->wls[i].wl))
			continue;
		if (!has_policy(&m->wls[i].authz, o))
			return false;
		n++;
	}
	return n > 0;
}

/* A source with nothing but ipBlocks: the address alone decides. */
static bool only_ip_blocks(const struct ap_source *s)
{
	return s->ip_blocks.n && !s->not_ip_blocks.n && !s->principals.n &&
	       !s->not_principals.n && !s->namespaces.n &&
	       !s->not_namespaces.n && !s->service_accounts.n &&
	       !s->not_service_accounts.n && !s->remote_ip_blocks.n &&
	       !s->not_remote_ip_blocks.n && !s->trust_domains.n &&
	       !s->not_trust_domains.n && !s->request_principals.n &&
	       !s->not_request_principals.n;
}

static int xdeny_source(struct pol_ctx *pc, const struct ap_source *s,
			uint32_t rule_id)
{
	unsigned int plen;
	uint32_t ip;
	size_t i;

	for (i = 0; i < s->ip_blocks.n; i++) {
		struct ct_xdeny *x;

		if (!ct_cidr4(s->ip_blocks.v[i], &ip, &plen))
			continue;
		x = CT_PUSH(pc->t, xdeny);
		if (!x)
			return -ENOMEM;
		x->ip = ip;
		x->plen = (uint8_t)plen;
		x->rule_id = rule_id;
	}
	return 0;
}

static int xdeny_policy(struct pol_ctx *pc, const struct ap_eff *p)
{
	char name[320];
	size_t i, f;
	int err = 0;

	for (i = 0; !err && i < p->n_rules; i++) {
		const struct ap_rule_eff *re = &p->rules[i];

		if (re->fate != L4_AS_WRITTEN || re->l4.to.n || re->l4.when.n)
			continue;
		snprintf(name, sizeof(name), "%s/%s rules[%zu]", p->obj->ns,
			 p->obj->meta.name ? p->obj->meta.name : "", re->index);
		for (f = 0; !err && f < re->l4.from.n; f++)
			if (only_ip_blocks(&re->l4.from.v[f].source))
				err = xdeny_source(pc, &re->l4.from.v[f].source,
						   intern_id(&pc->rules, name));
	}
	return err;
}

static int compile_xdeny(struct pol_ctx *pc)
{
	const struct model *m = pc->in->m;
	const struct model_workload *first = NULL;
	size_t i;
	int err = 0;

	for (i = 0; !first && i < m->n_wls; i++)
		if (is_local(pc->in, m->wls[i].wl))
			first = &m->wls[i];
	for (i = 0; first && !err && i < first->authz.n; i++) {
		const struct ap_eff *p = &first->authz.v[i];

		if (p->action == AP_DENY && enforced(p) && node_wide(pc, p->obj))
			err = xdeny_policy(pc, p);
	}
	return err;
}

static int name_rules(struct pol_ctx *pc)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < pc->rules.n; i++)
		err = CT_NAME(pc->t, rule_names, i + 1, pc->rules.v[i]);
	return err;
}

int ct_policies(const struct compile_in *in, struct tables *t)
{
	struct pol_ctx pc = { .in = in, .t = t };
	size_t i;
	int err = intern_identities(in);

	for (i = 0; !err && i < in->m->n_wls; i++)
		err = compile_workload(&pc, &in->m->wls[i]);
	err = err ?: compile_xdeny(&pc);
	err = err ?: name_rules(&pc);
	intern_free(&pc.rules);
	free(pc.set_owner);
	return err;
}
