// SPDX-License-Identifier: Apache-2.0
/* Authorization pitfalls (IM1010..IM1029): identity boundaries that are
 * missing, policies that apply to more workloads than their name says,
 * fields that do not mean what they seem to, and patterns Istio matches
 * literally. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pitfalls.h"

static bool is_allow(const struct ap_spec *ap)
{
	return !ap->action.set || ap->action.v == AP_ALLOW;
}

static bool has_selector(const struct ap_spec *ap)
{
	return ap->selector.match_labels.n || ap->target_ref.at ||
	       ap->target_refs.n;
}

static bool dry_run(const struct object *o)
{
	const char *v = kvs_get(&o->meta.annotations, "istio.io/dry-run");

	return v && !strcmp(v, "true");
}

/* A source that names who the caller is (needs the peer's certificate). */
static bool source_has_identity(const struct ap_source *s)
{
	return s->principals.n || s->not_principals.n || s->namespaces.n ||
	       s->not_namespaces.n || s->service_accounts.n ||
	       s->not_service_accounts.n || s->trust_domains.n ||
	       s->not_trust_domains.n;
}

static bool ap_checks_identity(const struct ap_spec *ap)
{
	size_t i, j;

	for (i = 0; i < ap->rules.n; i++)
		for (j = 0; j < ap->rules.v[i].from.n; j++)
			if (source_has_identity(&ap->rules.v[i].from.v[j].source))
				return true;
	return false;
}

static bool rule_is_empty(const struct ap_rule *r)
{
	return !r->from.v && !r->to.v && !r->when.v;
}

/* ---- IM1020/IM1021: patterns Istio takes literally ---- */

static const struct {
	const char *name;
	size_t off;
	bool source;
} str_fields[] = {
#define S(n, m) { n, offsetof(struct ap_source, m), true }
#define O(n, m) { n, offsetof(struct ap_operation, m), false }
	S("principals", principals), S("notPrincipals", not_principals),
	S("requestPrincipals", request_principals),
	S("notRequestPrincipals", not_request_principals),
	S("namespaces", namespaces), S("notNamespaces", not_namespaces),
	O("hosts", hosts), O("notHosts", not_hosts), O("paths", paths),
	O("notPaths", not_paths), O("methods", methods),
#undef S
#undef O
};

/* "*" only works whole, as a prefix or as a suffix; paths also accept
 * the {*} and {**} templates. */
static bool infix_star(const char *v)
{
	const char *s = strchr(v, '*');
	size_t n = strlen(v);

	if (!s || n < 2 || strchr(v, '{'))
		return false;
	for (; s; s = strchr(s + 1, '*'))
		if (s != v && s != v + n - 1)
			return true;
	return false;
}

/* a whole-segment star becomes the one-segment template {*} */
static const char *templated(struct pit *p, const char *v)
{
	size_t n = strlen(v), i, o = 0;
	char *out = arena_alloc(&p->c->arena, n * 3 + 1);

	for (i = 0; i < n; i++) {
		bool seg = v[i] == '*' && i && v[i - 1] == '/' &&
			   (i + 1 == n || v[i + 1] == '/');

		if (seg) {
			memcpy(out + o, "{*}", 3);
			o += 3;
		} else {
			out[o++] = v[i];
		}
	}
	out[o] = 0;
	return out;
}

static void check_value(struct pit *p, const struct object *o,
			const char *field, const struct strs *s, size_t k,
			const char *path)
{
	const char *v = s->v[k];
	const char *fix;

	if (!strncmp(field, "principals", 10) || !strncmp(field, "notPrincipals", 13)) {
		if (!strncmp(v, "spiffe://", 9))
			diag_add(&p->c->diag, "IM1021", SEV_WARNING, o,
				 pit_item(s, k), path,
				 arena_printf(&p->c->arena, "write \"%s\"", v + 9),
				 "principal \"%s\" starts with spiffe://, which "
				 "Istio adds itself: it compares against "
				 "spiffe://%s and never matches", v, v);
	}
	if (!infix_star(v))
		return;
	if (strstr(field, "aths"))
		fix = arena_printf(&p->c->arena, "use the path template \"%s\" "
				   "({*} is one segment, {**} the rest)",
				   templated(p, v));
	else
		fix = "Istio matches \"*\" only whole, as a prefix (abc*) or as a "
		      "suffix (*abc): list the values or use a prefix/suffix";
	diag_add(&p->c->diag, "IM1020", SEV_WARNING, o, pit_item(s, k), path,
		 fix, "\"%s\" has \"*\" in the middle, which Istio takes as a "
		 "literal character: it only matches that exact string, so the "
		 "requests it was meant for do not match", v);
}

