// SPDX-License-Identifier: Apache-2.0
/* VirtualService HTTP match requests and gateway names, after Istio's
 * validateHTTPRouteMatchRequest, validateStringMatch(Regexp) and
 * validateGatewayNames. */
#include "networking.h"

#include <string.h>
#include <strings.h>

static const char *const pseudo_headers[] = { ":method", ":scheme",
	":authority", ":path", ":status", NULL };

/* jwt.ToRoutingClaim: "@request.auth.claims.x" or "@request.auth.claims[x]" */
bool v_jwt_claim_key(const char *k)
{
	static const char pre[] = "@request.auth.claims";
	size_t l = sizeof(pre) - 1, n = strlen(k);

	if (n <= l || strncasecmp(k, pre, l))
		return false;
	if (k[l] == '.')
		return n > l + 1;
	return k[l] == '[' && k[n - 1] == ']' && n > l + 2;
}

static void header_name(const struct vctx *x, const struct string_match *h,
			const char *path)
{
	const char *k = h->key ? h->key : "";
	size_t i;

	if (!*k) {
		v_error(x->c, x->o, h->at, path, "Name the header.",
			"header name cannot be empty");
		return;
	}
	if (v_jwt_claim_key(k))
		return;
	for (i = 0; pseudo_headers[i]; i++)
		if (!strcmp(k, pseudo_headers[i]))
			return;
	if (!v_header_token(k))
		v_error(x->c, x->o, h->at, path,
			"Use a header name made of letters, digits and "
			"!#$%&'*+-.^_`|~ only.",
			"header name %s is not a valid header name", k);
}

/* <uri>: Envoy allows an empty uri prefix but not an empty prefix on the
 * other StringMatch fields. <where> is Istio's name for the field. */
static void string_match(const struct vctx *x, const struct string_match *sm,
			 const char *where, bool uri, const char *path)
{
	char why[1400];
	const char *err;
	int set = !!sm->exact + !!sm->prefix + !!sm->regex;

	if (!sm->at)
		return;
	if (set > 1) {
		v_error(x->c, x->o, sm->at, path,
			"Keep one of exact, prefix or regex.",
			"\"%s\": only one of exact, prefix or regex can be set",
			where);
		return;
	}
	if (sm->prefix && !*sm->prefix && !uri)
		v_error(x->c, x->o, vnode(sm->at, "prefix"), path,
			"Give a non-empty prefix, or remove the match to "
			"accept any value.",
			"\"%s\": prefix string match should not be empty", where);
	if (!sm->regex)
		return;
	if (!*sm->regex)
		v_error(x->c, x->o, vnode(sm->at, "regex"), path,
			"Give a regular expression, or remove the match.",
			"\"%s\": regex string match should not be empty", where);
	else if ((err = v_regex(sm->regex, where, why, sizeof(why))))
		v_error(x->c, x->o, vnode(sm->at, "regex"), path,
			"Fix the expression; it must be RE2 syntax.", "%s", err);
}

static void header_matches(const struct vctx *x, const struct http_match *m,
			   const char *path)
{
	char p[VP_LEN];
	size_t i;

	for (i = 0; i < m->headers.n; i++) {
		const struct string_match *h = &m->headers.v[i];

		vp(p, "%s.headers[%s]", path, h->key ? h->key : "");
		header_name(x, h, p);
		string_match(x, h, "headers", false, p);
	}
	for (i = 0; i < m->without_headers.n; i++) {
		const struct string_match *h = &m->without_headers.v[i];

		vp(p, "%s.withoutHeaders[%s]", path, h->key ? h->key : "");
		header_name(x, h, p);
		/* regex "*" is not RE2 here: Istio reads it as "present" */
		if (!h->regex || strcmp(h->regex, "*"))
			string_match(x, h, "withoutHeaders", false, p);
	}
	for (i = 0; i < m->query_params.n; i++) {
		const struct string_match *q = &m->query_params.v[i];

		vp(p, "%s.queryParams[%s]", path, q->key ? q->key : "");
		string_match(x, q, "queryParams", false, p);
	}
}

