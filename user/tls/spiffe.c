// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "spiffe.h"

#define SCHEME "spiffe://"

/* Copies segment [s, e) into <dst> of <cap> bytes (NUL included): fails
 * when it is empty, too long or holds a NUL. */
static int seg_copy(char *dst, size_t cap, const char *s, const char *e)
{
	size_t l = (size_t)(e - s);

	if (!l || l >= cap || memchr(s, 0, l))
		return -EINVAL;
	memcpy(dst, s, l);
	dst[l] = 0;
	return 0;
}

int spiffe_parse(const char *uri, size_t len, struct spiffe_id *out)
{
	const char *seg[6], *end = uri + len, *p;
	size_t n = 1;

	if (len < sizeof(SCHEME) - 1 || memcmp(uri, SCHEME, sizeof(SCHEME) - 1))
		return -EINVAL;
	seg[0] = uri + sizeof(SCHEME) - 1;
	for (p = seg[0]; p < end; p++) {
		if (*p != '/')
			continue;
		if (n == 5)	/* a sixth segment */
			return -EINVAL;
		seg[n++] = p + 1;
	}
	if (n != 5)
		return -EINVAL;
	seg[5] = end + 1;	/* each segment ends one before the next */
	if (seg[2] - seg[1] != 3 || memcmp(seg[1], "ns/", 3) ||
	    seg[4] - seg[3] != 3 || memcmp(seg[3], "sa/", 3))
		return -EINVAL;
	if (seg_copy(out->td, sizeof(out->td), seg[0], seg[1] - 1) ||
	    seg_copy(out->ns, sizeof(out->ns), seg[2], seg[3] - 1) ||
	    seg_copy(out->sa, sizeof(out->sa), seg[4], seg[5] - 1))
		return -EINVAL;
	return 0;
}

/* SPIFFE's character set for trust domains and path segments: what we
 * issue stays within it (and so never needs escaping in a URI). */
static bool spiffe_chars(const char *s)
{
	return s && s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")] == 0;
}

int spiffe_make(struct spiffe_id *out, const char *td, const char *ns,
		const char *sa)
{
	if (!spiffe_chars(td) || !spiffe_chars(ns) || !spiffe_chars(sa))
		return -EINVAL;
	if (seg_copy(out->td, sizeof(out->td), td, td + strlen(td)) ||
	    seg_copy(out->ns, sizeof(out->ns), ns, ns + strlen(ns)) ||
	    seg_copy(out->sa, sizeof(out->sa), sa, sa + strlen(sa)))
		return -EINVAL;
	return 0;
}

int spiffe_format(const struct spiffe_id *id, char *buf, size_t n)
{
	int l = snprintf(buf, n, SCHEME "%s/ns/%s/sa/%s", id->td, id->ns,
			 id->sa);

	return l < 0 || (size_t)l >= n ? -ENOSPC : l;
}

bool spiffe_eq(const struct spiffe_id *a, const struct spiffe_id *b)
{
	return !strcmp(a->td, b->td) && !strcmp(a->ns, b->ns) &&
	       !strcmp(a->sa, b->sa);
}

/* Calls <fn> on each URI SAN of <x> that parses, in order, until it
 * returns true; returns whether one did. */
static bool each_id(X509 *x, bool (*fn)(const struct spiffe_id *, void *),
		    void *arg)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name,
						NULL, NULL);
	struct spiffe_id id;
	bool hit = false;
	int i;

	for (i = 0; !hit && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type != GEN_URI)
			continue;
		if (spiffe_parse((const char *)ASN1_STRING_get0_data(
					 g->d.uniformResourceIdentifier),
				 (size_t)ASN1_STRING_length(
					 g->d.uniformResourceIdentifier),
				 &id))
			continue;
		hit = fn(&id, arg);
	}
	GENERAL_NAMES_free(names);
	return hit;
}

static bool take_first(const struct spiffe_id *id, void *arg)
{
	*(struct spiffe_id *)arg = *id;
	return true;
}

int spiffe_from_cert(X509 *x, struct spiffe_id *out)
{
	return each_id(x, take_first, out) ? 0 : -ENOENT;
}

static bool td_is(const struct spiffe_id *id, void *arg)
{
	return !strcmp(id->td, arg);
}

bool spiffe_cert_has_td(X509 *x, const char *td)
{
	return each_id(x, td_is, (void *)td);
}