static void check_strings(struct pit *p, const struct object *o,
			  const struct ap_rule *r, size_t ri)
{
	size_t j, f, k;
	char path[128];

	for (f = 0; f < sizeof(str_fields) / sizeof(str_fields[0]); f++) {
		size_t n = str_fields[f].source ? r->from.n : r->to.n;

		for (j = 0; j < n; j++) {
			const void *base = str_fields[f].source ?
				(const void *)&r->from.v[j].source :
				(const void *)&r->to.v[j].operation;
			const struct strs *s = (const struct strs *)
				((const char *)base + str_fields[f].off);

			for (k = 0; k < s->n; k++) {
				snprintf(path, sizeof(path), "spec.rules[%zu].%s[%zu]"
					 ".%s.%s[%zu]", ri,
					 str_fields[f].source ? "from" : "to", j,
					 str_fields[f].source ? "source" : "operation",
					 str_fields[f].name, k);
				check_value(p, o, str_fields[f].name, s, k, path);
			}
		}
	}
}

/* ---- IM1011: a policy for the whole namespace ---- */

static const char *workload_list(struct pit *p, const char *ns,
				  const struct kvs *sel, size_t *n)
{
	const struct workload *w[6];
	size_t i, m;
	char *s = "";

	*n = pit_selected(p, ns, sel, w, 6);
	m = *n < 6 ? *n : 6;
	for (i = 0; i < m; i++)
		s = arena_printf(&p->c->arena, "%s%s%s", s, i ? ", " : "",
				 w[i]->name);
	if (*n > m)
		s = arena_printf(&p->c->arena, "%s, ...", s);
	return s;
}

static void check_namespace_wide(struct pit *p, const struct object *o)
{
	const struct ap_spec *ap = obj_ap(o);
	const char *names;
	size_t i, n;

	if (!is_allow(ap) || has_selector(ap) || dry_run(o) || !ap->rules.n ||
	    !strcmp(o->ns, p->c->root_ns))
		return;
	for (i = 0; i < ap->rules.n; i++)
		if (rule_is_empty(&ap->rules.v[i]))
			return; /* allow-all: opens, never closes */
	names = workload_list(p, o->ns, NULL, &n);
	diag_add(&p->c->diag, "IM1011", SEV_WARNING, o, ap->at, "spec",
		 "add a selector naming the workloads this policy is for "
		 "(selector: {matchLabels: {app: ...}})",
		 "this ALLOW policy has no selector, so it applies to every "
		 "workload in namespace %s%s%s%s: each of them now denies "
		 "every request that matches no ALLOW rule, not just the "
		 "workloads its name suggests", o->ns, n ? " (" : "",
		 names, n ? ")" : "");
}

/* ---- IM1012: operation.hosts on a workload policy ---- */

static bool egress_gateway(const struct ap_spec *ap)
{
	const char *v = kvs_get(&ap->selector.match_labels, "istio");
	const char *a = kvs_get(&ap->selector.match_labels, "app");

	return (v && strstr(v, "egress")) || (a && strstr(a, "egress"));
}

static bool host_external(struct pit *p, const char *h)
{
	const struct service *s;
	size_t i, n;
	void *const *v = registry_host_services(&p->reg, h, &n);

	/* a ServiceEntry for the host says, else a Service */
	for (i = 0; i < n; i++) {
		s = v[i];
		if (s->se)
			return s->external;
	}
	s = registry_service(&p->reg, h);
	if (s)
		return s->external;
	return strchr(h, '.') && !strstr(h, ".svc") &&
	       !strstr(h, p->reg.domain);
}

