// SPDX-License-Identifier: Apache-2.0
/* Upstream TLS and protocol pitfalls (IM1070..IM1079): TLS originated on
 * top of TLS the application already speaks, and HTTP settings on ports
 * that carry no HTTP the proxy can see. */
#include <stdio.h>
#include <string.h>

#include "pitfalls.h"

/* Ports whose bytes are already TLS when the application sends them. */
static bool app_speaks_tls(const char *proto)
{
	return !strcmp(proto, "TLS") || !strcmp(proto, "HTTPS");
}

/* Ports the proxy sees as HTTP (or may, after sniffing). */
static bool proxy_sees_http(const char *proto)
{
	if (!strcmp(proto, "HTTPS"))
		return false;
	return !strncmp(proto, "HTTP", 4) || !strncmp(proto, "GRPC", 4) ||
	       !strcmp(proto, "UNSUPPORTED");
}

static bool originates_tls(const struct client_tls *t)
{
	return t->at && t->mode.set &&
	       (t->mode.v == TLS_SIMPLE || t->mode.v == TLS_MUTUAL);
}

static const struct port_traffic_policy *port_entry(const struct traffic_policy *tp,
						    uint32_t port)
{
	size_t i;

	for (i = 0; i < tp->port_level_settings.n; i++)
		if (tp->port_level_settings.v[i].port.number.v == port)
			return &tp->port_level_settings.v[i];
	return NULL;
}

static void report_double_tls(struct pit *p, const struct object *o,
			      const struct client_tls *t, const char *path,
			      const struct service *s,
			      const struct svc_port_info *pi)
{
	diag_add(&p->c->diag, "IM1070", SEV_ERROR, o, pit_at(t->at, "mode"),
		 path, "remove tls from this DestinationRule (the application's "
		 "own TLS passes through), or have the application speak plain "
		 "HTTP to a port with protocol HTTP and originate TLS there",
		 "port %u of %s has protocol %s: the application already sends "
		 "TLS there, and tls.mode %s makes the proxy wrap it in a "
		 "second TLS session, so every handshake with %s fails",
		 pi->port, s->name, pi->protocol, tls_mode_names[t->mode.v],
		 s->name);
}

static void check_double_tls(struct pit *p, const struct object *o,
			     const struct service *s)
{
	const struct traffic_policy *tp = &obj_dr(o)->traffic_policy;
	size_t i;

	for (i = 0; i < s->n_ports; i++) {
		const struct svc_port_info *pi = &s->ports[i];
		const struct port_traffic_policy *pe = port_entry(tp, pi->port);

		if (!app_speaks_tls(pi->protocol))
			continue;
		if (pe && originates_tls(&pe->tls))
			report_double_tls(p, o, &pe->tls, "spec.trafficPolicy."
					  "portLevelSettings.tls", s, pi);
		else if (!pe && originates_tls(&tp->tls))
			report_double_tls(p, o, &tp->tls,
					  "spec.trafficPolicy.tls", s, pi);
	}
}

static void check_h2_upgrade(struct pit *p, const struct object *o,
			     const struct service *s)
{
	const struct http_pool *hp = &obj_dr(o)->traffic_policy.connection_pool.http;
	size_t i;

	if (!hp->h2_upgrade_policy.set || hp->h2_upgrade_policy.v != H2_UPGRADE ||
	    !s->n_ports)
		return;
	for (i = 0; i < s->n_ports; i++)
		if (proxy_sees_http(s->ports[i].protocol))
			return;
	diag_add(&p->c->diag, "IM1071", SEV_WARNING, o,
		 pit_at(hp->at, "h2UpgradePolicy"),
		 "spec.trafficPolicy.connectionPool.http.h2UpgradePolicy",
		 "remove h2UpgradePolicy (HTTP/2 to a TLS port is negotiated by "
		 "the application with ALPN)",
		 "h2UpgradePolicy UPGRADE has no effect: every port of %s is "
		 "%s, which the proxy forwards as opaque bytes, never as HTTP "
		 "requests it could upgrade", s->name, s->ports[0].protocol);
}

void pit_egress(struct pit *p)
{
	for_each_obj(p->c, o, K_DESTINATION_RULE) {
		const struct service *s;

		if (!obj_dr(o)->host)
			continue;
		s = pit_service(p, obj_dr(o)->host, o->ns);
		if (!s)
			continue;
		check_double_tls(p, o, s);
		check_h2_upgrade(p, o, s);
	}
}
