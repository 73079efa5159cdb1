// SPDX-License-Identifier: Apache-2.0
/* Istio's destinationrule.CaCertificateAnalyzer (IST0128, IST0129): TLS
 * origination in SIMPLE or MUTUAL mode without caCertificates accepts any
 * server certificate, so the upstream's identity is never verified. */
#include "common.h"

#include <string.h>

static bool unverified(const struct client_tls *t, const struct dr_spec *dr)
{
	if (!t->mode.set || (t->mode.v != TLS_SIMPLE && t->mode.v != TLS_MUTUAL))
		return false;
	if (t->ca_certificates && *t->ca_certificates)
		return false;
	/* a gateway DR (workloadSelector) with credentialName takes the CA
	 * from the secret's ca.crt */
	return !(t->credential_name && *t->credential_name &&
		 dr->workload_selector.at);
}

static const struct ynode *mode_at(const struct client_tls *t)
{
	const struct ynode *n = ynode_get(t->at, "mode");

	return n ? n : t->at;
}

static void check_dr(struct config *c, struct object *o)
{
	const struct dr_spec *dr = obj_dr(o);
	const struct traffic_policy *tp = &dr->traffic_policy;
	const char *host = dr->host ? dr->host : "";
	size_t i;

	if (unverified(&tp->tls, dr))
		diag_add(&c->diag, "IST0128", SEV_WARNING, o, mode_at(&tp->tls),
			 "spec.trafficPolicy.tls.caCertificates",
			 "set tls.caCertificates to the CA bundle that signed "
			 "the server's certificate",
			 "DestinationRule %s in namespace %s has TLS mode set to "
			 "%s but no caCertificates are set to validate server "
			 "identity for host: %s", an_full_name(c, o), o->ns,
			 tls_mode_names[tp->tls.mode.v], host);
	for (i = 0; i < tp->port_level_settings.n; i++) {
		const struct port_traffic_policy *p = &tp->port_level_settings.v[i];

		if (!unverified(&p->tls, dr))
			continue;
		diag_add(&c->diag, "IST0129", SEV_WARNING, o, mode_at(&p->tls),
			 arena_printf(&c->arena, "spec.trafficPolicy."
				      "portLevelSettings[%zu].tls.caCertificates",
				      i),
			 "set tls.caCertificates for this port to the CA bundle "
			 "that signed the server's certificate",
			 "DestinationRule %s in namespace %s has TLS mode set to "
			 "%s but no caCertificates are set to validate server "
			 "identity for host: %s at port number:%lld",
			 an_full_name(c, o), o->ns, tls_mode_names[p->tls.mode.v],
			 host, (long long)p->port.number.v);
	}
}

void analyze_dr_ca_certificates(struct config *c)
{
	for_each_any(c, o, K_DESTINATION_RULE)
		check_dr(c, o);
}