static void check_hosts(struct pit *p, const struct object *o,
			const struct strs *hs, const char *path)
{
	const char *list = "";
	size_t k, n = 0;
	bool mesh = p->c->mesh.at != NULL;
	int mode = p->c->mesh.outbound_traffic_policy.mode.v;

	for (k = 0; k < hs->n; k++)
		if (host_external(p, hs->v[k]))
			list = arena_printf(&p->c->arena, "%s%s%s", list,
					    n++ ? ", " : "", hs->v[k]);
	if (!n)
		return;
	diag_add(&p->c->diag, "IM1012", SEV_WARNING, o, hs->at, path,
		 "control egress with meshConfig.outboundTrafficPolicy: "
		 "REGISTRY_ONLY plus a ServiceEntry per allowed host (or an "
		 "egress gateway with its own policy), and delete these hosts",
		 "operation.hosts (%s) matches the Host/:authority of requests "
		 "this policy's workloads RECEIVE; it does not restrict where "
		 "they connect to, so it restricts no egress (outbound traffic "
		 "policy is %s%s)", list,
		 outbound_mode_names[mode],
		 mesh ? "" : ", Istio's default, as no MeshConfig was given");
}

static void check_egress_hosts(struct pit *p, const struct object *o)
{
	const struct ap_spec *ap = obj_ap(o);
	char path[96];
	size_t i, j;

	if (egress_gateway(ap) || (ap->action.set && ap->action.v == AP_CUSTOM))
		return;
	for (i = 0; i < ap->rules.n; i++)
		for (j = 0; j < ap->rules.v[i].to.n; j++) {
			snprintf(path, sizeof(path),
				 "spec.rules[%zu].to[%zu].operation.hosts", i, j);
			check_hosts(p, o, &ap->rules.v[i].to.v[j].operation.hosts,
				    path);
		}
}

/* ---- IM1015/IM1016: ALLOW rules that cannot match some traffic ---- */

static bool rule_http_only_field(const struct ap_rule *r)
{
	size_t j;

	for (j = 0; j < r->to.n; j++) {
		const struct ap_operation *op = &r->to.v[j].operation;

		if (op->hosts.n || op->not_hosts.n || op->methods.n ||
		    op->not_methods.n || op->paths.n || op->not_paths.n)
			return true;
	}
	for (j = 0; j < r->from.n; j++)
		if (r->from.v[j].source.request_principals.n ||
		    r->from.v[j].source.not_request_principals.n)
			return true;
	for (j = 0; j < r->when.n; j++)
		if (r->when.v[j].key && !strncmp(r->when.v[j].key, "request.", 8))
			return true;
	return false;
}

static bool tcp_protocol(const char *proto)
{
	static const char *const tcp[] = { "TCP", "TLS", "Mongo", "Redis",
					   "MySQL", "HTTPS", NULL };
	size_t i;

	for (i = 0; tcp[i]; i++)
		if (!strcmp(proto, tcp[i]))
			return true;
	return false;
}

/* First port of a service of <ns> selecting one of the policy's workloads
 * whose protocol satisfies <want>. */
static const struct svc_port_info *
policy_port(struct pit *p, const struct object *o, bool (*want)(const char *),
	    const struct service **svc)
{
	const struct ap_spec *ap = obj_ap(o);
	size_t i, j, k, n_svcs;
	void *const *svcs = registry_ns_services(&p->reg, o->ns, &n_svcs);

	for (i = 0; i < n_svcs; i++) {
		const struct service *s = svcs[i];

		if (s->se)
			continue;
		for (j = 0; j < s->endpoints.n; j++) {
			const struct workload *w = s->endpoints.v[j];

			if (!labels_match(&ap->selector.match_labels, w->labels))
				continue;
			for (k = 0; k < s->n_ports; k++)
				if (want(s->ports[k].protocol)) {
					*svc = s;
					return &s->ports[k];
				}
		}
	}
	return NULL;
}

