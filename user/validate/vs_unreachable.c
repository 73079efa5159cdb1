// SPDX-License-Identifier: Apache-2.0
/* Rules and matches that can never be used, after Istio's
 * analyzeUnreachableHTTPRules / TCPRules / TLSRules, which run inside
 * ValidateVirtualService and surface in `istioctl analyze` as IST0130
 * VirtualServiceUnreachableRule (Warning) and IST0131
 * VirtualServiceIneffectiveMatch (Info). Neither makes the object invalid.
 *
 * Istio compares matches by their JSON serialization without the name;
 * here a canonical string of the same fields plays that part (zero values
 * left out, map keys sorted, as encoding/json does). */
#include "networking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb { char *s; size_t n, cap; };

static void sb_raw(struct sb *b, const char *t, size_t l)
{
	if (b->n + l + 1 > b->cap) {
		size_t cap = (b->n + l + 1) * 2;
		char *s = realloc(b->s, cap);

		if (!s)
			abort();
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->n, t, l);
	b->n += l;
	b->s[b->n] = 0;
}

/* tag, then the value length-prefixed so no value can fake a boundary */
static void sb_val(struct sb *b, const char *tag, const char *v)
{
	char len[32];

	snprintf(len, sizeof(len), "%zu:", strlen(v));
	sb_raw(b, tag, strlen(tag));
	sb_raw(b, len, strlen(len));
	sb_raw(b, v, strlen(v));
}

/* a plain proto3 string: left out when empty, as encoding/json does */
static void sb_str(struct sb *b, const char *tag, const char *v)
{
	if (v && *v)
		sb_val(b, tag, v);
}

static void sb_int(struct sb *b, const char *tag, int64_t v)
{
	char t[48];

	if (v) {
		snprintf(t, sizeof(t), "%s%lld;", tag, (long long)v);
		sb_raw(b, t, strlen(t));
	}
}

static void sb_smatch(struct sb *b, const char *tag,
		      const struct string_match *m)
{
	if (!m->at)
		return;
	sb_raw(b, tag, strlen(tag));
	sb_raw(b, "{", 1);
	/* a oneof member is encoded even when empty */
	if (m->exact)
		sb_val(b, "e", m->exact);
	else if (m->prefix)
		sb_val(b, "p", m->prefix);
	else if (m->regex)
		sb_val(b, "r", m->regex);
	sb_raw(b, "}", 1);
}

