// SPDX-License-Identifier: Apache-2.0
/* Istio compiles every match regex with Go's regexp (RE2 syntax) and
 * rejects the object when that fails. We have no RE2 here, so this is an
 * approximation: the RE2 features POSIX ERE lacks are rewritten to ERE
 * equivalents of the same shape ((?:, (?P<n>, (?i), \d, \w, \s, lazy
 * quantifiers), the constructs RE2 refuses but glibc would accept are
 * refused by hand (back-references, nested repetition, look-around, repeat
 * counts over 1000), and what remains goes to regcomp(REG_EXTENDED). Only
 * the verdict is used; the rewritten expression never matches anything. */
#include "networking.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rx {
	const char *s;    /* RE2 source */
	size_t i;         /* read position */
	char *out;        /* ERE being built */
	size_t o, cap;
	bool quant;       /* last token emitted was a repetition */
	bool atom;        /* something a quantifier may apply to was emitted */
	int depth;
	char err[160];
};

static void put(struct rx *r, const char *t)
{
	size_t l = strlen(t);

	if (r->o + l + 1 > r->cap)
		return; /* cannot happen: cap is sized for the worst case */
	memcpy(r->out + r->o, t, l + 1);
	r->o += l;
}

static bool fail(struct rx *r, const char *what, size_t from, size_t len)
{
	snprintf(r->err, sizeof(r->err), "%s: `%.*s`", what, (int)len,
		 r->s + from);
	return false;
}

static const char *class_escape(char c, bool in_bracket)
{
	switch (c) {
	case 'd': return in_bracket ? "0-9" : "[0-9]";
	case 'w': return in_bracket ? "A-Za-z0-9_" : "[A-Za-z0-9_]";
	case 's': return in_bracket ? "[:space:]" : "[[:space:]]";
	case 'D': return in_bracket ? "x" : "[^0-9]";
	case 'W': return in_bracket ? "x" : "[^A-Za-z0-9_]";
	case 'S': return in_bracket ? "x" : "[^[:space:]]";
	}
	return NULL;
}

/* \x.. \p.. \P..: skip the argument, emit a stand-in of the same kind. */
static void skip_escape_arg(struct rx *r, char c)
{
	if (r->s[r->i] == '{') {
		const char *e = strchr(r->s + r->i, '}');

		r->i = e ? (size_t)(e - r->s) + 1 : strlen(r->s);
	} else if (c == 'x') {
		for (int k = 0; k < 2 && isxdigit((unsigned char)r->s[r->i]); k++)
			r->i++;
	} else if (r->s[r->i]) {
		r->i++;
	}
}

static bool escape(struct rx *r, bool in_bracket)
{
	size_t at = r->i - 1;
	char c = r->s[r->i++], lit[3] = { '\\', c, 0 };
	const char *cls;

	if (!c)
		return fail(r, "trailing backslash at end of expression", at, 1);
	if (c >= '1' && c <= '9')
		return fail(r, "invalid escape sequence", at, 2);
	if (c == 'Q' && !in_bracket) { /* \Q...\E: all literal */
		const char *e = strstr(r->s + r->i, "\\E");

		r->i = e ? (size_t)(e - r->s) + 2 : strlen(r->s);
		put(r, "x");
	} else if ((cls = class_escape(c, in_bracket))) {
		put(r, cls);
	} else if (c == 'x' || c == 'p' || c == 'P') {
		skip_escape_arg(r, c);
		put(r, in_bracket ? "x" : ".");
	} else if (strchr("bBAz", c)) {
		return true; /* assertions: nothing to check */
	} else if (isalnum((unsigned char)c) && !strchr("afnrtv0C", c)) {
		return fail(r, "invalid escape sequence", at, 2);
	} else if (in_bracket) {
		put(r, "x");
	} else {
		put(r, isalnum((unsigned char)c) ? "x" : lit);
	}
	return true;
}

static bool bracket(struct rx *r)
{
	size_t at = r->i - 1;

	put(r, "[");
	if (r->s[r->i] == '^')
		put(r, "^"), r->i++;
	if (r->s[r->i] == ']')
		put(r, "]"), r->i++;
	while (r->s[r->i] && r->s[r->i] != ']') {
		char c = r->s[r->i++];

		if (c == '\\') {
			if (!escape(r, true))
				return false;
		} else if (c == '[' && r->s[r->i] == ':') {
			const char *e = strstr(r->s + r->i, ":]");

			if (!e)
				return fail(r, "missing closing ]", at,
					    strlen(r->s) - at);
			put(r, "[");
			while (r->s + r->i < e + 2) {
				char t[2] = { r->s[r->i++], 0 };

				put(r, t);
			}
		} else {
			char t[2] = { c, 0 };

			put(r, t);
		}
	}
	if (!r->s[r->i])
		return fail(r, "missing closing ]", at, strlen(r->s) - at);
	r->i++;
	put(r, "]");
	return true;
}

