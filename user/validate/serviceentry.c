// SPDX-License-Identifier: Apache-2.0
/* ServiceEntry: Istio's ValidateServiceEntry, plus the CRD's requirement of
 * a spec. The TCP-port-without-addresses warning is left to the IST0134
 * analyzer, which knows whether DNS auto-allocation is on. */
#include <stdio.h>
#include <string.h>

#include "common.h"

static const struct ynode *item(const struct strs *l, size_t i)
{
	return l->at && l->at->type == Y_SEQ && i < l->at->n ? l->at->items[i]
							      : l->at;
}

/* ValidateAlphaWorkloadSelector: a wildcard or empty key rejects the SE */
static bool selector(struct config *c, struct object *o, const struct se_spec *s)
{
	const struct kvs *l = &s->workload_selector.labels;
	bool ok = true;
	size_t i;

	if (!s->workload_selector.at)
		return true;
	for (i = 0; i < l->n; i++) {
		const char *v = l->v[i].val ? l->v[i].val : "";

		if (!*l->v[i].key)
			v_error(c, o, l->v[i].at, "spec.workloadSelector.labels",
				"give the label a key",
				"empty key is not supported in selector: \"=%s\"", v);
		if (strchr(l->v[i].key, '*') || strchr(v, '*'))
			v_error(c, o, l->v[i].at, "spec.workloadSelector.labels",
				"list exact label values; selectors do not take wildcards",
				"wildcard is not supported in selector: \"%s=%s\"",
				l->v[i].key, v);
		ok &= *l->v[i].key && !strchr(l->v[i].key, '*') && !strchr(v, '*');
	}
	if (ok && !l->n)
		v_warn(c, o, s->workload_selector.at, "spec.workloadSelector",
		       "add labels, or remove workloadSelector",
		       "service entry: workload selector specified without "
		       "labels, will be applied to all services in namespace");
	return ok;
}

static void hosts(struct config *c, struct object *o, const struct se_spec *s)
{
	char why[320], path[48];
	size_t i;

	if (!s->hosts.n)
		v_error(c, o, s->hosts.at ? s->hosts.at : s->at, "spec.hosts",
			"list the DNS names clients use, e.g. api.example.com",
			"service entry must have at least one host");
	for (i = 0; i < s->hosts.n; i++) {
		const char *h = s->hosts.v[i];

		snprintf(path, sizeof(path), "spec.hosts[%zu]", i);
		if (!strcmp(h, "*"))
			v_error(c, o, item(&s->hosts, i), path,
				"name the external hosts, e.g. *.example.com",
				"invalid host *");
		else if (v_wildcard_domain(h, why, sizeof(why)))
			v_error(c, o, item(&s->hosts, i), path,
				"write a DNS name, optionally starting with \"*.\"",
				"%s", why);
		else if (v_partial_wildcard(h))
			v_warn(c, o, item(&s->hosts, i), path,
			       "use a whole-label wildcard such as *.example.com",
			       "partial wildcard \"%s\" not allowed", h);
	}
}

static void addresses(struct config *c, struct object *o,
		      const struct se_spec *s)
{
	char why[160], path[48];
	bool cidr = false;
	size_t i;

	for (i = 0; i < s->addresses.n; i++) {
		const char *a = s->addresses.v[i];

		snprintf(path, sizeof(path), "spec.addresses[%zu]", i);
		cidr |= strchr(a, '/') != NULL;
		if (v_ip_subnet(a, why, sizeof(why)))
			v_error(c, o, item(&s->addresses, i), path,
				"write an IP (240.0.0.1) or a CIDR (10.0.0.0/16)",
				"%s", why);
	}
	if (cidr && s->resolution.v != RES_NONE && s->resolution.v != RES_STATIC)
		v_error(c, o, s->addresses.at, "spec.addresses",
			"use single IP addresses, or resolution NONE or STATIC",
			"CIDR addresses are allowed only for NONE/STATIC "
			"resolution types");
}

static bool port_seen(const struct se_spec *s, size_t upto,
		      const struct svc_port *p, bool by_name)
{
	size_t j;

	for (j = 0; j < upto; j++) {
		const struct svc_port *q = &s->ports.v[j];

		if (ynode_is_null(q->at))
			continue;
		if (by_name ? !strcmp(q->name ? q->name : "",
				      p->name ? p->name : "")
			    : q->number.v == p->number.v)
			return true;
	}
	return false;
}

static void port(struct config *c, struct object *o, const struct se_spec *s,
		 size_t i)
{
	const struct svc_port *p = &s->ports.v[i];
	const char *name = p->name ? p->name : "";
	char path[48];

	snprintf(path, sizeof(path), "spec.ports[%zu]", i);
	if (ynode_is_null(p->at)) {
		v_error(c, o, p->at, path, "remove the null entry",
			"service entry port may not be null");
		return;
	}
	if (port_seen(s, i, p, true))
		v_error(c, o, p->at, path, "give every port its own name",
			"service entry port name \"%s\" already defined", name);
	if (port_seen(s, i, p, false))
		v_error(c, o, p->at, path, "list each port number once",
			"service entry port %lld already defined",
			(long long)p->number.v);
	if (p->target_port.set && p->target_port.v &&
	    !v_port_ok(p->target_port.v))
		v_error(c, o, ynode_get(p->at, "targetPort"), path,
			"use a targetPort from 1 to 65535",
			"port number %lld must be in the range 1..65535",
			(long long)p->target_port.v);
	if (!v_dns1123_label(name, strlen(name)))
		v_error(c, o, p->at, path,
			"name the port with letters, digits and '-', e.g. http "
			"or tcp-db",
			"invalid port name: %s", name);
	if (p->protocol && *p->protocol && v_protocol(p->protocol) == P_UNSUPPORTED)
		v_error(c, o, ynode_get(p->at, "protocol"), path,
			"use HTTP, HTTPS, HTTP2, GRPC, TLS, TCP, MONGO, REDIS or MYSQL",
			"unsupported protocol: %s", p->protocol);
	if (!v_port_ok(p->number.v))
		v_error(c, o, ynode_get(p->at, "number") ?
			ynode_get(p->at, "number") : p->at, path,
			"use a port number from 1 to 65535",
			"port number %lld must be in the range 1..65535",
			(long long)p->number.v);
}

