// SPDX-License-Identifier: Apache-2.0
/* VirtualService: Istio's ValidateVirtualService. Errors are IST0106 (the
 * webhook would refuse the object), warnings IST0133; then the unreachable
 * rule analysis (IST0130 / IST0131), which Istio also runs as part of
 * validation. Routes are checked in vs_http.c and vs_l4.c. */
#include "networking.h"

#include <stdio.h>
#include <string.h>

/* A VirtualService without hosts is a delegate: only http routes. */
static void delegate_vs(const struct vctx *x, const struct vs_spec *vs)
{
	static const char *fix = "Delegate VirtualServices hold http routes "
				 "only; the root VirtualService sets the rest.";

	if (vs->gateways.n)
		v_error(x->c, x->o, vs->gateways.at, "spec.gateways", fix,
			"delegate virtual service must have no gateways specified");
	if (vs->tls.n)
		v_error(x->c, x->o, vnode(vs->at, "tls"), "spec.tls", fix,
			"delegate virtual service must have no tls route specified");
	if (vs->tcp.n)
		v_error(x->c, x->o, vnode(vs->at, "tcp"), "spec.tcp", fix,
			"delegate virtual service must have no tcp route specified");
}

/* "@request.auth.claims" routing needs a gateway: sidecars have no JWT. */
static void jwt_routes(const struct vctx *x, const struct vs_spec *vs)
{
	char p[VP_LEN], gw[VP_LEN];
	size_t o = 0;
	size_t i, j, k;

	/* Go's %v of the gateways list: [a b] */
	gw[o++] = '[';
	for (i = 0; i < vs->gateways.n && o < VP_LEN - 2; i++)
		o += snprintf(gw + o, VP_LEN - 2 - o, "%s%s", i ? " " : "",
			      vs->gateways.v[i] ? vs->gateways.v[i] : "");
	if (o > VP_LEN - 2)
		o = VP_LEN - 2;
	snprintf(gw + o, VP_LEN - o, "]");
	for (i = 0; i < vs->http.n; i++) {
		const struct http_route *r = &vs->http.v[i];

		for (j = 0; j < r->match.n; j++) {
			const struct http_match *m = &r->match.v[j];
			const struct string_match *h[2] = { m->headers.v,
							    m->without_headers.v };
			size_t nh[2] = { m->headers.n, m->without_headers.n };

			for (k = 0; k < nh[0] + nh[1]; k++) {
				const struct string_match *e = k < nh[0] ?
					&h[0][k] : &h[1][k - nh[0]];

				if (!e->key || !v_jwt_claim_key(e->key))
					continue;
				v_error(x->c, x->o, e->at, vp(p, "spec.http[%zu]"
					".match[%zu]", i, j), "Bind the "
					"VirtualService to a gateway, where "
					"the JWT is checked.",
					"JWT claim based routing (key: %s) is "
					"only supported for gateway, found no "
					"gateways: %s", e->key, gw);
			}
		}
	}
}

static const struct ynode *host_node(const struct vs_spec *vs, size_t i)
{
	const struct ynode *l = vs->hosts.at;

	return l && l->type == Y_SEQ && i < l->n ? l->items[i] : l;
}

static void hosts(const struct vctx *x, const struct vs_spec *vs,
		  bool gateway)
{
	char p[VP_LEN], why[512];
	bool sni = false, all_valid = true;
	size_t i, j;

	for (i = 0; i < vs->tls.n; i++)
		for (j = 0; j < vs->tls.v[i].match.n; j++)
			sni |= vs->tls.v[i].match.v[j].sni_hosts.n > 0;
	for (i = 0; i < vs->hosts.n; i++) {
		const char *h = vs->hosts.v[i] ? vs->hosts.v[i] : "";
		const char *err = gateway ? v_gateway_host(sni, h, why, sizeof(why)) :
					    v_wildcard_domain(h, why, sizeof(why));

		vp(p, "spec.hosts[%zu]", i);
		if (err && !v_ip(h)) {
			v_error(x->c, x->o, host_node(vs, i), p, "Use a service "
				"name, an FQDN or *.domain.", "%s", err);
			all_valid = false;
		} else if (!err && !gateway && !strcmp(h, "*")) {
			v_error(x->c, x->o, host_node(vs, i), p, "Name the "
				"hosts, or bind the VirtualService to a gateway.",
				"wildcard host * is not allowed for virtual "
				"services bound to the mesh gateway");
			all_valid = false;
		}
	}
	for (i = 0; all_valid && i < vs->hosts.n; i++)
		for (j = i + 1; j < vs->hosts.n; j++)
			if (host_matches(vs->hosts.v[i], vs->hosts.v[j]))
				v_error(x->c, x->o, host_node(vs, j),
					vp(p, "spec.hosts[%zu]", j), "Remove "
					"the host already covered.",
					"duplicate hosts in virtual service: "
					"%s & %s", vs->hosts.v[i], vs->hosts.v[j]);
}

static void routes(const struct vctx *x, const struct vs_spec *vs)
{
	char p[VP_LEN];
	size_t i;

	if (!vs->http.n && !vs->tcp.n && !vs->tls.n)
		v_error(x->c, x->o, vs->at, "spec", "Add http, tcp or tls routes.",
			"http, tcp or tls must be provided in virtual service");
	for (i = 0; i < vs->http.n; i++)
		vs_http_route(x, &vs->http.v[i], !vs->hosts.n,
			      vp(p, "spec.http[%zu]", i));
	for (i = 0; i < vs->tls.n; i++)
		vs_tls_route(x, vs, &vs->tls.v[i], vp(p, "spec.tls[%zu]", i));
	for (i = 0; i < vs->tcp.n; i++)
		vs_tcp_route(x, &vs->tcp.v[i], vp(p, "spec.tcp[%zu]", i));
}

void validate_vs(struct config *c, struct object *o)
{
	const struct vs_spec *vs = obj_vs(o);
	const struct vctx x = { c, o };
	bool gateway;

	if (!vs)
		return;
	gateway = vs_applies_to_gateway(vs);
	if (!vs->hosts.n)
		delegate_vs(&x, vs);
	if (vs->gateways.n)
		vs_gateway_names(&x, &vs->gateways, "spec.gateways");
	if (!gateway)
		jwt_routes(&x, vs);
	hosts(&x, vs, gateway);
	routes(&x, vs);
	v_export_to(c, o, &vs->export_to, false, "spec.exportTo");
	vs_unreachable(&x, vs);
}
