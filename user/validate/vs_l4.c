// SPDX-License-Identifier: Apache-2.0
/* VirtualService tls[] and tcp[] routes, after Istio's validateTLSRoute,
 * validateTLSMatch, validateSniHost, validateTCPRoute, validateTCPMatch and
 * validateRouteDestinations. */
#include "networking.h"

#include <stdio.h>
#include <string.h>

static void route_destinations(const struct vctx *x, const struct l4_route *r,
			       const char *path)
{
	char p[VP_LEN];
	uint32_t total = 0;
	bool sum = true;
	size_t i;

	for (i = 0; i < r->route.n; i++) {
		const struct route_dest *d = &r->route.v[i];

		vp(p, "%s.route[%zu]", path, i);
		vs_route_dest(x, d->at, &d->destination, &d->weight, p, &total,
			      &sum);
	}
	if (sum) /* no total when a weight could not even be decoded */
		vs_weight_total(x, r->route.n, total, vnode(r->at, "route"),
				vp(p, "%s.route", path));
}

/* What TCP and TLS matches share. */
static void l4_match(const struct vctx *x, const struct l4_match *m,
		     const char *path)
{
	char p[VP_LEN], why[512];
	const char *err;
	size_t i;

	for (i = 0; i < m->destination_subnets.n; i++)
		if ((err = v_ip_subnet(m->destination_subnets.v[i], why,
				       sizeof(why))))
			v_error(x->c, x->o, vnode(m->at, "destinationSubnets"),
				vp(p, "%s.destinationSubnets[%zu]", path, i),
				"Use an IP address or a CIDR block.", "%s", err);
	if (m->port.set && m->port.v && !v_port_ok(m->port.v))
		v_error(x->c, x->o, vnode(m->at, "port"), vp(p, "%s.port", path),
			"Use a port number from 1 to 65535.",
			"port number %lld must be in the range 1..65535",
			(long long)m->port.v);
	v_labels(x, &m->source_labels, vp(p, "%s.sourceLabels", path));
	vs_gateway_names(x, &m->gateways, vp(p, "%s.gateways", path));
}

static bool vs_is_gateway(const struct vs_spec *vs)
{
	size_t i;

	/* Istio's isGateway: true unless "mesh" is listed, even when the
	 * list is empty. */
	for (i = 0; i < vs->gateways.n; i++)
		if (vs->gateways.v[i] && !strcmp(vs->gateways.v[i], "mesh"))
			return false;
	return true;
}

static void join_hosts(const struct vs_spec *vs, char *buf, size_t n)
{
	size_t i, o = 0;

	buf[0] = 0;
	for (i = 0; i < vs->hosts.n && o + 1 < n; i++) {
		o += snprintf(buf + o, n - o, "%s%s", i ? ", " : "",
			      vs->hosts.v[i] ? vs->hosts.v[i] : "");
	}
}

static void sni_host(const struct vctx *x, const struct vs_spec *vs,
		     const char *sni, const struct ynode *at, const char *path)
{
	char why[512], hosts[512];
	const char *err;
	size_t i;

	if ((err = v_gateway_host(vs_is_gateway(vs), sni, why, sizeof(why)))) {
		if (v_ip(sni))
			v_warn(x->c, x->o, at, path, "Match on a host name.",
			       "using an IP address (\"%s\") goes against SNI "
			       "spec and most clients do not support this", sni);
		else
			v_error(x->c, x->o, at, path, "Use a host name.", "%s",
				err);
		return;
	}
	for (i = 0; i < vs->hosts.n; i++)
		if (vs->hosts.v[i] && host_subset_of(sni, vs->hosts.v[i]))
			return;
	join_hosts(vs, hosts, sizeof(hosts));
	v_error(x->c, x->o, at, path, "List only SNI names covered by the "
		"VirtualService's hosts.", "SNI host \"%s\" is not a compatible "
		"subset of any of the virtual service hosts: [%s]", sni, hosts);
}

static void tls_match(const struct vctx *x, const struct vs_spec *vs,
		      const struct l4_match *m, const char *path)
{
	char p[VP_LEN];
	size_t i;

	if (!m->sni_hosts.n)
		v_error(x->c, x->o, m->at, path, "Add sniHosts.",
			"TLS match must have at least one SNI host");
	for (i = 0; i < m->sni_hosts.n; i++)
		sni_host(x, vs, m->sni_hosts.v[i] ? m->sni_hosts.v[i] : "",
			 m->sni_hosts.at && i < m->sni_hosts.at->n &&
			 m->sni_hosts.at->type == Y_SEQ ?
			 m->sni_hosts.at->items[i] : m->at,
			 vp(p, "%s.sniHosts[%zu]", path, i));
	l4_match(x, m, path);
}

void vs_tls_route(const struct vctx *x, const struct vs_spec *vs,
		  const struct l4_route *r, const char *path)
{
	char p[VP_LEN];
	size_t i;

	if (!r->match.n)
		v_error(x->c, x->o, r->at, path, "Add a match with sniHosts.",
			"TLS route must have at least one match condition");
	for (i = 0; i < r->match.n; i++)
		tls_match(x, vs, &r->match.v[i], vp(p, "%s.match[%zu]", path, i));
	if (!r->route.n)
		v_error(x->c, x->o, r->at, path, "Add route with a destination.",
			"TLS route is required");
	route_destinations(x, r, path);
}

void vs_tcp_route(const struct vctx *x, const struct l4_route *r,
		  const char *path)
{
	char p[VP_LEN];
	size_t i;

	for (i = 0; i < r->match.n; i++)
		l4_match(x, &r->match.v[i], vp(p, "%s.match[%zu]", path, i));
	if (!r->route.n)
		v_error(x->c, x->o, r->at, path, "Add route with a destination.",
			"TCP route is required");
	route_destinations(x, r, path);
}