static int cmp_sm(const void *a, const void *b)
{
	const struct string_match *x = *(const struct string_match *const *)a;
	const struct string_match *y = *(const struct string_match *const *)b;

	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = *(const struct kv *const *)a;
	const struct kv *y = *(const struct kv *const *)b;

	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

/* map<string, StringMatch>, keys sorted */
static void sb_smap(struct sb *b, const char *tag,
		    const struct string_match *v, size_t n)
{
	const struct string_match **s;
	size_t i;

	if (!n)
		return;
	s = malloc(n * sizeof(*s));
	if (!s)
		abort();
	for (i = 0; i < n; i++)
		s[i] = &v[i];
	qsort(s, n, sizeof(*s), cmp_sm);
	sb_raw(b, tag, strlen(tag));
	for (i = 0; i < n; i++) {
		sb_val(b, "k", s[i]->key ? s[i]->key : "");
		sb_smatch(b, "=", s[i]);
	}
	sb_raw(b, ";", 1);
	free(s);
}

/* map<string, string>, keys sorted */
static void sb_kvs(struct sb *b, const char *tag, const struct kvs *m)
{
	const struct kv **s;
	size_t i;

	if (!m->n)
		return;
	s = malloc(m->n * sizeof(*s));
	if (!s)
		abort();
	for (i = 0; i < m->n; i++)
		s[i] = &m->v[i];
	qsort(s, m->n, sizeof(*s), cmp_kv);
	sb_raw(b, tag, strlen(tag));
	for (i = 0; i < m->n; i++) {
		sb_val(b, "k", s[i]->key ? s[i]->key : "");
		sb_val(b, "=", s[i]->val ? s[i]->val : "");
	}
	sb_raw(b, ";", 1);
	free(s);
}

static void sb_strs(struct sb *b, const char *tag, const struct strs *l)
{
	size_t i;

	if (!l->n)
		return;
	sb_raw(b, tag, strlen(tag));
	for (i = 0; i < l->n; i++)
		sb_val(b, "[", l->v[i] ? l->v[i] : "");
	sb_raw(b, ";", 1);
}

/* Every field of HTTPMatchRequest but the name. */
static char *http_key(const struct http_match *m)
{
	struct sb b = { 0 };

	sb_raw(&b, "H", 1);
	sb_smatch(&b, "u", &m->uri);
	sb_smatch(&b, "s", &m->scheme);
	sb_smatch(&b, "m", &m->method);
	sb_smatch(&b, "a", &m->authority);
	sb_smap(&b, "h", m->headers.v, m->headers.n);
	sb_int(&b, "p", m->port.v);
	sb_kvs(&b, "l", &m->source_labels);
	sb_strs(&b, "g", &m->gateways);
	sb_smap(&b, "q", m->query_params.v, m->query_params.n);
	sb_int(&b, "i", m->ignore_uri_case.v);
	sb_smap(&b, "w", m->without_headers.v, m->without_headers.n);
	sb_str(&b, "n", m->source_namespace);
	sb_str(&b, "t", m->stat_prefix);
	return b.s;
}

static char *l4_key(const struct l4_match *m)
{
	struct sb b = { 0 };

	sb_raw(&b, "L", 1);
	sb_strs(&b, "d", &m->destination_subnets);
	sb_strs(&b, "s", &m->sni_hosts);
	sb_int(&b, "p", m->port.v);
	sb_kvs(&b, "l", &m->source_labels);
	sb_strs(&b, "g", &m->gateways);
	sb_str(&b, "n", m->source_namespace);
	sb_str(&b, "u", m->source_subnet);
	return b.s;
}

/* matchesEncountered: canonical match -> first rule using it */
struct seen {
	char **key;
	size_t *rule;
	size_t cap, n;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void seen_init(struct seen *t, size_t n)
{
	t->cap = 16;
	while (t->cap < n * 2 + 16)
		t->cap *= 2;
	t->n = 0;
	t->key = calloc(t->cap, sizeof(*t->key));
	t->rule = calloc(t->cap, sizeof(*t->rule));
	if (!t->key || !t->rule)
		abort();
}

/* Returns the rule that first used <k>, or inserts <k> (taking it over)
 * with <rule> and returns -1. */
static long seen_get_put(struct seen *t, char *k, size_t rule)
{
	size_t i = fnv(k) & (t->cap - 1);

	for (; t->key[i]; i = (i + 1) & (t->cap - 1)) {
		if (!strcmp(t->key[i], k)) {
			free(k);
			return (long)t->rule[i];
		}
	}
	t->key[i] = k;
	t->rule[i] = rule;
	t->n++;
	return -1;
}

static void seen_free(struct seen *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->key[i]);
	free(t->key);
	free(t->rule);
}

/* routeName / requestName: the quoted name if any, else #index */
static const char *nth(const char *name, size_t i, char *buf, size_t n)
{
	if (name && *name)
		return goq(name, buf, n);
	snprintf(buf, n, "#%zu", i);
	return buf;
}

static void unused(const struct vctx *x, const struct ynode *at,
		   const char *path, const char *rule, const char *reason)
{
	const char *fix = strncmp(reason, "all", 3) ?
		"Give the earlier rule without matches a match, or remove this "
		"rule: a rule without matches takes all traffic left." :
		"Remove this rule or change its matches: earlier rules already "
		"take every request it matches.";

	diag_add(&x->c->diag, "IST0130", SEV_WARNING, x->o, at, path, fix,
		 "VirtualService rule %s not used (%s).", rule, reason);
}

static void ineffective(const struct vctx *x, const struct ynode *at,
			const char *path, const char *rule, const char *match,
			const char *dup)
{
	diag_add(&x->c->diag, "IST0131", SEV_INFO, x->o, at, path,
		 "Remove this match, or move the more specific rule first.",
		 "VirtualService rule %s match %s is not used "
		 "(duplicate/overlapping match in rule %s).", rule, match, dup);
}

/* OverlappingMatchValidationForHTTPRoute: a uri prefix match reduced to
 * the fields Istio compares, values written "exact:v" / "prefix:v". */
struct pkv { const char *key; char *val; };
struct pfx {
	size_t rule, match;
	const char *prefix;
	int64_t port;
	char *method, *authority;
	struct pkv *map[3];
	size_t nmap[3];
};

static char *tagged(const char *tag, const char *v)
{
	size_t n = strlen(tag) + strlen(v) + 1;
	char *s = malloc(n);

	if (!s)
		abort();
	snprintf(s, n, "%s%s", tag, v);
	return s;
}

/* assignExactOrPrefix: "exact:v", "prefix:v", or "" (regex, presence) */
static char *exact_or_prefix(const struct string_match *m)
{
	if (m->exact && *m->exact)
		return tagged("exact:", m->exact);
	if (m->prefix && *m->prefix)
		return tagged("prefix:", m->prefix);
	return tagged("", "");
}

static struct pkv *pkv_map(const struct string_match *v, size_t n)
{
	struct pkv *m = calloc(n + 1, sizeof(*m));
	size_t i;

	if (!m)
		abort();
	for (i = 0; i < n; i++) {
		m[i].key = v[i].key ? v[i].key : "";
		m[i].val = exact_or_prefix(&v[i]);
	}
	return m;
}

static void pfx_fill(struct pfx *p, const struct http_match *m, size_t rule,
		     size_t match)
{
	p->rule = rule;
	p->match = match;
	p->prefix = m->uri.prefix;
	p->port = m->port.v;
	p->method = exact_or_prefix(&m->method);
	if (!*p->method) { /* no method: Istio assumes GET */
		free(p->method);
		p->method = tagged("exact:", "GET");
	}
	p->authority = exact_or_prefix(&m->authority);
	p->map[0] = pkv_map(m->headers.v, m->headers.n);
	p->nmap[0] = m->headers.n;
	p->map[1] = pkv_map(m->query_params.v, m->query_params.n);
	p->nmap[1] = m->query_params.n;
	p->map[2] = pkv_map(m->without_headers.v, m->without_headers.n);
	p->nmap[2] = m->without_headers.n;
}

static void pfx_free(struct pfx *p)
{
	size_t k, i;

	free(p->method);
	free(p->authority);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < p->nmap[k]; i++)
			free(p->map[k][i].val);
		free(p->map[k]);
	}
}