static void check_tcp_never_allowed(struct pit *p, const struct object *o)
{
	const struct ap_spec *ap = obj_ap(o);
	const struct svc_port_info *pi;
	const struct service *s = NULL;
	size_t i;

	if (!is_allow(ap) || !ap->rules.n)
		return;
	for (i = 0; i < ap->rules.n; i++)
		if (!rule_http_only_field(&ap->rules.v[i]))
			return;
	pi = policy_port(p, o, tcp_protocol, &s);
	if (!pi)
		return;
	diag_add(&p->c->diag, "IM1015", SEV_WARNING, o,
		 pit_at(ap->at, "rules"), "spec.rules",
		 arena_printf(&p->c->arena, "add a rule for the TCP port with "
			      "only source fields and `to: [{operation: "
			      "{ports: [\"%u\"]}}]`", pi->target_port ?
			      pi->target_port : pi->port),
		 "every rule of this ALLOW policy uses HTTP-only fields, and "
		 "Istio drops such rules on TCP ports: connections to port %u "
		 "(%s) of %s are always denied", pi->port, pi->protocol,
		 s->name);
}

static bool grpc_protocol(const char *proto)
{
	return !strcmp(proto, "GRPC");
}

/* gRPC paths look like /package.Service/Method. */
static bool path_takes_grpc(const char *v)
{
	const char *slash;

	if (!strcmp(v, "*") || !strcmp(v, "/*") || v[0] == '*')
		return true;
	slash = v[0] == '/' ? strchr(v + 1, '/') : NULL;
	return v[0] == '/' && memchr(v, '.', slash ? (size_t)(slash - v) :
				     strlen(v));
}

static bool strs_has(const struct strs *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], v))
			return true;
	return false;
}

/* Whether operation <op> lets a gRPC call to <port> through: gRPC is
 * always POST, with a /package.Service/Method path. */
static bool op_takes_grpc(const struct ap_operation *op, const char *port)
{
	size_t k;
	bool path = !op->paths.n;

	if ((op->ports.n && !strs_has(&op->ports, port)) ||
	    strs_has(&op->not_ports, port) ||
	    (op->methods.n && !strs_has(&op->methods, "POST")))
		return false;
	for (k = 0; k < op->paths.n; k++)
		path |= path_takes_grpc(op->paths.v[k]);
	return path;
}

static bool policy_takes_grpc(const struct ap_spec *ap, uint32_t port)
{
	char ps[12];
	size_t i, j;

	snprintf(ps, sizeof(ps), "%u", port);
	for (i = 0; i < ap->rules.n; i++) {
		const struct ap_rule *r = &ap->rules.v[i];

		if (!r->to.n)
			return true;
		for (j = 0; j < r->to.n; j++)
			if (op_takes_grpc(&r->to.v[j].operation, ps))
				return true;
	}
	return false;
}

/* The first `paths` list of the policy, where the finding points. */
static const struct strs *first_paths(const struct ap_spec *ap)
{
	size_t i, j;

	for (i = 0; i < ap->rules.n; i++)
		for (j = 0; j < ap->rules.v[i].to.n; j++)
			if (ap->rules.v[i].to.v[j].operation.paths.n)
				return &ap->rules.v[i].to.v[j].operation.paths;
	return NULL;
}

static void check_grpc_denied(struct pit *p, const struct object *o)
{
	const struct ap_spec *ap = obj_ap(o);
	const struct svc_port_info *pi;
	const struct service *s = NULL;
	const struct strs *ps = first_paths(ap);
	uint32_t port;

	if (!is_allow(ap) || !ap->rules.n || !ps)
		return;
	pi = policy_port(p, o, grpc_protocol, &s);
	if (!pi)
		return;
	port = pi->target_port ? pi->target_port : pi->port;
	if (policy_takes_grpc(ap, port))
		return;
	diag_add(&p->c->diag, "IM1016", SEV_WARNING, o, ps->at, NULL,
		 "add the gRPC method paths (e.g. \"/inference.GRPCInference"
		 "Service/*\") or a rule for the gRPC port without paths",
		 "gRPC calls are POSTs to /package.Service/Method, which no "
		 "rule of this policy lets through: every gRPC call to port %u "
		 "of %s is denied", port, s->name);
}

/* ---- IM1010: services without an identity boundary ---- */

