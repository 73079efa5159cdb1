// SPDX-License-Identifier: Apache-2.0
/*
 * The verdict on one HTTP request (see l7.h), in Istio's order: a CUSTOM
 * rule that matches refuses (no external authorizer is configured here:
 * failing closed), then any DENY rule, then no ALLOW policy allows, any
 * ALLOW rule allows, else deny.
 *
 * Attributes: source.principal / namespace / trust domain from the
 * tunnel's verified peer (a plaintext peer has none: principals never
 * match it, notPrincipals always do); source.ip and remote.ip the
 * tunnel's TCP source (no trusted proxies: remote.ip is the peer);
 * destination.ip / port the workload and the CONNECT port; the request's
 * method, host (:authority) and path with its query removed. There is no
 * JWT and no TLS SNI on the request: request.auth.* and connection.sni
 * are absent (values never match, notValues always hold).
 *
 * What cannot be judged (a `when` key Istio knows and this does not, a
 * header too long to join) fails closed: a DENY or CUSTOM rule matches
 * it, an ALLOW rule does not.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "l7_int.h"

/* Room for one header's values joined with ',' (the filter refuses
 * header blocks above 60 KiB before a request is judged). */
#define L7_JOIN_MAX 65536

struct ectx {
	const struct authz_req *c;
	const struct l7_req *r;
	const char *princ;	/* "td/ns/NS/sa/SA", NULL: plaintext */
	size_t princ_len;
	const char *nssa;	/* "NS/SA" */
	size_t nssa_len;
	const char *path;	/* without the query */
	size_t path_len;
	char port[8];		/* destination port, decimal */
	bool deny_side;		/* judging a DENY/CUSTOM rule */
};

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

/* ---- fields ---- */

static bool in_nets(const struct l7_nets *s, uint32_t ip)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((ip & s->v[i].mask) == s->v[i].ip)
			return true;
	return false;
}

/* X and notX of one attribute: X (when written) matches, notX does not. */
static bool field(const struct l7_pats *x, const struct l7_pats *notx,
		  const char *s, size_t n, bool icase)
{
	return (!x->n || l7_pats_any(x, s, n, icase)) &&
	       !l7_pats_any(notx, s, n, icase);
}

static bool net_field(const struct l7_nets *x, const struct l7_nets *notx,
		      uint32_t ip)
{
	return (!x->set || in_nets(x, ip)) && !in_nets(notx, ip);
}

static bool src_match(const struct ectx *e, const struct l7_src *s)
{
	const struct authz_peer *p = &e->c->peer;
	const char *td = e->princ ? p->td : NULL, *ns = e->princ ? p->ns : NULL;

	return field(&s->princ, &s->notprinc, e->princ, e->princ_len, false) &&
	       field(&s->sa, &s->notsa, e->nssa, e->nssa_len, false) &&
	       field(&s->td, &s->nottd, td, slen(td), false) &&
	       field(&s->ns, &s->notns, ns, slen(ns), false) &&
	       field(&s->reqp, &s->notreqp, NULL, 0, false) &&
	       net_field(&s->ip, &s->notip, e->c->src_ip) &&
	       net_field(&s->rip, &s->notrip, e->c->src_ip);
}

static bool op_match(const struct ectx *e, const struct l7_op *o)
{
	const struct l7_req *r = e->r;

	return field(&o->hosts, &o->nothosts, r->host, r->host_len, true) &&
	       field(&o->ports, &o->notports, e->port, strlen(e->port),
		     false) &&
	       field(&o->methods, &o->notmethods, r->method, r->method_len,
		     false) &&
	       field(&o->paths, &o->notpaths, e->path, e->path_len, false);
}

/* ---- request.headers[...] ---- */

static __thread char joined[L7_JOIN_MAX];

/* The values of header <name> joined with ',' (pseudo-headers from the
 * request line); NULL when absent, <ok> false when too long. */
static const char *header(const struct ectx *e, const char *name, size_t nl,
			  size_t *len, bool *ok)
{
	const struct l7_req *r = e->r;
	size_t i, w = 0;
	bool found = false;

	*ok = true;
	if (nl == 7 && !strncasecmp(name, ":method", 7))
		return *len = r->method_len, r->method;
	if (nl == 5 && !strncasecmp(name, ":path", 5))
		return *len = r->path_len, r->path;
	if (nl == 10 && !strncasecmp(name, ":authority", 10))
		return *len = r->host_len, r->host;
	for (i = 0; i < r->nhdrs; i++) {
		const struct l7_hdr *h = &r->hdrs[i];

		if (h->name_len != nl || strncasecmp(h->name, name, nl))
			continue;
		if (w + found + h->value_len > sizeof(joined)) {
			*ok = false;
			return NULL;
		}
		if (found)
			joined[w++] = ',';
		memcpy(joined + w, h->value, h->value_len);
		w += h->value_len;
		found = true;
	}
	*len = w;
	return found ? joined : NULL;
}

static bool hdr_any(const struct l7_pats *ps, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (l7_hdr_match(&ps->v[i], s, n))
			return true;
	return false;
}

static bool hdr_cond(const struct ectx *e, const struct l7_cond *w)
{
	size_t n = 0;
	bool ok;
	const char *v = header(e, w->hdr, w->hdr_len, &n, &ok);

	if (!ok)
		return e->deny_side;
	return (!w->vals.n || hdr_any(&w->vals, v, n)) &&
	       !hdr_any(&w->notvals, v, n);
}

