/* SPDX-License-Identifier: Apache-2.0 */
/* Shared inside user/tls/ only: the callbacks ctx.c installs and conn.c
 * implements. */
#ifndef IM_TLS_INT_H
#define IM_TLS_INT_H

#include <openssl/ssl.h>

int tls_verify_cb(int preverify_ok, X509_STORE_CTX *x);
int tls_alpn_select_cb(SSL *ssl, const unsigned char **out,
		       unsigned char *outlen, const unsigned char *in,
		       unsigned int inlen, void *arg);

#endif
