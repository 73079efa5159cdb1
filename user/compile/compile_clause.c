// SPDX-License-Identifier: Apache-2.0
/*
 * One clause of the kernel's policy walk: one (from entry x to entry) of a
 * rule, with the rule's `when` conditions, in the fields im_clause knows.
 * Principals and namespaces are expanded against the identities the mesh
 * has (patterns "*", "prefix*", "*suffix" as Istio matches them), so the
 * kernel only does exact lookups. Fields that restrict the same attribute
 * twice (principals and serviceAccounts, ipBlocks, remoteIpBlocks and the
 * source.ip/remote.ip conditions) are intersected; not-fields are united.
 * Address lists become exact addresses and prefixes (see enum im_field).
 *
 * `when` keys, as Istio evaluates them on an L4 (TCP) connection:
 * source.principal, source.namespace, source.ip, remote.ip (the peer
 * itself: no PROXY protocol here), destination.ip (the workload address
 * the connection reaches) and destination.port, values and notValues.
 * connection.sni: the kernel judges the application's own TCP connection,
 * plaintext, whose SNI is empty. Istio (Envoy's requested_server_name)
 * then matches no value ("*" too needs a non-empty one) and every
 * notValues list: a clause with sni values never matches, so it is left
 * out whether ALLOW or DENY; sni notValues hold and are dropped.
 *
 * What im_clause cannot express (any other key) fails closed: an ALLOW
 * clause is dropped (it allows nothing), a DENY clause ignores it (it
 * denies more). Both are noted in the log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile_clause.h"

bool ct_pattern_match(const char *pat, const char *s)
{
	size_t lp = strlen(pat), ls = strlen(s);

	if (!strcmp(pat, "*"))
		return ls > 0;
	if (lp && pat[lp - 1] == '*')
		return !strncmp(pat, s, lp - 1);
	if (pat[0] == '*')
		return ls >= lp - 1 && !strcmp(s + ls - (lp - 1), pat + 1);
	return !strcmp(pat, s);
}

static bool vset_has(const struct vset *s, uint32_t x)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return true;
	return false;
}

static int vset_add(struct vset *s, uint32_t x)
{
	if (vset_has(s, x))
		return 0;
	if (s->n == s->cap && grow((void **)&s->v, &s->cap, sizeof(*s->v)))
		return -ENOMEM;
	s->v[s->n++] = x;
	return 0;
}

/* <s> &= <x>; the first constraint just becomes the set. */
static int vset_and(struct vset *s, struct vset *x)
{
	size_t i, k = 0;

	if (!s->set) {
		free(s->v);
		*s = *x;
		s->set = true;
		memset(x, 0, sizeof(*x));
		return 0;
	}
	for (i = 0; i < s->n; i++)
		if (vset_has(x, s->v[i]))
			s->v[k++] = s->v[i];
	s->n = k;
	free(x->v);
	memset(x, 0, sizeof(*x));
	return 0;
}

static int vset_or(struct vset *s, struct vset *x)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < x->n; i++)
		err = vset_add(s, x->v[i]);
	free(x->v);
	memset(x, 0, sizeof(*x));
	return err;
}

/* ---- expanding values into ids ---- */

enum pmatch { PM_PATTERN, PM_SA, PM_TD };

/* "ns/sa" or "sa" (the policy's namespace) against "td/ns/NS/sa/SA". */
static bool sa_match(const char *v, const char *pol_ns, const char *id)
{
	const char *slash = strchr(v, '/'), *p = strchr(id, '/');
	size_t nl = slash ? (size_t)(slash - v) : strlen(pol_ns);
	const char *ns = slash ? v : pol_ns, *sa = slash ? slash + 1 : v;

	if (!p || strncmp(p, "/ns/", 4) || strncmp(p + 4, ns, nl) ||
	    strncmp(p + 4 + nl, "/sa/", 4))
		return false;
	return !strcmp(p + 8 + nl, sa);
}

