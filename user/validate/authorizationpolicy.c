// SPDX-License-Identifier: Apache-2.0
/* AuthorizationPolicy: Istio's ValidateAuthorizationPolicy. Errors carry
 * the webhook's "invalid policy NAME.NS:" prefix, as istioctl prints them;
 * the DENY-with-only-HTTP-attributes warning is Istio's IST0133. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

#define FIX_EMPTY_RULE "to match every request write `rules: [{}]`"

struct ap_ctx {
	struct config *c;
	struct object *o;
	const struct ap_spec *s;
	char path[160];
};

static void ap_err(struct ap_ctx *x, const struct ynode *at, const char *fix,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void ap_err(struct ap_ctx *x, const struct ynode *at, const char *fix,
		   const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v_error(x->c, x->o, at, x->path, fix, "invalid policy %s.%s: %s",
		x->o->meta.name ? x->o->meta.name : "", x->o->ns, msg);
}

static void set_path(struct ap_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_path(struct ap_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->path, sizeof(x->path), fmt, ap);
	va_end(ap);
}

static const struct ynode *item_at(const struct strs *l, size_t i)
{
	return l->at && l->at->type == Y_SEQ && i < l->at->n ? l->at->items[i]
							      : l->at;
}

/* security.CheckEmptyValues */
static void no_empty(struct ap_ctx *x, const char *name, const struct strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!*l->v[i]) {
			ap_err(x, item_at(l, i), "remove the empty string",
			       "empty value not allowed, found in %s", name);
			return;
		}
}

/* security.ValidateIPs */
static void ips(struct ap_ctx *x, const struct strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *v = l->v[i];

		if (strchr(v, '/') && !v_cidr(v))
			ap_err(x, item_at(l, i), "write a CIDR such as 10.0.0.0/16",
			       "bad CIDR range (%s)", v);
		else if (!strchr(v, '/') && !v_ip(v))
			ap_err(x, item_at(l, i), "write an IP such as 10.1.2.3",
			       "bad IP address (%s)", v);
	}
}

/* security.ValidatePorts */
static void ports(struct ap_ctx *x, const struct strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!v_port_string(l->v[i]))
			ap_err(x, item_at(l, i), "write a port number from 0 to 65535",
			       "bad port (%s)", l->v[i]);
}

/* security.CheckServiceAccount: "sa" or "ns/sa", no wildcards, <= 16 */
static void service_accounts(struct ap_ctx *x, const char *name,
			     const struct strs *l)
{
	size_t i;

	if (l->n > 16) {
		ap_err(x, l->at, "split the source into several entries",
		       "may not have more than 16 values");
		return;
	}
	for (i = 0; i < l->n; i++) {
		const char *v = l->v[i], *slash = strchr(v, '/');
		const char *why = NULL;

		if (!*v)
			why = "empty value not allowed";
		else if (strchr(v, '*'))
			why = "wildcard not allowed";
		else if (slash && (strchr(slash + 1, '/') || slash == v ||
				   !slash[1]))
			why = "expected format 'serviceAccount' or "
			      "'namespace/serviceAccount'";
		else if (strlen(v) > 320)
			why = "value cannot exceed 320 characters";
		if (why) {
			ap_err(x, item_at(l, i),
			       "write SA (policy namespace) or NAMESPACE/SA",
			       "%s, found \"%s\" in %s", why, v, name);
			return;
		}
	}
}

#define N(f) (s->f.n)
static bool source_empty(const struct ap_source *s)
{
	return !N(principals) && !N(request_principals) && !N(namespaces) &&
	       !N(ip_blocks) && !N(remote_ip_blocks) && !N(not_principals) &&
	       !N(not_request_principals) && !N(not_namespaces) &&
	       !N(not_ip_blocks) && !N(not_remote_ip_blocks) &&
	       !N(service_accounts) && !N(not_service_accounts) &&
	       !N(trust_domains) && !N(not_trust_domains);
}

