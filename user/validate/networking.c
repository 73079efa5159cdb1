// SPDX-License-Identifier: Apache-2.0
/* Field checks used by both the VirtualService and the DestinationRule
 * validators: durations, percentages, protobuf integer widths, destinations,
 * subset names, labels and Istio's wildcard host relations. */
#include "networking.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vp(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, VP_LEN, fmt, ap);
	va_end(ap);
	return buf;
}

const struct ynode *vnode(const struct ynode *parent, const char *key)
{
	const struct ynode *n = ynode_get(parent, key);

	return n ? n : parent;
}

const char *goq(const char *s, char *buf, size_t n)
{
	size_t o = 0;

	if (n < 3)
		return "";
	buf[o++] = '"';
	for (; s && *s && o + 3 < n; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = 0;
	return buf;
}

void v_duration(const struct vctx *x, const struct ynode *parent,
		const char *key, const struct opt_dur *d, const char *path)
{
	static const char *fix = "Use a duration of at least 1ms in whole "
				 "milliseconds, such as 500ms or 2s.";

	if (!d->set)
		return;
	if (d->ns < 1000000)
		v_error(x->c, x->o, vnode(parent, key), path, fix,
			"duration must be greater than 1ms");
	else if (d->ns % 1000000)
		v_error(x->c, x->o, vnode(parent, key), path, fix,
			"only durations to ms precision are supported");
}

static bool v_range(const struct vctx *x, const struct ynode *parent,
		    const char *key, const struct opt_i64 *v, const char *path,
		    int64_t lo, int64_t hi, const char *type)
{
	if (!v->set || (v->v >= lo && v->v <= hi))
		return true;
	v_error(x->c, x->o, vnode(parent, key), path,
		"Use a value that fits the field's protobuf type.",
		"%s: value %lld is out of range for %s", path,
		(long long)v->v, type);
	return false;
}

bool v_int32(const struct vctx *x, const struct ynode *parent,
	     const char *key, const struct opt_i64 *v, const char *path)
{
	return v_range(x, parent, key, v, path, INT32_MIN, INT32_MAX, "int32");
}

bool v_uint32(const struct vctx *x, const struct ynode *parent,
	      const char *key, const struct opt_i64 *v, const char *path)
{
	return v_range(x, parent, key, v, path, 0, UINT32_MAX, "uint32");
}

void v_percent_int(const struct vctx *x, const struct ynode *parent,
		   const char *key, const struct opt_i64 *v, const char *path)
{
	if (v->set && (v->v < 0 || v->v > 100))
		v_error(x->c, x->o, vnode(parent, key), path,
			"Use a percentage from 0 to 100.",
			"percentage %lld is not in range 0..100",
			(long long)v->v);
}

void v_percentage(const struct vctx *x, const struct percent *p,
		  const char *path)
{
	double v = p->value.v;

	if (!p->at || !p->value.set)
		return;
	if (v < 0.0 || v > 100.0 || (v > 0.0 && v < 0.0001))
		v_error(x->c, x->o, vnode(p->at, "value"), path,
			"Use a value of 0, or from 0.0001 to 100.",
			"percentage %g is neither 0.0, nor in range "
			"[0.0001, 100.0]", v);
}

bool v_subset_name(const struct vctx *x, const char *name,
		   const struct ynode *at, const char *path)
{
	static const char *fix = "Use a DNS-1123 label: letters, digits and "
				 "'-', at most 63 characters.";

	if (!name || !*name) {
		v_error(x->c, x->o, at, path, fix, "subset name cannot be empty");
		return false;
	}
	if (!v_dns1123_label(name, strlen(name))) {
		v_error(x->c, x->o, at, path, fix, "subset name is invalid: %s",
			name);
		return false;
	}
	return true;
}

void v_destination(const struct vctx *x, const struct destination *d,
		   const char *path)
{
	char p[VP_LEN], why[512];
	const char *host = d->host ? d->host : "";
	const char *err;

	if (!d->at)
		return;
	if (!strcmp(host, "*")) {
		v_error(x->c, x->o, vnode(d->at, "host"), vp(p, "%s.host", path),
			"Name one service host; '*' is not a destination.",
			"invalid destination host *");
	} else if ((err = v_wildcard_domain(host, why, sizeof(why)))) {
		v_error(x->c, x->o, vnode(d->at, "host"), vp(p, "%s.host", path),
			"Set host to a service name or FQDN.", "%s", err);
	}
	if (d->subset && *d->subset)
		v_subset_name(x, d->subset, vnode(d->at, "subset"),
			      vp(p, "%s.subset", path));
	if (d->port.at && !v_port_ok(d->port.number.v))
		v_error(x->c, x->o, vnode(d->port.at, "number"),
			vp(p, "%s.port.number", path),
			"Use a port number from 1 to 65535.",
			"port number %lld must be in the range 1..65535",
			(long long)d->port.number.v);
}

void v_labels(const struct vctx *x, const struct kvs *l, const char *path)
{
	char p[VP_LEN], q[300];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct kv *e = &l->v[i];

		if (!v_label_key(e->key))
			v_error(x->c, x->o, e->at, vp(p, "%s[%s]", path, e->key),
				"Use a Kubernetes label key such as app or "
				"example.com/tier.", "invalid tag key: %s",
				goq(e->key, q, sizeof(q)));
		if (!v_label_value(e->val ? e->val : ""))
			v_error(x->c, x->o, e->at, vp(p, "%s[%s]", path, e->key),
				"Use a Kubernetes label value: at most 63 "
				"letters, digits, '-', '_' or '.'.",
				"invalid tag value: %s",
				goq(e->val ? e->val : "", q, sizeof(q)));
	}
}

