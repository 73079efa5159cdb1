// SPDX-License-Identifier: Apache-2.0
/*
 * String matching as Istio turns AuthorizationPolicy values into Envoy
 * matchers (pilot/pkg/security/authz/matcher): exact, prefix ("abc*"),
 * suffix ("*abc"), "*" for any non-empty value; hosts ignore case;
 * request headers match the value as received or one of its
 * comma-separated elements (HeaderMatcherWithRegex); paths may be
 * {*}/{**} templates (Envoy's uri_template).
 */
#include <strings.h>
#include <string.h>

#include "l7_int.h"

static bool eq(const char *a, const char *b, size_t n, bool icase)
{
	return icase ? !strncasecmp(a, b, n) : !memcmp(a, b, n);
}

bool l7_pat_match(const struct l7_pat *p, const char *s, size_t n, bool icase)
{
	if (!s)
		return false;
	switch (p->kind) {
	case PK_ANY:
		return n > 0;
	case PK_PREFIX:
		return n >= p->len && eq(s, p->s, p->len, icase);
	case PK_SUFFIX:
		return n >= p->len && eq(s + n - p->len, p->s, p->len, icase);
	case PK_TEMPLATE:
		return l7_template_match(p->s, p->len, s, n);
	default:
		return n == p->len && eq(s, p->s, n, icase);
	}
}

bool l7_pats_any(const struct l7_pats *ps, const char *s, size_t n, bool icase)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (l7_pat_match(&ps->v[i], s, n, icase))
			return true;
	return false;
}

/* Where an element may start: 0 or just after a comma. */
static bool at_start(const char *s, size_t i)
{
	return !i || s[i - 1] == ',';
}

/* Where an element may end: the end or a comma. */
static bool at_end(const char *s, size_t n, size_t i)
{
	return i == n || s[i] == ',';
}

/* ^v$ | ^v,.* | .*,v,.* | .*,v$ with v the pattern's regex: some span
 * from an element start to an element end matches it ("abc*" and "*abc"
 * carry a .* that may cross commas). */
bool l7_hdr_match(const struct l7_pat *p, const char *s, size_t n)
{
	size_t i, j;

	if (!s)
		return false;
	if (p->kind == PK_ANY)
		return true;	/* Envoy's present_match */
	for (i = 0; i + p->len <= n; i++) {
		if (!at_start(s, i) && p->kind != PK_SUFFIX)
			continue;
		switch (p->kind) {
		case PK_PREFIX:	/* v.*: ends at the end */
			if (!memcmp(s + i, p->s, p->len))
				return true;
			break;
		case PK_SUFFIX:	/* .*v from 0 to an element end */
			j = i + p->len;
			if (at_end(s, n, j) && !memcmp(s + i, p->s, p->len))
				return true;
			break;
		default:
			if (at_end(s, n, i + p->len) &&
			    !memcmp(s + i, p->s, p->len))
				return true;
		}
	}
	return false;
}

/* A character {*} and {**} take (RFC 3986 pchar, as Envoy's
 * uri_template); {**} takes '/' too. */
static bool pchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._~%!$&'()*+,;=:@", c);
}

bool l7_template_match(const char *t, size_t tn, const char *s, size_t n)
{
	size_t k;

	while (tn) {
		if (tn >= 4 && !memcmp(t, "{**}", 4)) {
			/* the rest: zero or more segments (last operator) */
			for (k = 0; k < n; k++)
				if (s[k] != '/' && !pchar(s[k]))
					return false;
			return tn == 4;
		}
		if (tn >= 3 && !memcmp(t, "{*}", 3)) {
			/* one non-empty segment, or part of one */
			for (k = 0; k < n && s[k] != '/' && pchar(s[k]); k++)
				if (l7_template_match(t + 3, tn - 3, s + k + 1,
						      n - k - 1))
					return true;
			return false;
		}
		if (!n || *t != *s)
			return false;
		t++, tn--, s++, n--;
	}
	return !n;
}