/* A source field that the TCP (L4) RBAC filter can enforce */
static bool source_has_l4(const struct ap_source *s)
{
	return s->principals.at || s->not_principals.at || s->ip_blocks.at ||
	       s->not_ip_blocks.at || s->namespaces.at || s->not_namespaces.at ||
	       s->remote_ip_blocks.at || s->not_remote_ip_blocks.at ||
	       s->service_accounts.at || s->not_service_accounts.at ||
	       s->trust_domains.at || s->not_trust_domains.at;
}
#undef N

static void source_values(struct ap_ctx *x, const struct ap_source *s)
{
	ips(x, &s->ip_blocks);
	ips(x, &s->not_ip_blocks);
	ips(x, &s->remote_ip_blocks);
	ips(x, &s->not_remote_ip_blocks);
	no_empty(x, "Principals", &s->principals);
	no_empty(x, "RequestPrincipals", &s->request_principals);
	no_empty(x, "Namespaces", &s->namespaces);
	service_accounts(x, "ServiceAccounts", &s->service_accounts);
	no_empty(x, "IpBlocks", &s->ip_blocks);
	no_empty(x, "RemoteIpBlocks", &s->remote_ip_blocks);
	no_empty(x, "NotPrincipals", &s->not_principals);
	no_empty(x, "NotRequestPrincipals", &s->not_request_principals);
	no_empty(x, "NotNamespaces", &s->not_namespaces);
	service_accounts(x, "NotServiceAccounts", &s->not_service_accounts);
	no_empty(x, "NotIpBlocks", &s->not_ip_blocks);
	no_empty(x, "NotRemoteIpBlocks", &s->not_remote_ip_blocks);
	no_empty(x, "TrustDomains", &s->trust_domains);
	no_empty(x, "NotTrustDomains", &s->not_trust_domains);
}

/* Returns true when the entry has a source (counts as "from exists"). */
static bool check_from(struct ap_ctx *x, size_t r, size_t j,
		       const struct ap_from *f, bool *l4)
{
	const struct ap_source *s = &f->source;

	set_path(x, "spec.rules[%zu].from[%zu]", r, j);
	if (ynode_is_null(f->at)) {
		ap_err(x, f->at, "remove the null entry",
		       "`from` must not be nil, found at rule %zu", r);
		return false;
	}
	if (!s->at) {
		ap_err(x, f->at, "add a source with at least one field",
		       "`from.source` must not be nil, found at rule %zu", r);
		return false;
	}
	set_path(x, "spec.rules[%zu].from[%zu].source", r, j);
	if (s->principals.n + s->not_principals.n + s->namespaces.n +
	    s->not_namespaces.n > 0 &&
	    s->service_accounts.n + s->not_service_accounts.n > 0)
		ap_err(x, s->at, "put serviceAccounts in a separate from entry",
		       "cannot set serviceAccounts with namespaces or principals, "
		       "found at rule %zu", r);
	if (source_empty(s))
		ap_err(x, s->at, "add a field such as principals, or remove the "
		       "from entry to match any source",
		       "`from.source` must not be empty, found at rule %zu", r);
	source_values(x, s);
	*l4 |= source_has_l4(s);
	return true;
}

static bool operation_empty(const struct ap_operation *p)
{
	return !p->ports.n && !p->methods.n && !p->paths.n && !p->hosts.n &&
	       !p->not_ports.n && !p->not_methods.n && !p->not_paths.n &&
	       !p->not_hosts.n;
}

static bool literal_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || strchr("-._~%!$&'()*+,;=:@", ch);
}

