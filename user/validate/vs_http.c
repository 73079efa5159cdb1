// SPDX-License-Identifier: Apache-2.0
/* One VirtualService HTTP route, after Istio's validateHTTPRoute: what the
 * route does (route / redirect / directResponse / delegate, exclusive),
 * its matches, header edits, mirrors, destinations and timeout. The
 * policies (retries, fault, redirect, rewrite, CORS) are in
 * vs_http_policy.c. */
#include "networking.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void conflict(const struct vctx *x, const struct ynode *at,
		     const char *path, const char *msg)
{
	v_error(x->c, x->o, at, path,
		"Give the rule one action: route, redirect, directResponse "
		"or delegate.", "%s", msg);
}

/* A root route (with delegate) may hold nothing else that acts. */
static bool root_conflicts(const struct vctx *x, const struct http_route *r,
			   const char *path)
{
	const char *name = r->name ? r->name : "";
	char m[VP_LEN];

	if (!r->delegate.at)
		return false;
	if (r->redirect.at)
		conflict(x, r->redirect.at, path, vp(m, "root HTTP route %s must "
			 "not specify redirect", name));
	if (r->route.v)
		conflict(x, vnode(r->at, "route"), path, vp(m, "root HTTP route "
			 "%s must not specify route", name));
	return true;
}

static void action_conflicts(const struct vctx *x, const struct http_route *r,
			     bool delegate_vs, const char *path)
{
	const struct ynode *at = r->at;

	if (!delegate_vs && root_conflicts(x, r, path))
		return;
	if (delegate_vs && r->delegate.at)
		conflict(x, r->delegate.at, path,
			 "delegate HTTP route cannot contain delegate");
	if (r->redirect.at) {
		if (r->route.n)
			conflict(x, at, path, "HTTP route cannot contain both "
				 "route and redirect");
		if (r->fault.at)
			conflict(x, at, path, "HTTP route cannot contain both "
				 "fault and redirect");
		if (r->rewrite.at)
			conflict(x, at, path, "HTTP route rule cannot contain "
				 "both rewrite and redirect");
		if (r->direct_response.at)
			conflict(x, at, path, "HTTP route rule cannot contain "
				 "both direct_response and redirect");
	} else if (r->direct_response.at) {
		if (r->route.n)
			conflict(x, at, path, "HTTP route cannot contain both "
				 "route and direct_response");
		if (r->fault.at)
			conflict(x, at, path, "HTTP route cannot contain both "
				 "fault and direct_response");
		if (r->rewrite.at)
			conflict(x, at, path, "HTTP route rule cannot contain "
				 "both rewrite and direct_response");
	} else if (!r->route.n) {
		conflict(x, at, path,
			 "HTTP route, redirect or direct_response is required");
	}
	if (r->mirror.at && r->mirrors.n)
		v_error(x->c, x->o, r->mirror.at, path,
			"Keep either mirror or mirrors (the list).",
			"HTTP route cannot contain both mirror and mirrors");
}

static bool internal_header(const char *k)
{
	return k[0] == ':' || !strcasecmp(k, "host");
}

static bool authority_header(const char *k)
{
	return !strcasecmp(k, ":authority") || !strcasecmp(k, "host");
}

/* ValidateHTTPHeaderValue: no control characters, and '%' only in pairs
 * (Envoy's %VARIABLE% syntax; "%%" is a literal '%'). Istio parses the
 * variables; counting the '%' is the approximation used here. */
static const char *header_value_error(const char *v)
{
	size_t pct = 0;

	for (; *v; v++) {
		unsigned char ch = (unsigned char)*v;

		if ((ch <= 0x08) || (ch >= 0x0a && ch <= 0x1f) || ch == 0x7f)
			return "header value configuration is invalid: it "
			       "contains a control character";
		pct += ch == '%';
	}
	if (pct % 2)
		return "header value configuration: single % not allowed. "
		       "Escape by doubling to %% or encase Envoy variable name "
		       "in pair of %";
	return NULL;
}