static bool host_has_boundary(struct pit *p, const char *fqdn)
{
	struct obj_iter it;
	const struct object *o;

	if (!pit_host_aps(p, fqdn, &it))
		return false;
	while ((o = obj_iter_next(&it))) {
		const struct ap_spec *ap = obj_ap(o);

		if (!o->invalid && is_allow(ap) && !dry_run(o) &&
		    ap_checks_identity(ap) && pit_ap_selects_host(p, o, fqdn))
			return true;
	}
	return false;
}

/* The policy that draws a boundary in <ns>, if any. */
static const struct object *ns_boundary(struct pit *p, const char *ns)
{
	size_t i, n;
	void *const *v = config_ns_objects(p->c, K_AUTHORIZATION_POLICY, ns,
					   &n);

	for (i = 0; i < n; i++) {
		const struct object *o = v[i];
		const struct ap_spec *ap = obj_ap(o);

		if (!o->invalid && is_allow(ap) && !dry_run(o) &&
		    ap->selector.match_labels.n && ap_checks_identity(ap))
			return o;
	}
	return NULL;
}

static void report_open(struct pit *p, const struct object *at_obj,
			const struct ynode *at, const char *name,
			const struct object *b)
{
	diag_add(&p->c->diag, "IM1010", SEV_WARNING, at_obj, at, NULL,
		 arena_printf(&p->c->arena, "add an AuthorizationPolicy with "
			      "selector {matchLabels: {app: %s}}, action ALLOW "
			      "and from.source.principals naming only its "
			      "callers' service accounts", name),
		 "service %s has no ALLOW policy that checks who calls it, "
		 "while %s draws that boundary for its neighbour: any workload "
		 "that can reach %s, tenant-facing ones included, can call it",
		 name, b->resource, name);
}

static bool seen(const char **v, size_t n, const char *s)
{
	while (n--)
		if (!strcmp(v[n], s))
			return true;
	return false;
}

static void check_host_named(struct pit *p, const struct object *o,
			     const char *host, const struct ynode *at,
			     const char **done, size_t *n_done)
{
	const char *fq;
	const struct object *b;

	if (!host || strchr(host, '.') || *n_done >= 64)
		return;
	fq = registry_fqdn(&p->c->arena, &p->reg, host, o->ns);
	if (registry_service(&p->reg, fq) || seen(done, *n_done, fq))
		return;
	done[(*n_done)++] = fq;
	b = ns_boundary(p, o->ns);
	if (b && !host_has_boundary(p, fq))
		report_open(p, o, at, host, b);
}

static void check_boundaries(struct pit *p)
{
	const char *done[64];
	size_t i, n_done = 0;

	for (i = 0; i < p->reg.n_svcs; i++) {
		const struct service *s = &p->reg.svcs[i];
		const struct object *b;

		if (s->se || !s->selector || !s->selector->n)
			continue;
		b = ns_boundary(p, s->ns);
		if (b && !host_has_boundary(p, s->host))
			report_open(p, s->obj, pit_at(s->obj->meta.at, "name"),
				    s->name, b);
	}
	/* hosts only named by routing rules: nothing else says they exist */
	for_each_obj(p->c, o, K_DESTINATION_RULE)
		check_host_named(p, o, obj_dr(o)->host,
				 pit_at(obj_dr(o)->at, "host"), done, &n_done);
	for_each_obj(p->c, o, K_VIRTUAL_SERVICE)
		for (i = 0; i < obj_vs(o)->hosts.n; i++)
			check_host_named(p, o, obj_vs(o)->hosts.v[i],
					 pit_item(&obj_vs(o)->hosts, i), done,
					 &n_done);
}

void pit_authz(struct pit *p)
{
	size_t i;

	for_each_obj(p->c, o, K_AUTHORIZATION_POLICY) {
		const struct ap_spec *ap = obj_ap(o);

		for (i = 0; i < ap->rules.n; i++)
			check_strings(p, o, &ap->rules.v[i], i);
		check_namespace_wide(p, o);
		check_egress_hosts(p, o);
		check_tcp_never_allowed(p, o);
		check_grpc_denied(p, o);
	}
	check_boundaries(p);
}