/* security.CheckValidPathTemplate: {*} and {**} segments; {**} last */
static const char *path_template(const char *path)
{
	bool tmpl = strstr(path, "{*}") || strstr(path, "{**}");
	bool any = false;
	const char *p = path;

	while (*p == '/')
		p++;
	while (*p) {
		size_t len = strcspn(p, "/"), i;

		if (len == 3 && !strncmp(p, "{*}", 3) && !any) {
		} else if (len == 4 && !strncmp(p, "{**}", 4) && !any) {
			any = true;
		} else if (any && ((len == 3 && !strncmp(p, "{*}", 3)) ||
				   (len == 4 && !strncmp(p, "{**}", 4)))) {
			return "{**} is not the last operator";
		} else {
			for (i = 0; i < len; i++)
				if (p[i] == '{' || p[i] == '}')
					return "Contains '{' or '}' beyond a "
					       "supported path template";
			for (i = 0; tmpl && i < len; i++)
				if (!literal_char(p[i]))
					return "Contains a segment with an "
					       "invalid string literal";
		}
		p += len;
		if (*p == '/')
			p++;
	}
	return NULL;
}

static void paths(struct ap_ctx *x, const char *name, const struct strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *why = path_template(l->v[i]);

		if (why) {
			ap_err(x, item_at(l, i), "use {*} for one segment and {**} "
			       "only as the last segment",
			       "invalid or unsupported path %s, found in %s. %s",
			       l->v[i], name, why);
			return;
		}
	}
}

static bool check_to(struct ap_ctx *x, size_t r, size_t j,
		     const struct ap_to *t, bool *l4)
{
	const struct ap_operation *p = &t->operation;

	set_path(x, "spec.rules[%zu].to[%zu]", r, j);
	if (ynode_is_null(t->at)) {
		ap_err(x, t->at, "remove the null entry",
		       "`to` must not be nil, found at rule %zu", r);
		return false;
	}
	if (!p->at) {
		ap_err(x, t->at, "add an operation with at least one field",
		       "`to.operation` must not be nil, found at rule %zu", r);
		return false;
	}
	set_path(x, "spec.rules[%zu].to[%zu].operation", r, j);
	if (operation_empty(p))
		ap_err(x, p->at, "add a field such as ports or paths, or remove "
		       "the to entry to match any operation",
		       "`to.operation` must not be empty, found at rule %zu", r);
	ports(x, &p->ports);
	ports(x, &p->not_ports);
	no_empty(x, "Ports", &p->ports);
	no_empty(x, "Methods", &p->methods);
	no_empty(x, "Paths", &p->paths);
	no_empty(x, "Hosts", &p->hosts);
	no_empty(x, "NotPorts", &p->not_ports);
	no_empty(x, "NotMethods", &p->not_methods);
	no_empty(x, "NotPaths", &p->not_paths);
	no_empty(x, "NotHosts", &p->not_hosts);
	paths(x, "Paths", &p->paths);
	paths(x, "NotPaths", &p->not_paths);
	*l4 |= p->ports.at || p->not_ports.at;
	return true;
}

/* security.validateMapKey: "a[b]" */
static bool map_key(const char *k)
{
	const char *open = strchr(k, '[');
	size_t len = strlen(k);

	return len && k[len - 1] == ']' && open && open > k &&
	       (size_t)(open - k) < len - 2;
}

static bool key_is(const char *k, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(k, *set))
			return true;
	return false;
}

/* security.ValidateAttribute, less the per-value checks done by the caller */
static const char *attribute(const char *k, const struct strs *vals,
			     bool *ip, bool *port, bool *sa)
{
	static const char *const plain[] = { "source.namespace",
		"source.principal", "request.auth.principal",
		"request.auth.audiences", "request.auth.presenter",
		"connection.sni", "source.trustDomain", NULL };
	static const char *const ipkeys[] = { "source.ip", "remote.ip",
		"destination.ip", NULL };
	static const char *const mapped[] = { "request.headers",
		"request.experimental.inline.headers", "request.auth.claims",
		"experimental.envoy.filters.", NULL };
	size_t i;

	(void)vals;
	for (i = 0; mapped[i]; i++)
		if (!strncmp(k, mapped[i], strlen(mapped[i])))
			return map_key(k) ? NULL : "should have format a[b]";
	*ip = key_is(k, ipkeys);
	*port = !strcmp(k, "destination.port");
	*sa = !strcmp(k, "source.serviceAccount");
	if (*ip || *port || *sa || key_is(k, plain))
		return NULL;
	if (!strcmp(k, "destination.namespace"))
		return "is replaced by the metadata.namespace";
	if (!strncmp(k, "destination.labels", 18))
		return "is replaced by the workload selector";
	if (!strcmp(k, "destination.name") || !strcmp(k, "destination.user"))
		return "is deprecated: only supported in v1alpha1";
	return "is unknown";
}

