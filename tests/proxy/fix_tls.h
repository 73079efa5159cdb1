/* SPDX-License-Identifier: Apache-2.0 */
/* Test PKI made in memory with the OpenSSL API: a CA (ECDSA P-256) and
 * leaves with one URI SAN each, and TLS 1.3 contexts as HBONE uses them
 * (mandatory client certificate, chain to the CA, ALPN h2). */
#ifndef IM_TESTS_FIX_TLS_H
#define IM_TESTS_FIX_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

struct fix_ca {
	EVP_PKEY *key;
	X509 *cert;
};

struct fix_leaf {
	EVP_PKEY *key;
	X509 *cert;
};

int fix_ca_new(struct fix_ca *ca);
void fix_ca_free(struct fix_ca *ca);
/* A leaf signed by <ca> with URI SAN <uri> (NULL: no SAN at all). */
int fix_leaf_new(const struct fix_ca *ca, const char *uri, struct fix_leaf *l);
void fix_leaf_free(struct fix_leaf *l);
/* An HBONE TLS context presenting <l> and trusting <ca>. */
SSL_CTX *fix_ctx(const struct fix_ca *ca, const struct fix_leaf *l, bool server);
/* The same context from PEM files: <dir>/<name>.pem and <name>.key,
 * trusting <dir>/ca.pem. */
SSL_CTX *fix_ctx_files(const char *dir, const char *name, bool server);
/* Writes <l>'s certificate and PKCS#8 key as PEM to <cert_path> and
 * <key_path> (and the CA certificate to <ca_path> when not NULL). */
int fix_write_pem(const struct fix_ca *ca, const struct fix_leaf *l,
		  const char *ca_path, const char *cert_path,
		  const char *key_path);

#endif
