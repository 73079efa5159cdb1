/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mesh CA, from a directory in the layout Istio users keep for the
 * `cacerts` secret:
 *   ca-key.pem     the key SVIDs are signed with (0600, ours alone)
 *   ca-cert.pem    its certificate
 *   cert-chain.pem intermediates from ca-cert up to the root
 *   root-cert.pem  the trust anchors every node verifies peers against
 * The built-in CA is the same layout, created on first start in
 * <state-dir>/ca with a self-signed root (or, for several nodes sharing
 * one CA, made once with `infermesh ca init DIR` and given as --ca-dir).
 */
#ifndef IM_TLS_CA_H
#define IM_TLS_CA_H

#include <openssl/x509.h>
#include <stddef.h>

#define CA_KEY_FILE "ca-key.pem"
#define CA_CERT_FILE "ca-cert.pem"
#define CA_CHAIN_FILE "cert-chain.pem"
#define CA_ROOT_FILE "root-cert.pem"
#define CA_BUILTIN_SUBDIR "ca"
#define CA_ROOT_DAYS 3650

struct tls_ca {
	EVP_PKEY *key;
	X509 *cert;
	/* Sent after each leaf: ca-cert then cert-chain, each certificate
	 * once, without self-signed roots (peers hold those already). */
	STACK_OF(X509) *chain;
	X509_STORE *roots;	/* root-cert.pem, the only trust anchors */
};

/* Loads the CA in <dir> and checks that it can work: all four files
 * there, the key ours alone and matching ca-cert, ca-cert a CA that
 * chains through cert-chain to root-cert. Returns 0 or -errno with a
 * sentence naming the file and the fix in <why>. */
int tls_ca_load(struct tls_ca *ca, const char *dir, char *why, size_t n);

/* Creates <dir> (0700, ours alone) holding a new self-signed P-256 root
 * in the layout above. An existing CA there is refused (-EEXIST), never
 * replaced. Returns 0 or -errno with the reason in <why>. */
int tls_ca_init(const char *dir, char *why, size_t n);

/* The built-in CA of <state_dir>: loads <state_dir>/ca, creating it
 * first when it holds no CA yet. */
int tls_ca_builtin(struct tls_ca *ca, const char *state_dir, char *why,
		   size_t n);

void tls_ca_free(struct tls_ca *ca);

#endif