/* <authority_ok>: request add/set, where :authority and host may be set. */
static void header_name_op(const struct vctx *x, const char *k,
			   const struct ynode *at, bool authority_ok,
			   const char *path)
{
	if (!k || !*k)
		v_error(x->c, x->o, at, path, "Name the header.",
			"header name cannot be empty");
	else if (!authority_ok && !strcasecmp(k, "host"))
		v_error(x->c, x->o, at, path, "Use rewrite.authority to change "
			"the Host header.", "invalid header \"%s\": cannot set "
			"Host header", k);
	else if (internal_header(k) && !(authority_ok && authority_header(k)))
		v_error(x->c, x->o, at, path, "Remove the pseudo-header; Envoy "
			"does not let it be edited.", "invalid header \"%s\": "
			"header cannot have \":\" prefix", k);
}

static void header_kvs(const struct vctx *x, const struct kvs *m,
		       bool authority_ok, const char *path)
{
	char p[VP_LEN];
	const char *err;
	size_t i;

	for (i = 0; i < m->n; i++) {
		vp(p, "%s[%s]", path, m->v[i].key ? m->v[i].key : "");
		header_name_op(x, m->v[i].key, m->v[i].at, authority_ok, p);
		if ((err = header_value_error(m->v[i].val ? m->v[i].val : "")))
			v_error(x->c, x->o, m->v[i].at, p, "Double a literal "
				"'%' (%%), and use no control characters.",
				"%s", err);
	}
}

static void header_ops(const struct vctx *x, const struct headers *h,
		       const char *path)
{
	char p[VP_LEN];
	size_t i;

	if (!h->at)
		return;
	header_kvs(x, &h->request.add, true, vp(p, "%s.request.add", path));
	header_kvs(x, &h->request.set, true, vp(p, "%s.request.set", path));
	header_kvs(x, &h->response.add, false, vp(p, "%s.response.add", path));
	header_kvs(x, &h->response.set, false, vp(p, "%s.response.set", path));
	for (i = 0; i < h->request.remove.n; i++)
		header_name_op(x, h->request.remove.v[i], h->request.remove.at,
			       false, vp(p, "%s.request.remove[%zu]", path, i));
	for (i = 0; i < h->response.remove.n; i++)
		header_name_op(x, h->response.remove.v[i], h->response.remove.at,
			       false, vp(p, "%s.response.remove[%zu]", path, i));
}

bool vs_weight(const struct vctx *x, const struct ynode *dest_at,
	       const struct opt_i64 *w, const char *path, uint32_t *total)
{
	if (!w->set)
		return true;
	if (!v_int32(x, dest_at, "weight", w, path))
		return false;
	if (w->v < 0)
		v_error(x->c, x->o, vnode(dest_at, "weight"), path,
			"Use a weight of 0 or more; weights are relative.",
			"weight %lld < 0", (long long)w->v);
	*total += (uint32_t)w->v; /* Go sums int32: wraps the same way */
	return true;
}

void vs_weight_total(const struct vctx *x, size_t n, uint32_t total,
		     const struct ynode *at, const char *path)
{
	if (n > 1 && total == 0)
		v_error(x->c, x->o, at, path,
			"Give at least one destination a weight above 0.",
			"total destination weight = 0");
}

void vs_route_dest(const struct vctx *x, const struct ynode *at,
		   const struct destination *dst, const struct opt_i64 *weight,
		   const char *path, uint32_t *total, bool *sum)
{
	char q[VP_LEN];

	if (!dst->at)
		v_error(x->c, x->o, at, path, "Add destination.host.",
			"destination is required");
	v_destination(x, dst, vp(q, "%s.destination", path));
	*sum &= vs_weight(x, at, weight, vp(q, "%s.weight", path), total);
}