static bool starts(const char *s, const char *pre)
{
	return !strncmp(s, pre, strlen(pre));
}

/* a == b, or a starts with b: Istio's test for "a is not narrower" */
static bool same_or_prefixed(const char *a, const char *b)
{
	return !strcmp(a, b) || starts(a, b);
}

static bool maps_covered(const struct pkv *a, size_t na, const struct pkv *b,
			 size_t nb)
{
	size_t i, j;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && strcmp(a[i].key, b[j].key); j++)
			;
		if (j == nb || !same_or_prefixed(a[i].val, b[j].val))
			return false;
	}
	return true;
}

/* coveredValidation: does earlier match <a> take everything <b> would? */
static bool covered(const struct pfx *a, const struct pfx *b)
{
	size_t k;

	if (!starts(b->prefix, a->prefix) || a->port != b->port ||
	    !same_or_prefixed(a->method, b->method) ||
	    !same_or_prefixed(a->authority, b->authority))
		return false;
	for (k = 0; k < 3; k++)
		if (!maps_covered(a->map[k], a->nmap[k], b->map[k], b->nmap[k]))
			return false;
	return true;
}

static void overlaps(const struct vctx *x, const struct vs_spec *vs,
		     const struct pfx *p, size_t n)
{
	char ra[300], rb[300], ma[300], mb[300], pa[VP_LEN], wa[900], wb[900];
	size_t i, j;

	for (i = 0; n > 1 && i < n; i++) {
		for (j = i + 1; j < n; j++) {
			const struct pfx *a = &p[i], *b = &p[j];
			const struct http_route *r = &vs->http.v[b->rule];

			if (!strcmp(a->prefix, b->prefix) || !covered(a, b))
				continue;
			nth(r->name, b->rule, rb, sizeof(rb));
			nth(r->match.v[b->match].name, b->match, mb, sizeof(mb));
			nth(vs->http.v[a->rule].name, a->rule, ra, sizeof(ra));
			nth(vs->http.v[a->rule].match.v[a->match].name, a->match,
			    ma, sizeof(ma));
			snprintf(wb, sizeof(wb), "%s of prefix %s", mb, b->prefix);
			snprintf(wa, sizeof(wa), "%s of prefix %s on %s", ma,
				 a->prefix, ra);
			ineffective(x, r->match.v[b->match].at,
				    vp(pa, "spec.http[%zu].match[%zu]", b->rule,
				       b->match), rb, wb, wa);
		}
	}
}