static void endpoints(struct config *c, struct object *o,
		      const struct se_spec *s, bool allow_fqdn)
{
	char path[48];
	size_t i;

	for (i = 0; i < s->endpoints.n; i++) {
		const struct we_spec *e = &s->endpoints.v[i];

		snprintf(path, sizeof(path), "spec.endpoints[%zu]", i);
		if (ynode_is_null(e->at))
			v_error(c, o, e->at, path, "remove the null entry",
				"endpoint cannot be nil");
		else
			v_workload_entry(c, o, e, path, s, allow_fqdn);
	}
}

static const char *res_name(const struct se_spec *s)
{
	return se_resolution_names[s->resolution.v];
}

static void dns(struct config *c, struct object *o, const struct se_spec *s)
{
	char why[320];
	size_t i;

	for (i = 0; !s->endpoints.n && i < s->hosts.n; i++)
		if (v_fqdn(s->hosts.v[i], why, sizeof(why)))
			v_error(c, o, item(&s->hosts, i), "spec.hosts",
				"list endpoints to resolve, or use resolution NONE "
				"for wildcard hosts",
				"hosts must be FQDN if no endpoints are provided for "
				"resolution mode %s", res_name(s));
	if (s->resolution.v == RES_DNS_ROUND_ROBIN && s->endpoints.n > 1)
		v_error(c, o, s->endpoints.v[1].at, "spec.endpoints",
			"keep one endpoint, or use resolution DNS",
			"there must only be 0 or 1 endpoint for resolution mode %s",
			res_name(s));
	endpoints(c, o, s, true);
	for (i = 0; s->addresses.n && s->hosts.n > 1 && i < s->ports.n; i++)
		if (v_proto_is_tcp(v_protocol(s->ports.v[i].protocol))) {
			v_warn(c, o, s->hosts.at, "spec.hosts",
			       "split the hosts into one ServiceEntry each",
			       "service entry can not have more than one host "
			       "specified simultaneously with address and tcp port");
			break;
		}
}

static void resolution(struct config *c, struct object *o,
		       const struct se_spec *s)
{
	switch (s->resolution.v) {
	case RES_NONE:
		if (s->endpoints.n)
			v_error(c, o, s->endpoints.v[0].at, "spec.endpoints",
				"remove endpoints, or set resolution: STATIC or DNS",
				"no endpoints should be provided for resolution type none");
		if (s->workload_selector.at)
			v_warn(c, o, s->workload_selector.at, "spec.workloadSelector",
			       "set resolution: STATIC to use the selected workloads",
			       "workloadSelector should not be set when resolution "
			       "mode is NONE");
		break;
	case RES_STATIC:
		endpoints(c, o, s, false);
		break;
	case RES_DNS:
	case RES_DNS_ROUND_ROBIN:
		dns(c, o, s);
		break;
	default:
		/* DYNAMIC_DNS resolves the request's host at run time */
		if (s->endpoints.n || s->addresses.n)
			v_error(c, o, s->endpoints.n ? s->endpoints.v[0].at
				: s->addresses.at, "spec",
				"remove endpoints and addresses",
				"endpoints and addresses are not allowed for "
				"resolution mode %s", res_name(s));
		break;
	}
}

/* Plain TCP cannot tell several hosts apart unless traffic is forwarded to
 * its original destination (NONE). */
static void multi_host(struct config *c, struct object *o,
		       const struct se_spec *s)
{
	size_t i;

	if (s->resolution.v == RES_NONE || s->hosts.n < 2)
		return;
	for (i = 0; i < s->ports.n; i++) {
		enum proto p = v_protocol(s->ports.v[i].protocol);

		if (ynode_is_null(s->ports.v[i].at))
			continue;
		if (!v_proto_is_http(p) && !v_proto_is_tls(p)) {
			v_error(c, o, s->ports.v[i].at, "spec.ports",
				"use one ServiceEntry per host for TCP ports, or "
				"resolution NONE",
				"multiple hosts provided with non-HTTP, non-TLS ports");
			return;
		}
	}
}

void validate_se(struct config *c, struct object *o)
{
	const struct se_spec *s = obj_se(o);
	size_t i;

	v_metadata(c, o);
	if (!v_require_spec(c, o, s->at) || !selector(c, o, s))
		return;
	if (s->workload_selector.at && s->endpoints.v)
		v_error(c, o, s->workload_selector.at, "spec.workloadSelector",
			"keep either workloadSelector or endpoints",
			"only one of WorkloadSelector or Endpoints is allowed in "
			"Service Entry");
	hosts(c, o, s);
	addresses(c, o, s);
	for (i = 0; i < s->ports.n; i++)
		port(c, o, s, i);
	resolution(c, o, s);
	multi_host(c, o, s);
	v_export_to(c, o, &s->export_to, true, "spec.exportTo");
}
