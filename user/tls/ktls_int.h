/* SPDX-License-Identifier: Apache-2.0 */
/* Inside user/tls/ktls*.c: the captured secrets and the suites the kernel
 * path takes. */
#ifndef IM_TLS_KTLS_INT_H
#define IM_TLS_KTLS_INT_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#define KTLS_HAVE_CLIENT 1u
#define KTLS_HAVE_SERVER 2u

/* The first application traffic secrets of one connection. */
struct ktls_secrets {
	uint8_t client[48], server[48];	/* up to SHA-384's length */
	size_t len;			/* bytes in each */
	unsigned have;			/* KTLS_HAVE_* */
};

/* A TLS 1.3 suite the kernel path takes: AES-128-GCM and AES-256-GCM. */
struct ktls_suite {
	const EVP_MD *(*md)(void);	/* the handshake hash */
	size_t secret_len, key_len;
};

/* The suite of <c>, or NULL when the kernel path does not take it. */
const struct ktls_suite *ktls_suite_of(const SSL_CIPHER *c);

/* The secrets the keylog callback captured for <ssl>, or NULL. */
struct ktls_secrets *ktls_secrets_of(SSL *ssl);

/* Zeroes the secrets (they are no use once in the kernel). */
void ktls_secrets_wipe(struct ktls_secrets *s);

#endif