static void condition_values(struct ap_ctx *x, const struct ap_condition *w,
			     const struct strs *vals, const char *which)
{
	bool ip = false, port = false, sa = false;
	const char *why;
	size_t i;

	for (i = 0; i < vals->n; i++)
		if (!*vals->v[i]) {
			ap_err(x, item_at(vals, i), "remove the empty string",
			       "invalid `%s` for `key` %s: empty value not "
			       "allowed, found in %s", which, w->key, w->key);
			return;
		}
	why = attribute(w->key, vals, &ip, &port, &sa);
	if (why) {
		ap_err(x, w->at, "use a documented key such as source.ip or "
		       "request.headers[name]",
		       "invalid `%s` for `key` %s: attribute %s %s", which,
		       w->key, w->key, why);
		return;
	}
	if (ip)
		ips(x, vals);
	if (port)
		ports(x, vals);
	if (sa)
		service_accounts(x, w->key, vals);
}

static void check_when(struct ap_ctx *x, size_t r, size_t j,
		       const struct ap_condition *w)
{
	set_path(x, "spec.rules[%zu].when[%zu]", r, j);
	if (!w->key || !*w->key) {
		ap_err(x, w->at, "set key, e.g. source.ip", "`key` must not be empty");
		return;
	}
	if (!w->values.n && !w->not_values.n) {
		ap_err(x, w->at, "add values or notValues",
		       "at least one of `values` or `notValues` must be set for "
		       "key %s", w->key);
		return;
	}
	condition_values(x, w, &w->values, "value");
	condition_values(x, w, &w->not_values, "notValue");
}

static void check_rule(struct ap_ctx *x, size_t r, const struct ap_rule *rule)
{
	bool from = false, to = false, l4_from = false, l4_to = false;
	size_t j;

	set_path(x, "spec.rules[%zu]", r);
	if (ynode_is_null(rule->at)) {
		ap_err(x, rule->at, FIX_EMPTY_RULE,
		       "`rule` must not be nil, found at rule %zu", r);
		return;
	}
	if (rule->from.v && !rule->from.n)
		ap_err(x, rule->at, "remove `from: []` to match any source",
		       "`from` must not be empty, found at rule %zu", r);
	for (j = 0; j < rule->from.n; j++)
		from |= check_from(x, r, j, &rule->from.v[j], &l4_from);
	set_path(x, "spec.rules[%zu]", r);
	if (rule->to.v && !rule->to.n)
		ap_err(x, rule->at, "remove `to: []` to match any operation",
		       "`to` must not be empty, found at rule %zu", r);
	for (j = 0; j < rule->to.n; j++)
		to |= check_to(x, r, j, &rule->to.v[j], &l4_to);
	for (j = 0; j < rule->when.n; j++)
		check_when(x, r, j, &rule->when.v[j]);
	set_path(x, "spec.rules[%zu]", r);
	/* The sidecar drops HTTP-only keys from a DENY rule on TCP chains,
	 * which leaves a rule that matches every TCP connection. */
	if (((from && !to && !l4_from) || (to && !l4_to)) &&
	    x->s->action.v == AP_DENY)
		v_warn(x->c, x->o, rule->at, x->path,
		       "add `ports` to the operation so the rule applies only to "
		       "the HTTP ports",
		       "configured AuthorizationPolicy will deny all traffic to "
		       "TCP ports under its scope due to the use of only HTTP "
		       "attributes in a DENY rule; it is recommended to "
		       "explicitly specify the port");
}

