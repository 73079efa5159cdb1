// SPDX-License-Identifier: Apache-2.0
/* Istio's serviceentry.ProtocolAddressesAnalyzer (IST0134): a TCP (or
 * protocol-less) port on a ServiceEntry without addresses can only be
 * matched by port number, so it captures all traffic to that port, unless
 * the control plane allocates a VIP (DNS auto-allocation, or the address
 * it already wrote to status.addresses). */
#include "common.h"

#include <string.h>
#include <strings.h>

static bool meta_true(const struct config *c, const char *key)
{
	const char *v = kvs_get(&c->mesh.default_config.proxy_metadata, key);

	return v && !strcmp(v, "true");
}

/* Istio counts auto-allocation only with DNS capture on. */
static bool auto_allocated(const struct config *c)
{
	return meta_true(c, "ISTIO_META_DNS_CAPTURE") &&
	       (meta_true(c, "ISTIO_META_DNS_AUTO_ALLOCATE") ||
		meta_true(c, "PILOT_ENABLE_IP_AUTOALLOCATE"));
}

static bool status_allocated(const struct object *o)
{
	const struct se_status *st = o->status_typed;

	return st && st->addresses.n;
}

void analyze_se_addresses(struct config *c)
{
	if (auto_allocated(c))
		return;
	for_each_any(c, o, K_SERVICE_ENTRY) {
		const struct se_spec *se = obj_se(o);
		size_t i;

		if (se->addresses.n || status_allocated(o))
			continue;
		for (i = 0; i < se->ports.n; i++) {
			const struct svc_port *p = &se->ports.v[i];

			if (p->protocol && *p->protocol &&
			    strcasecmp(p->protocol, "TCP"))
				continue;
			diag_add(&c->diag, "IST0134", SEV_WARNING, o, p->at,
				 arena_printf(&c->arena, "spec.ports[%zu]", i),
				 "add spec.addresses (a VIP or CIDR for these "
				 "hosts), or enable DNS auto-allocation "
				 "(proxyMetadata ISTIO_META_DNS_CAPTURE and "
				 "ISTIO_META_DNS_AUTO_ALLOCATE \"true\")",
				 "ServiceEntry addresses are required for this "
				 "protocol.");
		}
	}
}