static bool id_match(enum pmatch how, const char *v, const char *pol_ns,
		     const char *id)
{
	size_t l = strlen(v);

	switch (how) {
	case PM_SA:
		return sa_match(v, pol_ns, id);
	case PM_TD:
		return !strncmp(id, v, l) && id[l] == '/';
	default:
		return ct_pattern_match(v, id);
	}
}

static int expand(const struct intern *known, const char *const *vals,
		  size_t n, enum pmatch how, const char *pol_ns,
		  struct vset *out)
{
	size_t i, j;
	int err = 0;

	for (i = 0; !err && i < known->n; i++)
		for (j = 0; j < n; j++)
			if (id_match(how, vals[j], pol_ns, known->v[i])) {
				err = vset_add(out, (uint32_t)i + 1);
				break;
			}
	return err;
}

static int ports_of(const char *const *vals, size_t n, struct vset *out)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < n; i++)
		err = vset_add(out, (uint32_t)strtoul(vals[i], NULL, 10));
	return err;
}

/* ---- constraints ---- */

static int pos(struct vset *field, const struct intern *known,
	       const char *const *v, size_t n, enum pmatch how,
	       const char *pol_ns)
{
	struct vset x = { 0 };
	int err;

	if (!n)
		return 0;
	err = known ? expand(known, v, n, how, pol_ns, &x) : ports_of(v, n, &x);
	return err ? err : vset_and(field, &x);
}

static int neg(struct vset *field, const struct intern *known,
	       const char *const *v, size_t n, enum pmatch how,
	       const char *pol_ns)
{
	struct vset x = { 0 };
	int err;

	if (!n)
		return 0;
	err = known ? expand(known, v, n, how, pol_ns, &x) : ports_of(v, n, &x);
	return err ? err : vset_or(field, &x);
}

/* ---- address lists ---- */

/* <a> lies inside <b>. */
static bool net_in(const struct ct_net *a, const struct ct_net *b)
{
	uint32_t m = b->plen ? htonl(~0U << (32 - b->plen)) : 0;

	return a->plen >= b->plen && (a->ip & m) == b->ip;
}

static int net_add(struct netset *s, const struct ct_net *x)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].ip == x->ip && s->v[i].plen == x->plen)
			return 0;
	if (s->n == s->cap && grow((void **)&s->v, &s->cap, sizeof(*s->v)))
		return -ENOMEM;
	s->v[s->n++] = *x;
	return 0;
}

/* IPv6 values are left out: an IPv4 connection is never in them. */
static int nets_of(const char *const *v, size_t n, struct netset *out)
{
	struct ct_net x;
	unsigned int plen;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		if (!ct_cidr4(v[i], &x.ip, &plen))
			continue;
		x.plen = (uint8_t)plen;
		err = net_add(out, &x);
	}
	return err;
}

/* <s> &= <x>: an address in one network of each list is in the smaller
 * of two nested networks (CIDRs either nest or are disjoint). */
static int netset_and(struct netset *s, struct netset *x)
{
	struct netset r = { .set = true };
	size_t i, j;
	int err = 0;

	if (!s->set) {
		free(s->v);
		*s = *x;
		s->set = true;
		memset(x, 0, sizeof(*x));
		return 0;
	}
	for (i = 0; !err && i < s->n; i++)
		for (j = 0; !err && j < x->n; j++)
			if (net_in(&s->v[i], &x->v[j]))
				err = net_add(&r, &s->v[i]);
			else if (net_in(&x->v[j], &s->v[i]))
				err = net_add(&r, &x->v[j]);
	free(s->v);
	free(x->v);
	memset(x, 0, sizeof(*x));
	*s = r;
	return err;
}

static int netset_or(struct netset *s, struct netset *x)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < x->n; i++)
		err = net_add(s, &x->v[i]);
	free(x->v);
	memset(x, 0, sizeof(*x));
	return err;
}

static int ip_pos(struct netset *field, const char *const *v, size_t n)
{
	struct netset x = { 0 };
	int err;

	if (!n)
		return 0;
	err = nets_of(v, n, &x);
	if (err) {
		free(x.v);
		return err;
	}
	return netset_and(field, &x);
}

