/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS contexts, built once per identity and SVID and shared by every
 * connection that presents it (tls-facts.md: parsing keys and certificates
 * or building an SSL_CTX per handshake costs more than the handshake).
 * What both sides speak, as ztunnel does (hbone-facts.md section 2): TLS
 * 1.3 only, TLS_AES_256_GCM_SHA384 and TLS_AES_128_GCM_SHA256, groups
 * X25519 and P-256, ALPN "h2", no SNI, the leaf plus intermediates only
 * (never the root: SSL_MODE_NO_AUTO_CHAIN), the CA's roots as the only
 * trust anchors.
 *
 * A context is refcounted: each connection holds a reference, so after a
 * rotation new handshakes use the new context while connections made
 * before keep theirs until they close.
 */
#ifndef IM_TLS_CTX_H
#define IM_TLS_CTX_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "ca.h"
#include "svid.h"

struct tls_ctx_opts {
	/* Resumption: the server keeps a stateful session cache and sends
	 * one stateful ticket (SSL_OP_NO_TICKET: the cheapest kind with
	 * client certificates, tls-facts.md); clients may offer sessions. */
	bool resume;
	/* For connections that will go to kTLS: no session tickets at all,
	 * since a post-handshake message would arrive in a kTLS RX record
	 * (overrides <resume> on the server side), and each connection's
	 * traffic secrets kept for ktls_install (ktls_ctx_prepare). */
	bool no_tickets;
};

struct tls_ctx {
	int refs;		/* atomic */
	SSL_CTX *server, *client;
	struct spiffe_id id;	/* the identity both sides present */
	X509 *leaf;		/* its certificate (for views: serial, dates) */
	time_t not_after;
};

/* A context presenting <svid> (chain from <ca>), verifying peers against
 * <ca>'s roots, with one reference. NULL with the reason in <why>. */
struct tls_ctx *tls_ctx_new(const struct tls_ca *ca,
			    const struct tls_svid *svid,
			    const struct tls_ctx_opts *o, char *why, size_t n);
struct tls_ctx *tls_ctx_get(struct tls_ctx *c);
/* Drops a reference; the last one frees the context. NULL is fine. */
void tls_ctx_put(struct tls_ctx *c);

#endif