static size_t http_match_count(const struct vs_spec *vs)
{
	size_t i, n = 0;

	for (i = 0; i < vs->http.n; i++)
		n += vs->http.v[i].match.n;
	return n;
}

/* The duplicate pass over one HTTP rule; prefix matches go to <p>. */
static void http_rule(const struct vctx *x, const struct vs_spec *vs,
		      size_t i, long empty, struct seen *t, struct pfx *p,
		      size_t *np)
{
	const struct http_route *r = &vs->http.v[i];
	char rn[300], mn[300], dn[300], path[VP_LEN], mp[VP_LEN];
	size_t j, dups = 0;

	nth(r->name, i, rn, sizeof(rn));
	vp(path, "spec.http[%zu]", i);
	for (j = 0; j < r->match.n; j++) {
		const struct http_match *m = &r->match.v[j];
		long d;

		if (empty >= 0) {
			unused(x, r->at, path, rn,
			       "route without matches defined before");
			continue;
		}
		d = seen_get_put(t, http_key(m), i);
		vp(mp, "%s.match[%zu]", path, j);
		if (d >= 0) {
			ineffective(x, m->at, mp, rn, nth(m->name, j, mn,
				    sizeof(mn)), nth(vs->http.v[d].name,
				    (size_t)d, dn, sizeof(dn)));
			dups++;
		} else if (m->uri.at && m->uri.prefix && *m->uri.prefix) {
			pfx_fill(&p[(*np)++], m, i, j);
		}
	}
	if (dups == r->match.n)
		unused(x, r->at, path, rn, "all matches used by prior rules");
}

static void http_rules(const struct vctx *x, const struct vs_spec *vs)
{
	size_t i, n = http_match_count(vs), np = 0;
	struct pfx *p = calloc(n + 1, sizeof(*p));
	struct seen t;
	long empty = -1;
	char rn[300], path[VP_LEN];

	if (!p)
		abort();
	seen_init(&t, n);
	for (i = 0; i < vs->http.n; i++) {
		if (vs->http.v[i].match.n) {
			http_rule(x, vs, i, empty, &t, p, &np);
			continue;
		}
		if (empty >= 0)
			unused(x, vs->http.v[i].at, vp(path, "spec.http[%zu]", i),
			       nth(vs->http.v[i].name, i, rn, sizeof(rn)),
			       "only the last rule can have no matches");
		empty = (long)i;
	}
	overlaps(x, vs, p, np);
	for (i = 0; i < np; i++)
		pfx_free(&p[i]);
	free(p);
	seen_free(&t);
}

/* TCP and TLS rules: duplicates only; they have no names. */
static void l4_rules(const struct vctx *x, const struct l4_route *v, size_t n,
		     const char *kind)
{
	char rn[32], mn[32], dn[32], path[VP_LEN], mp[VP_LEN];
	size_t i, j, total = 0;
	struct seen t;
	long empty = -1;

	for (i = 0; i < n; i++)
		total += v[i].match.n;
	seen_init(&t, total);
	for (i = 0; i < n; i++) {
		size_t dups = 0;

		snprintf(rn, sizeof(rn), "#%zu", i);
		vp(path, "spec.%s[%zu]", kind, i);
		if (!v[i].match.n) {
			if (empty >= 0)
				unused(x, v[i].at, path, rn, "only the last "
				       "rule can have no matches");
			empty = (long)i;
			continue;
		}
		for (j = 0; j < v[i].match.n; j++) {
			long d;

			if (empty >= 0) {
				unused(x, v[i].at, path, rn, "route without "
				       "matches defined before");
				continue;
			}
			d = seen_get_put(&t, l4_key(&v[i].match.v[j]), i);
			if (d < 0)
				continue;
			snprintf(mn, sizeof(mn), "#%zu", j);
			snprintf(dn, sizeof(dn), "#%ld", d);
			ineffective(x, v[i].match.v[j].at, vp(mp, "%s.match[%zu]",
				    path, j), rn, mn, dn);
			dups++;
		}
		if (dups == v[i].match.n)
			unused(x, v[i].at, path, rn,
			       "all matches used by prior rules");
	}
	seen_free(&t);
}

void vs_unreachable(const struct vctx *x, const struct vs_spec *vs)
{
	http_rules(x, vs);
	l4_rules(x, vs->tcp.v, vs->tcp.n, "tcp");
	l4_rules(x, vs->tls.v, vs->tls.n, "tls");
}
