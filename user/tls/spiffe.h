/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SPIFFE identities as ztunnel reads them: exactly
 * spiffe://<td>/ns/<ns>/sa/<sa>, five '/'-separated segments after the
 * scheme, none empty. The first URI SAN of a leaf that parses is the
 * identity; URI SANs that do not parse are skipped.
 */
#ifndef IM_TLS_SPIFFE_H
#define IM_TLS_SPIFFE_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#define SPIFFE_TD_MAX 255	/* a DNS name */
#define SPIFFE_NS_MAX 63	/* a Kubernetes namespace (DNS label) */
#define SPIFFE_SA_MAX 253	/* a Kubernetes name (DNS subdomain) */
/* "spiffe://" + td + "/ns/" + ns + "/sa/" + sa + NUL */
#define SPIFFE_URI_MAX (9 + SPIFFE_TD_MAX + 4 + SPIFFE_NS_MAX + 4 + \
			SPIFFE_SA_MAX + 1)

struct spiffe_id {
	char td[SPIFFE_TD_MAX + 1];
	char ns[SPIFFE_NS_MAX + 1];
	char sa[SPIFFE_SA_MAX + 1];
};

/* Parses <len> bytes at <uri> (need not be NUL-terminated). Returns 0, or
 * -EINVAL for anything else (wrong scheme, segment count or names, a
 * segment empty or too long, a NUL inside). */
int spiffe_parse(const char *uri, size_t len, struct spiffe_id *out);
/* Fills <out> from its parts; -EINVAL if one is empty, too long or holds
 * a character outside SPIFFE's [A-Za-z0-9._-]. */
int spiffe_make(struct spiffe_id *out, const char *td, const char *ns,
		const char *sa);
/* Writes the URI into <buf>; returns its length, or -ENOSPC. */
int spiffe_format(const struct spiffe_id *id, char *buf, size_t n);
bool spiffe_eq(const struct spiffe_id *a, const struct spiffe_id *b);
/* The identity of leaf <x>: its first URI SAN that parses. Returns 0, or
 * -ENOENT when it has none. */
int spiffe_from_cert(X509 *x, struct spiffe_id *out);
/* Whether any URI SAN of <x> parses with trust domain <td>. */
bool spiffe_cert_has_td(X509 *x, const char *td);

#endif