/* ---- when ---- */

static bool cond_match(const struct ectx *e, const struct l7_cond *w)
{
	const struct authz_peer *p = &e->c->peer;
	const char *ns = e->princ ? p->ns : NULL;

	switch (w->key) {
	case CK_HEADER:
		return hdr_cond(e, w);
	case CK_SRC_IP:
	case CK_REMOTE_IP:
		return net_field(&w->nets, &w->notnets, e->c->src_ip);
	case CK_DST_IP:
		return net_field(&w->nets, &w->notnets, e->c->dst_ip);
	case CK_SRC_NS:
		return field(&w->vals, &w->notvals, ns, slen(ns), false);
	case CK_SRC_PRINC:
		return field(&w->vals, &w->notvals, e->princ, e->princ_len,
			     false);
	case CK_DST_PORT:
		return field(&w->vals, &w->notvals, e->port, strlen(e->port),
			     false);
	case CK_ABSENT:
		return field(&w->vals, &w->notvals, NULL, 0, false);
	default:
		return e->deny_side;
	}
}

/* ---- rules and policies ---- */

static bool rule_match(const struct ectx *e, const struct l7_rule *r)
{
	bool from = !r->n_from, to = !r->n_to;
	size_t i;

	for (i = 0; !from && i < r->n_from; i++)
		from = src_match(e, &r->from[i]);
	for (i = 0; from && !to && i < r->n_to; i++)
		to = op_match(e, &r->to[i]);
	for (i = 0; from && to && i < r->n_when; i++)
		if (!cond_match(e, &r->when[i]))
			return false;
	return from && to;
}

/* The first rule of a policy of <action> that matches, or NULL. */
static const struct l7_rule *first_match(struct ectx *e,
					 const struct l7_wl *w,
					 enum ap_action action)
{
	size_t i, k;

	e->deny_side = action != AP_ALLOW;
	for (i = 0; i < w->n_pols; i++) {
		if (w->pols[i].action != action)
			continue;
		for (k = 0; k < w->pols[i].n_rules; k++)
			if (rule_match(e, &w->pols[i].rules[k]))
				return &w->pols[i].rules[k];
	}
	return NULL;
}

/* The peer's strings; false for an authenticated peer without a whole
 * identity, or one too long. */
static bool peer_strings(struct ectx *e, char *pbuf, size_t pn,
			 char *sbuf, size_t sn)
{
	const struct authz_peer *p = &e->c->peer;
	int a, b;

	if (!p->authenticated)
		return true;
	if (!p->td || !p->ns || !p->sa || !*p->td || !*p->ns || !*p->sa)
		return false;
	a = snprintf(pbuf, pn, "%s/ns/%s/sa/%s", p->td, p->ns, p->sa);
	b = snprintf(sbuf, sn, "%s/%s", p->ns, p->sa);
	if (a < 0 || (size_t)a >= pn || b < 0 || (size_t)b >= sn)
		return false;
	e->princ = pbuf;
	e->princ_len = (size_t)a;
	e->nssa = sbuf;
	e->nssa_len = (size_t)b;
	return true;
}

static enum authz_reason judge(struct ectx *e, const struct l7_wl *w,
			       struct l7_verdict *v)
{
	const struct l7_rule *m;

	if ((m = first_match(e, w, AP_CUSTOM)) ||
	    (m = first_match(e, w, AP_DENY))) {
		snprintf(v->rule, sizeof(v->rule), "%s", m->name);
		return AUTHZ_DENY_RULE;
	}
	if (!w->has_allow)
		return w->n_pols ? AUTHZ_ALLOW_NO_ALLOW_POLICY
				 : AUTHZ_ALLOW_NO_POLICY;
	m = first_match(e, w, AP_ALLOW);
	if (!m)
		return AUTHZ_DENY_NO_ALLOW_MATCH;
	snprintf(v->rule, sizeof(v->rule), "%s", m->name);
	return AUTHZ_ALLOW_RULE;
}

static enum authz_reason verdict(const struct l7_gen *g,
				 const struct authz_req *c,
				 const struct l7_req *r, struct l7_verdict *v)
{
	char pbuf[512], sbuf[384];
	struct ectx e = { .c = c, .r = r };
	const struct l7_wl *w;
	const char *q;

	if (!g)
		return AUTHZ_DENY_NO_TABLES;
	w = l7_wl_find(g, c->wl_ip);
	if (!w)
		return AUTHZ_DENY_UNKNOWN_DEST;
	if (!peer_strings(&e, pbuf, sizeof(pbuf), sbuf, sizeof(sbuf)))
		return AUTHZ_DENY_BAD_PEER;
	e.path = r->path;
	q = r->path ? memchr(r->path, '?', r->path_len) : NULL;
	e.path_len = q ? (size_t)(q - r->path) : r->path_len;
	snprintf(e.port, sizeof(e.port), "%u", c->dst_port);
	return judge(&e, w, v);
}

void l7_eval(const struct l7_gen *g, const struct authz_req *c,
	     const struct l7_req *r, struct l7_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->reason = verdict(g, c, r, v);
	v->allow = v->reason <= AUTHZ_ALLOW_RULE;
}