void vs_http_match(const struct vctx *x, const struct http_match *m,
		   const char *path)
{
	char p[VP_LEN];

	if (!m->at)
		return;
	header_matches(x, m, path);
	string_match(x, &m->uri, "uri", true, vp(p, "%s.uri", path));
	string_match(x, &m->scheme, "scheme", false, vp(p, "%s.scheme", path));
	string_match(x, &m->method, "method", false, vp(p, "%s.method", path));
	string_match(x, &m->authority, "authority", false,
		     vp(p, "%s.authority", path));
	if (m->port.set && m->port.v && !v_port_ok(m->port.v))
		v_error(x->c, x->o, vnode(m->at, "port"), vp(p, "%s.port", path),
			"Use a port number from 1 to 65535.",
			"port number %lld must be in the range 1..65535",
			(long long)m->port.v);
	v_labels(x, &m->source_labels, vp(p, "%s.sourceLabels", path));
	vs_gateway_names(x, &m->gateways, vp(p, "%s.gateways", path));
	if (m->source_namespace && *m->source_namespace &&
	    !v_dns1123_label(m->source_namespace, strlen(m->source_namespace)))
		v_error(x->c, x->o, vnode(m->at, "sourceNamespace"),
			vp(p, "%s.sourceNamespace", path),
			"Use a namespace name (a DNS-1123 label).",
			"sourceNamespace match %s is invalid", m->source_namespace);
}

static void gateway_legacy(const struct vctx *x, const char *g,
			   const struct ynode *at, const char *path)
{
	char why[512], rec[300];
	const char *dot = strchr(g, '.'), *err;

	if (dot) {
		const char *end = strchr(dot + 1, '.');
		int nl = end ? (int)(end - dot - 1) : (int)strlen(dot + 1);

		snprintf(rec, sizeof(rec), "%.*s/%.*s", nl, dot + 1,
			 (int)(dot - g), g);
		v_warn(x->c, x->o, at, path, "Write gateways as <namespace>/<name>.",
		       "using legacy gatewayName format \"%s\"; prefer the "
		       "<namespace>/<name> format: \"%s\"", g, rec);
	}
	if ((err = v_fqdn(g, why, sizeof(why))))
		v_error(x->c, x->o, at, path, "Write gateways as "
			"<namespace>/<name>, or \"mesh\".", "%s", err);
}

/* Like Istio, stops at the first name without a '/' (e.g. "mesh"). */
void vs_gateway_names(const struct vctx *x, const struct strs *g,
		      const char *path)
{
	char p[VP_LEN];
	size_t i;

	for (i = 0; i < g->n; i++) {
		const char *name = g->v[i] ? g->v[i] : "";
		const char *slash = strchr(name, '/');
		const struct ynode *at = g->at && g->at->type == Y_SEQ &&
			i < g->at->n ? g->at->items[i] : g->at;

		vp(p, "%s[%zu]", path, i);
		if (!slash) {
			gateway_legacy(x, name, at, p);
			return;
		}
		if (slash == name || !slash[1])
			v_error(x->c, x->o, at, p, "Write <namespace>/<name>.",
				"config namespace and gateway name cannot be empty");
		if (!v_dns1123_label(name, (size_t)(slash - name)))
			v_error(x->c, x->o, at, p, "Use a namespace name.",
				"invalid value for namespace: \"%.*s\"",
				(int)(slash - name), name);
		if (!v_dns1123_label(slash + 1, strlen(slash + 1)))
			v_error(x->c, x->o, at, p, "Use a Gateway name.",
				"invalid value for gateway name: \"%s\"", slash + 1);
	}
}

bool vs_applies_to_gateway(const struct vs_spec *vs)
{
	size_t i;

	if (!vs->gateways.n)
		return false;
	for (i = 0; i < vs->gateways.n; i++)
		if (vs->gateways.v[i] && !strcmp(vs->gateways.v[i], "mesh"))
			return false;
	return true;
}
