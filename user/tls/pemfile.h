/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PEM files of a CA directory: private keys must be ours alone, written
 * 0600 and never replaced in place. Every failure puts a sentence naming
 * the file and the fix into <why>.
 */
#ifndef IM_TLS_PEMFILE_H
#define IM_TLS_PEMFILE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>

/* Reads the private key <dir>/<name>. Refused (NULL) when it is missing,
 * not a regular file, a symlink, owned by another user or readable or
 * writable by group or others: a key anyone else can read is no secret. */
EVP_PKEY *pem_key_load(const char *dir, const char *name, char *why,
		       size_t n);
/* Reads every certificate of <dir>/<name> (at least one). */
STACK_OF(X509) *pem_certs_load(const char *dir, const char *name, char *why,
			       size_t n);
/* Creates <name> in directory <dirfd>, mode 0600 (key) or 0644 (certs);
 * an existing file is refused (-EEXIST), never overwritten. Returns 0 or
 * -errno. */
int pem_key_write(int dirfd, const char *name, EVP_PKEY *key, char *why,
		  size_t n);
int pem_certs_write(int dirfd, const char *name, X509 *const *certs,
		    size_t count, char *why, size_t n);

/* snprintf into <why>; returns <err> (for `return tls_why(...)`). */
int tls_why(int err, char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