static void destinations(const struct vctx *x, const struct http_route *r,
			 const char *path)
{
	char p[VP_LEN], q[VP_LEN];
	uint32_t total = 0;
	bool sum = true;
	size_t i;

	for (i = 0; i < r->route.n; i++) {
		const struct http_route_dest *d = &r->route.v[i];

		vp(p, "%s.route[%zu]", path, i);
		header_ops(x, &d->headers, vp(q, "%s.headers", p));
		vs_route_dest(x, d->at, &d->destination, &d->weight, p, &total,
			      &sum);
	}
	if (sum) /* no total when a weight could not even be decoded */
		vs_weight_total(x, r->route.n, total, vnode(r->at, "route"),
				vp(p, "%s.route", path));
}

static void mirror_percent(const struct vctx *x, const struct ynode *at,
			   double v, const char *what, const char *path)
{
	if (v > 100)
		v_error(x->c, x->o, at, path, "Use a percentage up to 100.",
			"%s must have a max value of 100 (it has %f)", what, v);
	if (v < 0)
		v_error(x->c, x->o, at, path, "Use a percentage from 0.",
			"%s must have a min value of 0 (it has %f)", what, v);
}

static void mirrors(const struct vctx *x, const struct http_route *r,
		    const char *path)
{
	char p[VP_LEN], q[VP_LEN];
	size_t i;

	if (r->mirror_percent.set) {
		if (v_uint32(x, r->at, "mirrorPercent", &r->mirror_percent,
			     vp(p, "%s.mirrorPercent", path)) &&
		    r->mirror_percent.v > 100)
			v_error(x->c, x->o, vnode(r->at, "mirrorPercent"), p,
				"Use a percentage up to 100.", "mirror_percent "
				"must have a max value of 100 (it has %lld)",
				(long long)r->mirror_percent.v);
		v_warn(x->c, x->o, vnode(r->at, "mirrorPercent"), p,
		       "Use mirrorPercentage: {value: N}.",
		       "using deprecated setting \"mirrorPercent\", use "
		       "\"mirrorPercentage\" instead");
	}
	if (r->mirror_percentage.at)
		mirror_percent(x, r->mirror_percentage.at,
			       r->mirror_percentage.value.v, "mirror_percentage",
			       vp(p, "%s.mirrorPercentage", path));
	v_destination(x, &r->mirror, vp(p, "%s.mirror", path));
	for (i = 0; i < r->mirrors.n; i++) {
		const struct mirror_policy *m = &r->mirrors.v[i];

		vp(p, "%s.mirrors[%zu]", path, i);
		if (!m->destination.at) {
			v_error(x->c, x->o, m->at, p, "Add destination.host.",
				"destination is required for mirrors");
			continue;
		}
		v_destination(x, &m->destination, vp(q, "%s.destination", p));
		if (m->percentage.at)
			mirror_percent(x, m->percentage.at, m->percentage.value.v,
				       "mirror percentage",
				       vp(q, "%s.percentage", p));
	}
}

void vs_http_route(const struct vctx *x, const struct http_route *r,
		   bool delegate_vs, const char *path)
{
	char p[VP_LEN];
	size_t i;

	action_conflicts(x, r, delegate_vs, path);
	for (i = 0; i < r->match.n; i++)
		vs_http_match(x, &r->match.v[i], vp(p, "%s.match[%zu]", path, i));
	header_ops(x, &r->headers, vp(p, "%s.headers", path));
	vs_cors(x, r->cors_policy, vp(p, "%s.corsPolicy", path));
	vs_fault(x, &r->fault, vp(p, "%s.fault", path));
	mirrors(x, r, path);
	vs_redirect(x, &r->redirect, vp(p, "%s.redirect", path));
	vs_direct_response(x, &r->direct_response,
			   vp(p, "%s.directResponse", path));
	vs_retries(x, &r->retries, vp(p, "%s.retries", path));
	vs_rewrite(x, r, path);
	destinations(x, r, path);
	v_duration(x, r->at, "timeout", &r->timeout, vp(p, "%s.timeout", path));
}