/* "(?" forms: non-capturing, named, flags. */
static bool group_ext(struct rx *r)
{
	size_t at = r->i - 1, j = r->i + 1;
	const char *s = r->s;

	if (s[j] == 'P' && s[j + 1] == '<')
		j++;
	if (s[j] == '<') {
		while (s[j] && s[j] != '>')
			j++;
		if (!s[j])
			return fail(r, "invalid named capture", at, j - at);
		r->i = j + 1;
		r->depth++;
		put(r, "(");
		return true;
	}
	while (s[j] && strchr("imsU-", s[j]))
		j++;
	if (s[j] == ')') { /* (?i): flags only, no group */
		r->i = j + 1;
		return true;
	}
	if (s[j] != ':')
		return fail(r, "invalid or unsupported Perl syntax", at,
			    s[j] ? j - at + 1 : j - at);
	r->i = j + 1;
	r->depth++;
	put(r, "(");
	return true;
}

/* {n}, {n,}, {n,m}: a repeat if well formed, else RE2 reads a literal. */
static int repeat(struct rx *r)
{
	const char *s = r->s + r->i;
	char *e;
	long lo, hi;

	if (!isdigit((unsigned char)s[1]))
		return 0;
	lo = strtol(s + 1, &e, 10);
	hi = lo;
	if (*e == ',') {
		hi = isdigit((unsigned char)e[1]) ? strtol(e + 1, &e, 10) : -1;
		if (hi < 0 && *e == ',')
			e++;
	}
	if (*e != '}')
		return 0;
	if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo))
		return -(int)(e - s + 1);
	return (int)(e - s + 1);
}

static bool quantifier(struct rx *r, size_t len)
{
	size_t at = r->i;
	char t[64];

	if (!r->atom)
		return fail(r, "missing argument to repetition operator", at,
			    len);
	if (r->quant)
		return fail(r, "invalid nested repetition operator", at - 1,
			    len + 1);
	snprintf(t, sizeof(t), "%.*s", (int)len, r->s + at);
	put(r, t);
	r->i += len;
	if (r->s[r->i] == '?') /* lazy: same syntax to ERE */
		r->i++;
	r->quant = true;
	return true;
}

static bool step(struct rx *r)
{
	char c = r->s[r->i];
	int n;

	if (c == '*' || c == '+' || c == '?')
		return quantifier(r, 1);
	if (c == '{' && (n = repeat(r)) != 0) {
		if (n < 0)
			return fail(r, "invalid repeat count", r->i, -n);
		return quantifier(r, n);
	}
	r->i++;
	r->quant = false;
	r->atom = true;
	switch (c) {
	case '\\':
		return escape(r, false);
	case '[':
		return bracket(r);
	case '(':
		r->atom = false;
		if (r->s[r->i] == '?')
			return group_ext(r);
		r->depth++;
		put(r, "(");
		return true;
	case ')':
		if (--r->depth < 0)
			return fail(r, "unexpected )", 0, strlen(r->s));
		put(r, ")");
		return true;
	case '|':
		r->atom = false;
		put(r, "|");
		return true;
	case '{':
	case '}':
		put(r, c == '{' ? "\\{" : "\\}");
		return true;
	case '^':
	case '$':
		r->atom = false;
		put(r, c == '^' ? "^" : "$");
		return true;
	default: {
		char t[2] = { c, 0 };

		put(r, t);
		return true;
	}
	}
}

static bool translate(struct rx *r)
{
	while (r->s[r->i])
		if (!step(r))
			return false;
	if (r->depth > 0)
		return fail(r, "missing closing )", 0, strlen(r->s));
	return true;
}

const char *v_regex(const char *re, const char *where, char *buf, size_t n)
{
	struct rx r = { .s = re };
	static const char *tail = "; Istio uses RE2 style regex-based match "
				  "(https://github.com/google/re2/wiki/Syntax)";
	regex_t rx;
	int rc;

	if (strlen(re) > 1024) {
		snprintf(buf, n, "\"%s\": regex is too large, max length "
			 "allowed is 1024", where);
		return buf;
	}
	r.cap = strlen(re) * 16 + 16;
	r.out = malloc(r.cap);
	if (!r.out)
		return NULL;
	r.out[0] = 0;
	if (!translate(&r)) {
		snprintf(buf, n, "\"%s\": error parsing regexp: %s%s", where,
			 r.err, tail);
		free(r.out);
		return buf;
	}
	rc = regcomp(&rx, r.out, REG_EXTENDED | REG_NOSUB);
	free(r.out);
	if (!rc) {
		regfree(&rx);
		return NULL;
	}
	{
		char why[128];

		regerror(rc, &rx, why, sizeof(why));
		snprintf(buf, n, "\"%s\": error parsing regexp: %s: `%s`%s",
			 where, why, re, tail);
	}
	return buf;
}
