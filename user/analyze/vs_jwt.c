// SPDX-License-Identifier: Apache-2.0
/* Istio's virtualservice.JWTClaimRouteAnalyzer (IST0149): routing on
 * "@request.auth.claims.*" headers only works where a RequestAuthentication
 * validated the token; on a gateway pod without one the match never fires. */
#include "common.h"

#include <string.h>

#define JWT_CLAIM "@request.auth.claims"

static const char *claim_in(const struct string_match *m, size_t n,
			    const struct ynode **at)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i].key && !strncmp(m[i].key, JWT_CLAIM, strlen(JWT_CLAIM))) {
			*at = m[i].at;
			return m[i].key;
		}
	}
	return NULL;
}

/* The first header key that routes on a JWT claim, and where it is. */
static const char *claim_key(const struct vs_spec *v, const struct ynode **at,
			     const char **path, struct arena *a)
{
	size_t i, j;
	const char *k;

	for (i = 0; i < v->http.n; i++) {
		for (j = 0; j < v->http.v[i].match.n; j++) {
			const struct http_match *m = &v->http.v[i].match.v[j];

			if ((k = claim_in(m->headers.v, m->headers.n, at)) ||
			    (k = claim_in(m->without_headers.v,
					  m->without_headers.n, at))) {
				*path = arena_printf(a, "spec.http[%zu].match[%zu]",
						     i, j);
				return k;
			}
		}
	}
	return NULL;
}

/* Gateway spec.selector, read from the document (Gateway is not typed). */
static bool gw_selects(const struct object *gw, const struct kvs *labels)
{
	const struct ynode *sel = ynode_get(ynode_get(gw->doc, "spec"), "selector");
	size_t i;

	for (i = 0; sel && sel->type == Y_MAP && i < sel->n; i++) {
		const struct ynode *k = sel->pairs[i].key, *v = sel->pairs[i].val;
		const char *have = k->str ? kvs_get(labels, k->str) : NULL;

		if (!have || !v->str || strcmp(have, v->str))
			return false;
	}
	return true;
}

static bool has_request_authn(struct config *c, const struct object *pod)
{
	for_each_any(c, o, K_REQUEST_AUTHENTICATION) {
		const struct ra_spec *ra = obj_ra(o);

		if (strcmp(o->ns, "istio-system") && strcmp(o->ns, pod->ns))
			continue;
		if (labels_match(&ra->selector.match_labels, &pod->meta.labels))
			return true;
	}
	return false;
}

static void check_gateway(struct config *c, struct object *vs, const char *gw,
			  const char *key, const struct ynode *at,
			  const char *path)
{
	const char *slash = strchr(gw, '/');
	const char *ns = slash ? arena_strndup(&c->arena, gw, (size_t)(slash - gw))
			       : vs->ns;
	const char *name = slash ? slash + 1 : gw;
	const struct object *g = an_find(c, "Gateway", ns, name);

	/* a missing gateway is the gateway analyzer's finding */
	if (!g)
		return;
	for_each_any(c, p, K_POD) {
		if (!gw_selects(g, &p->meta.labels) || has_request_authn(c, p))
			continue;
		diag_add(&c->diag, "IST0149", SEV_ERROR, vs, at, path,
			 arena_printf(&c->arena, "add a RequestAuthentication "
				      "(jwtRules) selecting the gateway pods "
				      "in namespace %s or istio-system", p->ns),
			 "The virtual service uses the JWT claim based routing "
			 "(key: %s) but found no request authentication for the "
			 "gateway (%s/%s) pod (%s). The request authentication "
			 "must first be applied for the gateway pods to validate "
			 "the JWT token and make the claims available for "
			 "routing.", key, ns, name, p->meta.name);
	}
}

void analyze_vs_jwt_claim_route(struct config *c)
{
	for_each_any(c, o, K_VIRTUAL_SERVICE) {
		const struct vs_spec *v = obj_vs(o);
		const struct ynode *at = NULL;
		const char *path = NULL, *key = claim_key(v, &at, &path, &c->arena);
		size_t i;

		for (i = 0; key && i < v->gateways.n; i++)
			if (strcmp(v->gateways.v[i], "mesh"))
				check_gateway(c, o, v->gateways.v[i], key, at,
					      path);
	}
}