static int ip_neg(struct netset *field, const char *const *v, size_t n)
{
	struct netset x = { 0 };
	int err = nets_of(v, n, &x);

	if (err) {
		free(x.v);
		return err;
	}
	return netset_or(field, &x);
}

#define SV(s) (const char *const *)(s).v, (s).n

int cb_source(struct clause_b *cb, const struct ap_source *s)
{
	const struct intern *P = cb->principals, *N = cb->namespaces;
	const char *ns = cb->pol_ns;
	int err = 0;

	err = err ?: pos(&cb->princ, P, SV(s->principals), PM_PATTERN, ns);
	err = err ?: pos(&cb->princ, P, SV(s->service_accounts), PM_SA, ns);
	err = err ?: pos(&cb->princ, P, SV(s->trust_domains), PM_TD, ns);
	err = err ?: neg(&cb->notprinc, P, SV(s->not_principals), PM_PATTERN, ns);
	err = err ?: neg(&cb->notprinc, P, SV(s->not_service_accounts), PM_SA, ns);
	err = err ?: neg(&cb->notprinc, P, SV(s->not_trust_domains), PM_TD, ns);
	err = err ?: pos(&cb->ns, N, SV(s->namespaces), PM_PATTERN, ns);
	err = err ?: neg(&cb->notns, N, SV(s->not_namespaces), PM_PATTERN, ns);
	/* without PROXY protocol, remote.ip is the peer's address */
	err = err ?: ip_pos(&cb->src, SV(s->ip_blocks));
	err = err ?: ip_pos(&cb->src, SV(s->remote_ip_blocks));
	err = err ?: ip_neg(&cb->notsrc, SV(s->not_ip_blocks));
	err = err ?: ip_neg(&cb->notsrc, SV(s->not_remote_ip_blocks));
	return err;
}

int cb_operation(struct clause_b *cb, const struct ap_operation *o)
{
	int err = pos(&cb->ports, NULL, SV(o->ports), PM_PATTERN, NULL);

	return err ?: neg(&cb->notports, NULL, SV(o->not_ports), PM_PATTERN,
			  NULL);
}

int cb_when(struct clause_b *cb, const struct ap_condition *w)
{
	const char *k = w->key ? w->key : "";
	const char *ns = cb->pol_ns;
	int err = 0;

	if (!strcmp(k, "source.principal")) {
		err = pos(&cb->princ, cb->principals, SV(w->values), PM_PATTERN, ns);
		err = err ?: neg(&cb->notprinc, cb->principals,
				 SV(w->not_values), PM_PATTERN, ns);
	} else if (!strcmp(k, "source.namespace")) {
		err = pos(&cb->ns, cb->namespaces, SV(w->values), PM_PATTERN, ns);
		err = err ?: neg(&cb->notns, cb->namespaces,
				 SV(w->not_values), PM_PATTERN, ns);
	} else if (!strcmp(k, "source.ip") || !strcmp(k, "remote.ip")) {
		err = ip_pos(&cb->src, SV(w->values));
		err = err ?: ip_neg(&cb->notsrc, SV(w->not_values));
	} else if (!strcmp(k, "destination.ip")) {
		err = ip_pos(&cb->dst, SV(w->values));
		err = err ?: ip_neg(&cb->notdst, SV(w->not_values));
	} else if (!strcmp(k, "connection.sni")) {
		if (w->values.n)	/* empty SNI: see the top of the file */
			cb->never = "connection.sni values never match a "
				    "connection without TLS";
	} else if (!strcmp(k, "destination.port")) {
		err = pos(&cb->ports, NULL, SV(w->values), PM_PATTERN, NULL);
		err = err ?: neg(&cb->notports, NULL, SV(w->not_values),
				 PM_PATTERN, NULL);
	} else {
		cb->unrep = "a `when` condition the kernel cannot test";
	}
	return err;
}

/* ---- emitting ---- */

