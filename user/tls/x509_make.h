/* SPDX-License-Identifier: Apache-2.0 */
/* Building and signing the certificates infermesh issues: CA certificates
 * and workload SVIDs. */
#ifndef IM_TLS_X509_MAKE_H
#define IM_TLS_X509_MAKE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <time.h>

struct x509_spec {
	EVP_PKEY *key;		/* the subject's key (its public half) */
	const char *cn;		/* subject CN; NULL: empty subject */
	const char *uri_san;	/* a URI SAN, marked critical; NULL: none */
	bool is_ca;		/* CA:TRUE, keyCertSign; else an mTLS leaf */
	time_t not_before, not_after;
	X509 *issuer;		/* NULL: self-signed with <key> */
	EVP_PKEY *issuer_key;
};

/* A new certificate as <s> says, with a random 127-bit serial, signed
 * with ECDSA/SHA-256 (or the issuer key's default); NULL on failure.
 * Leaves get EKU serverAuth + clientAuth and digitalSignature, as the
 * certificates Istio issues for ztunnel's CSRs. */
X509 *x509_make(const struct x509_spec *s);

/* A fresh ECDSA P-256 key, or NULL. */
EVP_PKEY *x509_p256_key(void);

/* Whether <x> is self-signed (issuer == subject and its own key verifies
 * its signature): a root, never sent in a chain. */
bool x509_self_signed(X509 *x);

#endif
