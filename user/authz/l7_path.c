// SPDX-License-Identifier: Apache-2.0
/*
 * Istio's request path normalization (MeshConfig pathNormalization, see
 * the semantics doc and istio.io's "security/normalization"), applied
 * before policies are judged and to what the workload receives, so that
 * what a rule matches and what the application serves are one path:
 *
 *   NONE                      as received
 *   BASE (DEFAULT)            percent-decode the unreserved characters
 *                             (%2D %2E %30-%39 %41-%5A %5F %61-%7A %7E),
 *                             '\' -> '/', resolve "." and ".." (RFC 3986)
 *   MERGE_SLASHES             BASE, then "//" -> "/"
 *   DECODE_AND_MERGE_SLASHES  %2F and %5C decoded first, then as above
 *
 * Decoding happens once: "%252e" stays "%252e" (its '%' is not decoded).
 * Refused whatever the option, so the filter answers 400: a target that
 * is not origin-form ("/..."), NUL or %00, control characters, spaces,
 * bytes above 0x7f, a fragment, a '%' not followed by two hex digits.
 */
#include <string.h>

#include "l7_int.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Bytes a request-target never holds as such. */
static bool bad_byte(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '#';
}

/* The decoding pass of the path <in>[0..n) into <out>: its length, or
 * -1 (refused or too long). */
static int decode(const char *in, size_t n, char *out, size_t cap,
		  bool slashes)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, w = 0;
	int h, l, c;

	for (i = 0; i < n; i++) {
		if (bad_byte((unsigned char)in[i]) || w >= cap)
			return -1;
		if (in[i] != '%') {
			out[w++] = in[i] == '\\' ? '/' : in[i];
			continue;
		}
		h = i + 2 < n ? hexval(in[i + 1]) : -1;
		l = h >= 0 ? hexval(in[i + 2]) : -1;
		if (l < 0)
			return -1;
		c = h * 16 + l;
		if (!c)
			return -1;	/* %00 */
		i += 2;
		if (unreserved(c) || (slashes && (c == '/' || c == '\\'))) {
			out[w++] = c == '\\' ? '/' : (char)c;
			continue;
		}
		/* kept encoded, in the canonical (upper) case */
		if (w + 3 > cap)
			return -1;
		out[w++] = '%';
		out[w++] = hex[h];
		out[w++] = hex[l];
	}
	return (int)w;
}

/* RFC 3986 5.2.4 in place on <p> (<n> bytes, starting with '/'): each
 * kept segment is written as "/seg"; "." drops itself, ".." the segment
 * before; either one last leaves a trailing '/'. */
static size_t remove_dots(char *p, size_t n)
{
	size_t r = 1, w = 0, e;

	while (r <= n) {
		e = r;
		while (e < n && p[e] != '/')
			e++;
		if ((e - r == 1 && p[r] == '.') ||
		    (e - r == 2 && p[r] == '.' && p[r + 1] == '.')) {
			if (e - r == 2)
				while (w > 0 && p[--w] != '/')
					;
			if (e == n)
				p[w++] = '/';
		} else {
			p[w++] = '/';
			memmove(p + w, p + r, e - r);
			w += e - r;
		}
		r = e + 1;
	}
	return w ? w : (p[0] = '/', 1);
}

static size_t merge_slashes(char *p, size_t n)
{
	size_t r, w = 0;

	for (r = 0; r < n; r++)
		if (p[r] != '/' || !w || p[w - 1] != '/')
			p[w++] = p[r];
	return w;
}

/* The target as received, only checked. */
static int as_is(const char *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bad_byte((unsigned char)in[i]) ||
		    (in[i] == '%' && (i + 2 >= n || hexval(in[i + 1]) < 0 ||
				      hexval(in[i + 2]) < 0 ||
				      (in[i + 1] == '0' && in[i + 2] == '0'))))
			return -1;
	return (int)n;
}

static enum path_norm norm_of(const struct l7_gen *g)
{
	return !g || g->norm == PN_DEFAULT ? PN_BASE : g->norm;
}

int l7_normalize(const struct l7_gen *g, const char *in, size_t n,
		 char *out, size_t outsz)
{
	const char *q = memchr(in, '?', n);
	size_t pn = q ? (size_t)(q - in) : n, qn = n - pn;
	enum path_norm how = norm_of(g);
	int w;

	if (!n || in[0] != '/' || memchr(in, 0, n) || !outsz)
		return -1;
	if (how == PN_NONE)
		w = as_is(in, pn);
	else
		w = decode(in, pn, out, outsz - 1,
			   how == PN_DECODE_AND_MERGE_SLASHES);
	if (w < 0 || as_is(in + pn, qn) < 0 || (size_t)w + qn >= outsz)
		return -1;
	if (how == PN_NONE) {
		memcpy(out, in, pn);
	} else {
		w = (int)remove_dots(out, (size_t)w);
		if (how != PN_BASE)
			w = (int)merge_slashes(out, (size_t)w);
	}
	memcpy(out + w, in + pn, qn);
	out[w + qn] = 0;
	return w + (int)qn;
}
