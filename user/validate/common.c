// SPDX-License-Identifier: Apache-2.0
/* Name, address, port and label checks shared by the validators. Each one
 * follows the Istio helper named in common.h, so that a host or a CIDR that
 * Istio accepts in one kind is accepted in every kind here too. */
#include "common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void v_report(struct config *c, const struct object *o,
		     const struct ynode *at, const char *path, const char *fix,
		     bool err, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_add(&c->diag, err ? "IST0106" : "IST0133",
		 err ? SEV_ERROR : SEV_WARNING, o, at, path, fix,
		 "Schema validation %s: %s", err ? "error" : "warning", msg);
}

void v_error(struct config *c, const struct object *o, const struct ynode *at,
	     const char *path, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	v_report(c, o, at, path, fix, true, fmt, ap);
	va_end(ap);
}

void v_warn(struct config *c, const struct object *o, const struct ynode *at,
	    const char *path, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	v_report(c, o, at, path, fix, false, fmt, ap);
	va_end(ap);
}

/* Istio's DNS-1123 label admits upper case: [a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])? */
bool v_dns1123_label(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* "*", or a label with an optional leading "*" or "*-" */
static bool wildcard_label(const char *s, size_t len)
{
	if (len > 63)
		return false;
	if (len == 1 && s[0] == '*')
		return true;
	if (len >= 2 && s[0] == '*' && s[1] == '-' &&
	    v_dns1123_label(s + 2, len - 2))
		return true;
	if (len >= 1 && s[0] == '*')
		return v_dns1123_label(s + 1, len - 1);
	return v_dns1123_label(s, len);
}

static const char *dns_preconditions(const char *s, char *buf, size_t n)
{
	size_t len = strlen(s);

	if (len > 255) {
		snprintf(buf, n, "domain name \"%.40s...\" too long (max 255)", s);
		return buf;
	}
	if (!len) {
		snprintf(buf, n, "empty domain name not allowed");
		return buf;
	}
	return NULL;
}

/* Go's strconv.Atoi succeeds: optional sign, then only digits */
static bool all_numeric(const char *s, size_t len)
{
	size_t i = 0;

	if (len && (s[0] == '+' || s[0] == '-'))
		i++;
	if (i == len)
		return false;
	for (; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* agent.ValidateDNS1123Labels: "<domain>" may end with one empty label */
static const char *dns_labels(const char *full, const char *s, char *buf,
			      size_t n)
{
	const char *tld = strrchr(s, '.');
	const char *p = s;

	tld = tld ? tld + 1 : s;
	if (all_numeric(tld, strlen(tld))) {
		snprintf(buf, n, "domain name \"%s\" invalid (top level domain "
			 "\"%s\" cannot be all-numeric)", full, tld);
		return buf;
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!dot && !len)
			return NULL; /* trailing dot: "istio.io." */
		if (!v_dns1123_label(p, len)) {
			snprintf(buf, n, "domain name \"%s\" invalid (label "
				 "\"%.*s\" invalid)", full, (int)len, p);
			return buf;
		}
		if (!dot)
			return NULL;
		p = dot + 1;
	}
}

const char *v_fqdn(const char *s, char *buf, size_t n)
{
	const char *e = dns_preconditions(s, buf, n);

	return e ? e : dns_labels(s, s, buf, n);
}

const char *v_wildcard_domain(const char *s, char *buf, size_t n)
{
	const char *e = dns_preconditions(s, buf, n);
	const char *dot;
	size_t len;

	if (e)
		return e;
	dot = strchr(s, '.');
	len = dot ? (size_t)(dot - s) : strlen(s);
	if (!wildcard_label(s, len)) {
		snprintf(buf, n, "domain name \"%s\" invalid (label \"%.*s\" "
			 "invalid)", s, (int)len, s);
		return buf;
	}
	return dot ? dns_labels(s, dot + 1, buf, n) : NULL;
}

bool v_partial_wildcard(const char *host)
{
	return strchr(host, '*') && strlen(host) != 1 && strncmp(host, "*.", 2);
}

/* netip.ParseAddr: inet_pton's grammar (no leading zeros in IPv4 octets),
 * plus an IPv6 zone "%eth0". */
bool v_ip(const char *s)
{
	unsigned char b[16];
	char tmp[64];
	const char *pct;

	if (!s || !*s)
		return false;
	if (inet_pton(AF_INET, s, b) == 1)
		return true;
	pct = strchr(s, '%');
	if (pct) {
		size_t l = (size_t)(pct - s);

		if (l >= sizeof(tmp) || !pct[1])
			return false;
		memcpy(tmp, s, l);
		tmp[l] = 0;
		return inet_pton(AF_INET6, tmp, b) == 1;
	}
	return inet_pton(AF_INET6, s, b) == 1;
}

/* netip.ParsePrefix: address without zone, "/", decimal bits in range */
bool v_cidr(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;
	unsigned char b[16];
	char addr[64];
	size_t l, i, bl;
	long bits;
	int max;

	if (!slash)
		return false;
	l = (size_t)(slash - s);
	bl = strlen(slash + 1);
	if (!l || l >= sizeof(addr) || !bl || bl > 3)
		return false;
	for (i = 0; i < bl; i++)
		if (!isdigit((unsigned char)slash[1 + i]))
			return false;
	if (bl > 1 && slash[1] == '0')
		return false;
	memcpy(addr, s, l);
	addr[l] = 0;
	if (inet_pton(AF_INET, addr, b) == 1)
		max = 32;
	else if (inet_pton(AF_INET6, addr, b) == 1)
		max = 128;
	else
		return false;
	bits = strtol(slash + 1, NULL, 10);
	return bits <= max;
}

const char *v_ip_subnet(const char *s, char *buf, size_t n)
{
	const char *slash = strchr(s, '/');

	if (slash && !strchr(slash + 1, '/')) {
		if (v_cidr(s))
			return NULL;
		snprintf(buf, n, "\"%s\" is not a valid CIDR range", s);
		return buf;
	}
	if (v_ip(s))
		return NULL;
	snprintf(buf, n, "%s is not a valid IP", s);
	return buf;
}

/* strconv.ParseUint(s, 10, 32) && <= 65535 */
bool v_port_string(const char *s)
{
	size_t i, len = s ? strlen(s) : 0;

	if (!len || len > 5)
		return false;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return strtol(s, NULL, 10) <= 65535;
}

/* Kubernetes qualified name: ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], <= 63 */
static bool qualified_name(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 63 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* [dns-prefix/]name; the prefix is dot-separated labels, <= 253 */
bool v_label_key(const char *k)
{
	const char *slash = strchr(k, '/');
	const char *p = k;

	if (!slash)
		return qualified_name(k, strlen(k));
	if ((size_t)(slash - k) > 253 || slash == k)
		return false;
	while (p < slash) {
		const char *dot = memchr(p, '.', (size_t)(slash - p));
		size_t len = dot ? (size_t)(dot - p) : (size_t)(slash - p);

		if (!v_dns1123_label(p, len))
			return false;
		p += len + (dot != NULL);
		if (dot && p == slash)
			return false;
	}
	return qualified_name(slash + 1, strlen(slash + 1));
}

bool v_label_value(const char *v)
{
	return !v || !*v || qualified_name(v, strlen(v));
}

enum proto v_protocol(const char *s)
{
	static const char *const names[] = {
		[P_TCP] = "tcp", [P_UDP] = "udp", [P_GRPC] = "grpc",
		[P_GRPC_WEB] = "grpc-web", [P_HTTP] = "http",
		[P_HTTP_PROXY] = "http_proxy", [P_HTTP2] = "http2",
		[P_HTTPS] = "https", [P_TLS] = "tls", [P_MONGO] = "mongo",
		[P_REDIS] = "redis", [P_MYSQL] = "mysql",
	};
	size_t i;

	for (i = 1; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(s, names[i]))
			return (enum proto)i;
	return P_UNSUPPORTED;
}

bool v_proto_is_http(enum proto p)
{
	return p == P_HTTP || p == P_HTTP2 || p == P_HTTP_PROXY ||
	       p == P_GRPC || p == P_GRPC_WEB;
}

bool v_proto_is_tls(enum proto p)
{
	return p == P_HTTPS || p == P_TLS;
}

bool v_proto_is_tcp(enum proto p)
{
	return p == P_TCP || v_proto_is_tls(p) || p == P_MONGO ||
	       p == P_REDIS || p == P_MYSQL;
}

void v_workload_selector(struct config *c, const struct object *o,
			 const struct kvs *labels, const struct ynode *at,
			 const char *path)
{
	size_t i;

	if (!at)
		return;
	for (i = 0; i < labels->n; i++) {
		const struct kv *kv = &labels->v[i];
		const char *v = kv->val ? kv->val : "";

		if (!*kv->key)
			v_error(c, o, kv->at, path, "give the label a key",
				"empty key is not supported in selector: \"=%s\"", v);
		if (strchr(kv->key, '*') || strchr(v, '*'))
			v_error(c, o, kv->at, path,
				"list exact label values; selectors do not take wildcards",
				"wildcard is not supported in selector: \"%s=%s\"",
				kv->key, v);
	}
	if (!labels->n)
		v_warn(c, o, at, path,
		       "add matchLabels, or remove the selector to apply to the "
		       "whole namespace",
		       "workload selector specified without labels");
}

static bool export_seen(const struct strs *e, size_t upto, const char *key,
			const char *ns)
{
	size_t j;

	for (j = 0; j < upto; j++) {
		const char *k = strcmp(e->v[j], ".") ? e->v[j] : ns;

		if (!strcmp(k, key))
			return true;
	}
	return false;
}

static void export_entry(struct config *c, const struct object *o,
			 const struct strs *e, size_t i, bool is_se,
			 const char *path)
{
	const char *v = e->v[i];
	const char *key = strcmp(v, ".") ? v : o->ns;
	const struct ynode *at = e->at && i < e->at->n ? e->at->items[i] : e->at;

	if (export_seen(e, i, key, o->ns)) {
		if (strcmp(key, v))
			v_error(c, o, at, path, "keep one of them",
				"duplicate entries in exportTo: . and current "
				"namespace %s", o->ns);
		else
			v_error(c, o, at, path, "remove the repeated entry",
				"duplicate entries in exportTo for entry %s", v);
		return;
	}
	if (!strcmp(v, "~") && !is_se)
		v_error(c, o, at, path, "use \".\" to keep it in its namespace",
			"exportTo ~ (none) is not allowed for Istio configuration objects");
	else if (strcmp(v, ".") && strcmp(v, "*") && strcmp(v, "~") &&
		 !v_dns1123_label(v, strlen(v)))
		v_error(c, o, at, path, "write a namespace name, \".\" or \"*\"",
			"only .,*, or a valid DNS 1123 label is allowed as exportTo entry");
}

void v_export_to(struct config *c, const struct object *o,
		 const struct strs *e, bool is_se, const char *path)
{
	size_t i;
	bool star = false, none = false;

	for (i = 0; i < e->n; i++) {
		export_entry(c, o, e, i, is_se, path);
		star |= !strcmp(e->v[i], "*");
		none |= !strcmp(e->v[i], "~") && is_se;
	}
	if (star && e->n > 1)
		v_error(c, o, e->at, path, "keep only \"*\"",
			"cannot have both public (*) and non-public exportTo "
			"values for a resource");
	if (none && e->n > 1)
		v_error(c, o, e->at, path, "keep only \"~\"",
			"cannot export service entry to no one (~) and someone");
}

/* Kinds a policy may target (Istio's allowedTargetRefs, plus GatewayClass
 * which newer releases accept for mesh-wide waypoint policy). */
static bool target_kind_ok(const char *group, const char *kind)
{
	static const char *const ok[][2] = {
		{ "", "Service" },
		{ "networking.istio.io", "ServiceEntry" },
		{ "gateway.networking.k8s.io", "Gateway" },
		{ "gateway.networking.k8s.io", "GatewayClass" },
	};
	size_t i;

	if (!group || !strcmp(group, "core"))
		group = "";
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (kind && !strcmp(ok[i][0], group) && !strcmp(ok[i][1], kind))
			return true;
	return false;
}

static void target_ref(struct config *c, const struct object *o,
		       const struct target_ref *r, const char *path)
{
	if (!r->at)
		return;
	if (!r->name || !*r->name)
		v_error(c, o, r->at, path, "set name to the Service or Gateway to target",
			"targetRef name must be set");
	if (r->namespace_ && *r->namespace_)
		v_error(c, o, r->at, path,
			"remove namespace and put the policy in the target's namespace",
			"targetRef namespace must not be set; cross namespace "
			"referencing is not supported");
	if (!target_kind_ok(r->group, r->kind))
		v_error(c, o, r->at, path,
			"target a core Service, a networking.istio.io ServiceEntry "
			"or a gateway.networking.k8s.io Gateway",
			"targetRef must be to one of [core/Service "
			"networking.istio.io/ServiceEntry gateway.networking.k8s.io/Gateway] "
			"but was %s/%s", r->group ? r->group : "",
			r->kind ? r->kind : "");
}

void v_target_refs(struct config *c, const struct object *o,
		   const struct selector *sel, const struct target_ref *ref,
		   const struct target_ref *refs, size_t n_refs)
{
	char path[64];
	size_t i;
	int set = !!sel->at + !!ref->at + (n_refs > 0);

	if (set > 1)
		v_error(c, o, sel->at ? sel->at : ref->at, "spec.selector",
			"keep either selector or targetRefs",
			"only one of targetRefs or workloadSelector can be set");
	target_ref(c, o, ref, "spec.targetRef");
	for (i = 0; i < n_refs; i++) {
		snprintf(path, sizeof(path), "spec.targetRefs[%zu]", i);
		target_ref(c, o, &refs[i], path);
	}
}

static bool go_parse_bool(const char *v)
{
	static const char *const ok[] = { "1", "t", "T", "TRUE", "true", "True",
		"0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(v, ok[i]))
			return true;
	return false;
}

void v_metadata(struct config *c, const struct object *o)
{
	const struct kv *dry = NULL;
	const struct ap_spec *ap = obj_ap(o);
	size_t i;

	for (i = 0; i < o->meta.annotations.n; i++)
		if (!strcmp(o->meta.annotations.v[i].key, "istio.io/dry-run"))
			dry = &o->meta.annotations.v[i];
	if (!dry)
		return;
	if (!ap) {
		v_error(c, o, dry->at, "metadata.annotations", "remove the annotation",
			"%s/%s has unsupported annotation istio.io/dry-run, please "
			"remove the annotation", o->ns, o->meta.name);
		return;
	}
	if (ap->action.v != AP_ALLOW && ap->action.v != AP_DENY)
		v_error(c, o, dry->at, "metadata.annotations",
			"dry-run works only for ALLOW and DENY policies",
			"the annotation istio.io/dry-run currently only supports "
			"action ALLOW/DENY, found action %s in %s/%s",
			ap_action_names[ap->action.v], o->ns, o->meta.name);
	else if (!go_parse_bool(dry->val ? dry->val : ""))
		v_error(c, o, dry->at, "metadata.annotations",
			"write \"true\" or \"false\"",
			"%s/%s has annotation istio.io/dry-run with invalid value "
			"(%s)", o->ns, o->meta.name, dry->val ? dry->val : "");
}

bool v_require_spec(struct config *c, const struct object *o,
		    const void *spec_at)
{
	if (spec_at)
		return true;
	v_error(c, o, o->doc, "spec", "add a spec; this kind cannot be empty",
		"spec: Required value");
	return false;
}

/* labels.Instance.Validate */
void v_label_map(struct config *c, const struct object *o,
	      const struct kvs *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!v_label_key(l->v[i].key))
			v_error(c, o, l->v[i].at, path,
				"use a Kubernetes label name such as app or "
				"example.com/tier",
				"invalid tag key: \"%s\"", l->v[i].key);
		if (!v_label_value(l->v[i].val))
			v_error(c, o, l->v[i].at, path,
				"use at most 63 letters, digits, '-', '_' or '.', "
				"starting and ending alphanumeric",
				"invalid tag value: \"%s\"", l->v[i].val);
	}
}