static void custom_unsupported(struct ap_ctx *x, bool bad, const char *what,
			       const struct ynode *at)
{
	if (bad)
		ap_err(x, at, "match these attributes in the ext-authz server, "
		       "or use an ALLOW/DENY policy",
		       "%s is currently not supported with CUSTOM action", what);
}

static void check_custom_rule(struct ap_ctx *x, const struct ap_rule *r)
{
	size_t j;

	for (j = 0; j < r->from.n; j++) {
		const struct ap_source *s = &r->from.v[j].source;

		if (!s->at)
			continue;
		custom_unsupported(x, s->namespaces.n, "From.Namespaces", s->at);
		custom_unsupported(x, s->not_namespaces.n, "From.NotNamespaces", s->at);
		custom_unsupported(x, s->service_accounts.n, "From.ServiceAccounts", s->at);
		custom_unsupported(x, s->not_service_accounts.n,
				   "From.NotServiceAccounts", s->at);
		custom_unsupported(x, s->principals.n, "From.Principals", s->at);
		custom_unsupported(x, s->not_principals.n, "From.NotPrincipals", s->at);
		custom_unsupported(x, s->request_principals.n,
				   "From.RequestPrincipals", s->at);
		custom_unsupported(x, s->not_request_principals.n,
				   "From.NotRequestPrincipals", s->at);
	}
	for (j = 0; j < r->when.n; j++) {
		const char *k = r->when.v[j].key ? r->when.v[j].key : "";

		custom_unsupported(x, !strcmp(k, "source.namespace") ||
				   !strcmp(k, "source.serviceAccount") ||
				   !strcmp(k, "source.principal") ||
				   !strncmp(k, "request.auth.", 13), k,
				   r->when.v[j].at);
	}
}

static void check_action(struct ap_ctx *x)
{
	const struct ap_spec *s = x->s;
	const struct ynode *at = s->at ? s->at : x->o->doc;
	size_t i;

	set_path(x, "spec.rules");
	if (s->action.v == AP_CUSTOM) {
		if (!s->rules.v)
			ap_err(x, at, FIX_EMPTY_RULE,
			       "CUSTOM action without `rules` is meaningless as it "
			       "will never be triggered, add an empty rule `{}` if "
			       "you want it be triggered for every request");
		else if (!s->provider.at || !s->provider.name || !*s->provider.name)
			ap_err(x, at, "set provider.name to an extensionProvider "
			       "of the mesh config", "`provider.name` must not be empty");
		for (i = 0; i < s->rules.n; i++)
			check_custom_rule(x, &s->rules.v[i]);
	}
	if (s->provider.at && s->action.v != AP_CUSTOM)
		ap_err(x, s->provider.at, "remove provider, or set action: CUSTOM",
		       "`provider` must not be with non CUSTOM action, found %s",
		       ap_action_names[s->action.v]);
	if (s->action.v == AP_DENY && !s->rules.v)
		ap_err(x, at, FIX_EMPTY_RULE,
		       "DENY action without `rules` is meaningless as it will "
		       "never be triggered, add an empty rule `{}` if you want it "
		       "be triggered for every request");
}

void validate_ap(struct config *c, struct object *o)
{
	const struct ap_spec *s = obj_ap(o);
	struct ap_ctx x = { c, o, s, "" };
	size_t i;

	v_metadata(c, o);
	v_target_refs(c, o, &s->selector, &s->target_ref, s->target_refs.v,
		      s->target_refs.n);
	v_workload_selector(c, o, &s->selector.match_labels, s->selector.at,
			    "spec.selector");
	check_action(&x);
	for (i = 0; i < s->rules.n; i++)
		check_rule(&x, i, &s->rules.v[i]);
}
