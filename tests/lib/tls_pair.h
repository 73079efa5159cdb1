/* SPDX-License-Identifier: Apache-2.0 */
/* The one test PKI: an in-memory CA and ECDSA P-256 leaves with SPIFFE
 * URI SANs, made by user/tls's certificate maker, as a struct tls_ca for
 * the mesh's own contexts (tls_ctx_new), or as raw one-suite contexts for
 * the kTLS cases (no tickets, secrets kept). Used by the unit and proxy
 * suites, the HBONE interop peer and the kTLS lane's VM binaries. */
#ifndef IM_TEST_TLS_PAIR_H
#define IM_TEST_TLS_PAIR_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "tls/ca.h"
#include "tls/ctx.h"

#define TP_TRUST_DOMAIN "cluster.local"
#define TP_CLIENT_ID "spiffe://cluster.local/ns/default/sa/api-gateway"
#define TP_SERVER_ID "spiffe://cluster.local/ns/models/sa/model-server"

struct tp_leaf {
	EVP_PKEY *key;
	X509 *cert;
};

struct tp_pki {
	EVP_PKEY *ca_key;
	X509 *ca;
	struct tp_leaf client, server;
};

/* A CA and the two leaves. 0 or -1 (OpenSSL's error queue says why). */
int tp_pki_make(struct tp_pki *p);
void tp_pki_free(struct tp_pki *p);

/* <p>'s CA as user/tls takes it (its own references: tls_ca_free it):
 * the CA certificate the only root, an empty chain. 0 or -1. */
int tp_pki_ca(const struct tp_pki *p, struct tls_ca *ca);
/* The mesh's context for a fresh SVID of <uri> ("spiffe://...") issued
 * by <ca> (<o> NULL: default options). NULL on error. */
struct tls_ctx *tp_tls_ctx(const struct tls_ca *ca, const char *uri,
			   const struct tls_ctx_opts *o);

/* A context for one side: TLS 1.3 only, <suite> ("TLS_AES_128_GCM_SHA256")
 * its only suite, the side's leaf, the CA as the only trust anchor, the
 * peer's certificate required. With <ktls>, prepared by ktls_ctx_prepare.
 * NULL on error. */
SSL_CTX *tp_ctx(const struct tp_pki *p, bool server, const char *suite,
		bool ktls);

/* A loopback TCP pair (blocking, no timeouts): fds[0] client, fds[1]
 * server. 0 or -errno. */
int tp_tcp_pair(int fds[2]);

/* Handshakes client <cctx> on fds[0] with server <sctx> on fds[1] in this
 * thread (both non-blocking, interleaved, at most 10 s), then checks that
 * each side sees the other's SPIFFE ID. Leaves both fds blocking. 0 with
 * *c and *s set, or -1 (both freed). */
int tp_handshake(SSL_CTX *cctx, SSL_CTX *sctx, const int fds[2], SSL **c,
		 SSL **s);

/* One handshaken connection: fds[0] and c the client, fds[1] and s the
 * server. */
struct tp_conn {
	int fds[2];
	SSL_CTX *cc, *sc;
	SSL *c, *s;
};

/* Contexts for both sides (<cktls>, <sktls>: prepared for kTLS), a TCP
 * pair and the handshake. 0, or -1 with *k safe to tp_conn_close. */
int tp_conn_open(const struct tp_pki *p, struct tp_conn *k, const char *suite,
		 bool cktls, bool sktls);
void tp_conn_close(struct tp_conn *k);

/* The peer certificate's URI SAN equals <uri>. */
bool tp_peer_is(SSL *ssl, const char *uri);

#endif
