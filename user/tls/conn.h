/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One mTLS connection over a socket the caller owns (and closes).
 * Server side: the client must present a certificate that chains to the
 * roots, has EKU clientAuth if it has an EKU, and has a SPIFFE SAN in the
 * server's own trust domain; a client offering ALPN without "h2" is
 * refused, one offering none is accepted. Client side: the server's chain
 * must lead to the roots and its SPIFFE ID must be exactly <expected>.
 * Every refusal is kept as an enum tls_refusal for the counters.
 */
#ifndef IM_TLS_CONN_H
#define IM_TLS_CONN_H

#include <openssl/ssl.h>

#include "ctx.h"
#include "refusal.h"
#include "spiffe.h"

struct tls_conn;

enum tls_hs {
	TLS_HS_DONE = 0,
	TLS_HS_WANT_READ,
	TLS_HS_WANT_WRITE,
	TLS_HS_REFUSED,		/* tls_conn_reason() says why */
};

/* Both take a reference on <c>; NULL when out of memory. */
struct tls_conn *tls_conn_server(struct tls_ctx *c, int fd);
/* <resume>: a session from an earlier connection to the same peer
 * (tls_conn_session()), or NULL for a full handshake. */
struct tls_conn *tls_conn_client(struct tls_ctx *c, int fd,
				 const struct spiffe_id *expected,
				 SSL_SESSION *resume);
void tls_conn_free(struct tls_conn *t);

/* One step of the handshake on a non-blocking socket (or all of it on a
 * blocking one). */
enum tls_hs tls_conn_handshake(struct tls_conn *t);
/* The whole handshake, polling the socket; refused with TLS_R_TIMEOUT
 * when it is not done within <timeout_ms>. */
enum tls_hs tls_conn_handshake_wait(struct tls_conn *t, int timeout_ms);

enum tls_refusal tls_conn_reason(const struct tls_conn *t);
/* The peer's identity after a completed handshake, else NULL. */
const struct spiffe_id *tls_conn_peer(const struct tls_conn *t);
/* Whether the handshake resumed a session. */
bool tls_conn_resumed(const struct tls_conn *t);
/* A session to resume later (the caller frees it with
 * SSL_SESSION_free()), or NULL when the server gave none. Call after
 * some application data was read: TLS 1.3 tickets follow the handshake.
 * The server's tickets are stateful and single-use: take a new session
 * from every connection, the one offered is spent. */
SSL_SESSION *tls_conn_session(const struct tls_conn *t);
/* For reading and writing, and for kTLS to take the secrets from. */
SSL *tls_conn_ssl(const struct tls_conn *t);
struct tls_ctx *tls_conn_ctx(const struct tls_conn *t);

#endif
