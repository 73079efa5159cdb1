// SPDX-License-Identifier: Apache-2.0
/* Istio's virtualservice.DestinationHostAnalyzer and DestinationRuleAnalyzer:
 * every route and mirror destination must name a service the VirtualService
 * can see, a port that service has, and a subset some DestinationRule
 * defines. Otherwise the route has no cluster and requests fail (503 NR/NC). */
#include "common.h"

#include <string.h>

struct host_ctx {
	struct registry reg;
	bool services_known;
};

static const char *port_list(struct config *c, const struct service *s,
			     const char *sep)
{
	char *out = "";
	size_t i;

	for (i = 0; i < s->n_ports; i++)
		out = arena_printf(&c->arena, "%s%s%u", out, i ? sep : "",
				   s->ports[i].port);
	return out;
}

static void check_ports(struct config *c, struct object *vs,
			const struct an_dest *ad, const struct service *s)
{
	const struct destination *d = ad->d;
	const char *host = d->host ? d->host : "";
	size_t i;

	if (!d->port.at) {
		/* one port (or none) needs no selector */
		if (s->n_ports <= 1)
			return;
		diag_add(&c->diag, "IST0112", SEV_ERROR, vs, ad->at,
			 arena_printf(&c->arena, "%s.host", ad->path),
			 arena_printf(&c->arena, "add port: {number: N} to this "
				      "destination, N one of %s",
				      port_list(c, s, ", ")),
			 "This VirtualService routes to a service %s that exposes "
			 "multiple ports [%s]. Specifying a port in the destination "
			 "is required to disambiguate.", an_quote(&c->arena, host),
			 port_list(c, s, " "));
		return;
	}
	for (i = 0; i < s->n_ports; i++)
		if ((int64_t)s->ports[i].port == d->port.number.v)
			return;
	diag_add(&c->diag, "IST0101", SEV_ERROR, vs,
		 d->port.number.set ? ynode_get(d->port.at, "number") : d->port.at,
		 arena_printf(&c->arena, "%s.port.number", ad->path),
		 arena_printf(&c->arena, "use a port %s exposes: %s", host,
			      s->n_ports ? port_list(c, s, ", ") : "(none)"),
		 "Referenced host:port not found: %s",
		 an_quote(&c->arena, arena_printf(&c->arena, "%s:%lld", host,
						  (long long)d->port.number.v)));
}

static void check_host(struct config *c, struct object *vs,
		       const struct an_dest *ad, void *ctx)
{
	struct host_ctx *hc = ctx;
	const struct vs_spec *v = obj_vs(vs);
	const char *host = ad->d->host ? ad->d->host : "";
	const struct service *s;

	s = an_visible_service(c, &hc->reg, vs->ns, &v->export_to, host);
	if (s) {
		check_ports(c, vs, ad, s);
		return;
	}
	if (!hc->services_known && an_k8s_host(host))
		return;
	diag_add(&c->diag, "IST0101", SEV_ERROR, vs, ad->at,
		 arena_printf(&c->arena, "%s.host", ad->path),
		 *host ? arena_printf(&c->arena, "point host at a Service or "
				      "ServiceEntry visible from namespace %s "
				      "(check its name, namespace and exportTo), "
				      "or add a ServiceEntry for %s", vs->ns, host) :
			 "give this route a destination with a host",
		 "Referenced %s not found: %s", ad->mirror ? "mirror host" : "host",
		 an_quote(&c->arena, host));
}

void analyze_vs_destination_hosts(struct config *c)
{
	struct host_ctx hc;

	registry_build_all(&hc.reg, c);
	hc.services_known = an_services_known(c);
	for_each_any(c, o, K_VIRTUAL_SERVICE)
		an_each_destination(c, o, check_host, &hc);
}

/* Istio keys subsets by (namespace, name) parsed from the host: a
 * "name.ns.svc.cluster.local" FQDN names its own namespace, any other host
 * is taken as a name in the resource's namespace. The key is the pair
 * written as "<length of ns>:<ns><name>", which no other pair writes. */
static const char *subset_key(struct arena *a, const char *host,
			      const char *ns)
{
	static const char suffix[] = ".svc.cluster.local";
	size_t n = strlen(host), m = sizeof(suffix) - 1;
	const char *dot;

	if (n <= m || strcmp(host + n - m, suffix))
		return arena_printf(a, "%zu:%s%s", strlen(ns), ns, host);
	/* greedy like Istio's regexp: the namespace is the last label */
	for (dot = host + n - m - 1; dot > host && *dot != '.'; dot--)
		;
	if (dot <= host || dot == host + n - m - 1)
		return arena_printf(a, "%zu:%s%s", strlen(ns), ns, host);
	n = (size_t)(host + n - m - dot - 1);
	return arena_printf(a, "%zu:%.*s%.*s", n, (int)n, dot + 1,
			    (int)(dot - host), host);
}

/* Every DestinationRule (valid or not, as istioctl) by subset key. */
static void index_drs(struct config *c, struct hmap *drs)
{
	hmap_init(drs, &c->arena);
	for_each_any(c, o, K_DESTINATION_RULE) {
		const struct dr_spec *dr = obj_dr(o);

		hmap_push(drs, subset_key(&c->arena, dr->host ? dr->host : "",
					  o->ns), o);
	}
}

static bool subset_defined(struct config *c, const struct hmap *drs,
			   const char *host, const char *ns,
			   const char *subset)
{
	size_t j, n;
	void *const *v = hmap_list(drs, subset_key(&c->arena, host, ns), &n);

	for (j = 0; j < n; j++) {
		const struct dr_spec *dr = obj_dr(v[j]);
		size_t i;

		for (i = 0; i < dr->subsets.n; i++)
			if (dr->subsets.v[i].name &&
			    !strcmp(dr->subsets.v[i].name, subset))
				return true;
	}
	return false;
}

static void check_subset(struct config *c, struct object *vs,
			 const struct an_dest *ad, void *ctx)
{
	const struct destination *d = ad->d;
	const char *host = d->host ? d->host : "";
	const struct ynode *at = ynode_get(d->at, "subset");

	if (!d->subset || !*d->subset ||
	    subset_defined(c, ctx, host, vs->ns, d->subset))
		return;
	diag_add(&c->diag, "IST0101", SEV_ERROR, vs, at ? at : ad->at,
		 arena_printf(&c->arena, "%s.subset", ad->path),
		 arena_printf(&c->arena, "define subset %s in a DestinationRule "
			      "for host %s, or remove subset from this "
			      "destination", d->subset, host),
		 "Referenced %s not found: %s",
		 ad->mirror ? "mirror+subset in destinationrule" :
			      "host+subset in destinationrule",
		 an_quote(&c->arena, arena_printf(&c->arena, "%s+%s", host,
						  d->subset)));
}

void analyze_vs_destination_rules(struct config *c)
{
	struct hmap drs;

	index_drs(c, &drs);
	for_each_any(c, o, K_VIRTUAL_SERVICE)
		an_each_destination(c, o, check_subset, &drs);
}