static int emit_ids(struct tables *t, uint32_t clause, uint8_t field,
		    const struct vset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct ct_member *m = CT_PUSH(t, members);

		if (!m)
			return -ENOMEM;
		m->clause = clause;
		m->field = field;
		m->value = s->v[i];
	}
	return 0;
}

/* Address field <kind>: each network, of any length, a member keyed by
 * its length (see enum im_field). */
static int emit_nets(struct tables *t, uint32_t clause, uint8_t kind,
		     const struct netset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct ct_net *x = &s->v[i];
		struct ct_cidr *c = CT_PUSH(t, cidrs);

		if (!c)
			return -ENOMEM;
		*c = (struct ct_cidr){ clause, kind, x->plen, x->ip };
	}
	return 0;
}

/* The lengths of the networks of <s>: the lookups the programs make. */
static uint64_t plens_of(const struct netset *s)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		m |= 1ULL << s->v[i].plen;
	return m;
}

/* Which address fields the clause tests beyond im_clause.fields. */
static uint16_t cb_ext(const struct clause_b *cb)
{
	uint16_t x = 0;

	x |= cb->dst.set ? IM_X_DIP : 0;
	x |= cb->notdst.n ? IM_X_NOTDIP : 0;
	return x;
}

/* Field bits: a positive field always counts (empty = matches nobody); a
 * negative one only when it excludes someone. */
static uint8_t cb_fields(const struct clause_b *cb)
{
	uint8_t f = 0;

	f |= cb->princ.set ? IM_F_PRINC : 0;
	f |= cb->notprinc.n ? IM_F_NOTPRINC : 0;
	f |= cb->ns.set ? IM_F_NS : 0;
	f |= cb->notns.n ? IM_F_NOTNS : 0;
	f |= cb->src.set ? IM_F_IPB : 0;
	f |= cb->notsrc.n ? IM_F_NOTIPB : 0;
	f |= cb->ports.set ? IM_F_PORTS : 0;
	f |= cb->notports.n ? IM_F_NOTPORTS : 0;
	return f;
}

int cb_emit(struct clause_b *cb, struct tables *t, enum im_action action,
	    uint32_t rule_id)
{
	uint32_t idx = (uint32_t)t->n_clauses;
	struct im_clause *c = CT_PUSH(t, clauses);
	int err;

	if (!c)
		return -ENOMEM;
	c->action = (uint8_t)action;
	c->fields = cb_fields(cb);
	c->ext = cb_ext(cb);
	c->plens[IM_A_IPB] = plens_of(&cb->src);
	c->plens[IM_A_NOTIPB] = plens_of(&cb->notsrc);
	c->plens[IM_A_DIP] = plens_of(&cb->dst);
	c->plens[IM_A_NOTDIP] = plens_of(&cb->notdst);
	c->rule_id = rule_id;
	err = emit_ids(t, idx, IM_F_PRINC, &cb->princ);
	err = err ?: emit_ids(t, idx, IM_F_NOTPRINC, &cb->notprinc);
	err = err ?: emit_ids(t, idx, IM_F_NS, &cb->ns);
	err = err ?: emit_ids(t, idx, IM_F_NOTNS, &cb->notns);
	err = err ?: emit_ids(t, idx, IM_F_PORTS, &cb->ports);
	err = err ?: emit_ids(t, idx, IM_F_NOTPORTS, &cb->notports);
	err = err ?: emit_nets(t, idx, IM_F_IPB, &cb->src);
	err = err ?: emit_nets(t, idx, IM_F_NOTIPB, &cb->notsrc);
	err = err ?: emit_nets(t, idx, IM_K_DIP, &cb->dst);
	return err ?: emit_nets(t, idx, IM_K_NOTDIP, &cb->notdst);
}

void cb_free(struct clause_b *cb)
{
	free(cb->princ.v);
	free(cb->notprinc.v);
	free(cb->ns.v);
	free(cb->notns.v);
	free(cb->ports.v);
	free(cb->notports.v);
	free(cb->src.v);
	free(cb->notsrc.v);
	free(cb->dst.v);
	free(cb->notdst.v);
}