static bool wildcarded(const char *h)
{
	return h[0] == '*';
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t ls = strlen(s), lf = strlen(suf);

	return ls >= lf && !strcmp(s + ls - lf, suf);
}

bool host_matches(const char *a, const char *b)
{
	if (wildcarded(a) && wildcarded(b))
		return strlen(a) < strlen(b) ? has_suffix(b + 1, a + 1) :
					       has_suffix(a + 1, b + 1);
	if (wildcarded(a))
		return has_suffix(b, a + 1);
	if (wildcarded(b))
		return has_suffix(a, b + 1);
	return !strcmp(a, b);
}

bool host_subset_of(const char *a, const char *b)
{
	if (wildcarded(b))
		return has_suffix(wildcarded(a) ? a + 1 : a, b + 1);
	if (wildcarded(a))
		return false;
	return !strcmp(a, b);
}

bool v_http_status(int64_t s)
{
	return s >= 200 && s <= 600;
}

bool v_header_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

static bool has_class(const char *s, size_t n, int (*is)(int))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is((unsigned char)s[i]))
			return true;
	return false;
}

/* strings.Trim(s, ".") on s[0..*len) */
static const char *trim_dots(const char *s, size_t *len)
{
	while (*len && *s == '.')
		s++, (*len)--;
	while (*len && s[*len - 1] == '.')
		(*len)--;
	return s;
}

/* parseAutoGeneratedSNIDomain: outbound_.<PORT>_._.<HOSTNAME> */
static const char *auto_sni(const char *h, char *buf, size_t n)
{
	static const char *fmt = "outbound_.<PORT>_._.<HOSTNAME>";
	const char *part[4], *s = h;
	size_t len[4], k;

	for (k = 0; k < 4; k++) {
		const char *u = strchr(s, '_');

		if (!u && k < 3) {
			snprintf(buf, n, "domain name %s invalid, should follow "
				 "'%s' format", h, fmt);
			return buf;
		}
		part[k] = s;
		len[k] = u ? (size_t)(u - s) : strlen(s);
		s = u ? u + 1 : s + len[k];
	}
	part[1] = trim_dots(part[1], &len[1]);
	part[3] = trim_dots(part[3], &len[3]);
	for (k = 1; k < 4; k += 2) {
		if (has_class(part[k], len[k], k == 1 ? isdigit : isalpha))
			continue;
		snprintf(buf, n, "domain name \"%s\" invalid (label \"%.*s\" "
			 "invalid). should follow %s format", h, (int)len[k],
			 part[k], fmt);
		return buf;
	}
	return NULL;
}

const char *v_gateway_host(bool sni, const char *h, char *buf, size_t n)
{
	if (sni && !strncmp(h, "outbound_", 9) && strlen(h) <= 255)
		return auto_sni(h, buf, n);
	return v_wildcard_domain(h, buf, n);
}
