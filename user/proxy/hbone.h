/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HBONE: TCP streams carried as HTTP/2 CONNECT streams over mutual TLS, as
 * Istio ambient's ztunnel speaks it (port IM_HBONE_PORT, 15008; the wire
 * facts are in README "HBONE wire format").
 *
 * A connection object wraps one connected non-blocking socket and its SSL
 * (handshake state set by the caller: SSL_set_connect_state or
 * SSL_set_accept_state; the object drives the handshake under a deadline).
 * It is event-driven: the owner polls hbone_conn_fd() for reading, and for
 * writing while hbone_conn_wants_write(), calls on_readable/on_writable,
 * and calls hbone_conn_tick() at least every second with a monotonic clock
 * in milliseconds. HTTP/2 runs through nghttp2 in memory mode; every
 * buffer is bounded and a stream's receive window only reopens as the
 * owner reads. Single-threaded: nothing here locks.
 */
#ifndef IM_PROXY_HBONE_H
#define IM_PROXY_HBONE_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../tls/conn.h"
#include "authority.h"

/* hbone-facts section 4 */
#define HBONE_STREAM_WINDOW (4u << 20)
#define HBONE_CONN_WINDOW (16u << 20)
#define HBONE_FRAME_SIZE (1u << 20)
#define HBONE_CLIENT_HEADER_LIST 16384
#define HBONE_SERVER_HEADER_LIST 65536
#define HBONE_SERVER_MAX_STREAMS 200
#define HBONE_PING_INTERVAL_MS 10000
#define HBONE_PING_TIMEOUT_MS 20000
#define HBONE_HANDSHAKE_MS 10000
/* Bytes a stream holds from its owner before write() says "full". */
#define HBONE_STREAM_TX_MAX (256u << 10)
/* HTTP/2 bytes encoded but not yet taken by SSL_write. */
#define HBONE_OUT_MAX (64u << 10)
#define HBONE_ID_MAX 512	/* a SPIFFE ID */

/* Why a connection or stream was refused or torn down: counted, never
 * renumbered. */
enum hbone_refuse {
	HBONE_R_HANDSHAKE_TIMEOUT,	/* TLS did not finish in time */
	HBONE_R_TLS,			/* handshake failed, no peer identity */
	HBONE_R_H2_PROTOCOL,		/* garbage, bad preface, bad frames */
	HBONE_R_HEADERS_TOO_BIG,	/* header list over our SETTINGS */
	HBONE_R_TOO_MANY_STREAMS,	/* over MAX_CONCURRENT_STREAMS */
	HBONE_R_BAD_STREAM,		/* a frame h2 rejects on one stream */
	HBONE_R_BAD_REQUEST,		/* not CONNECT, bad :authority: 400 */
	HBONE_R_PING_TIMEOUT,		/* no PING ACK in time */
	HBONE_R_PEER_EOF,		/* TCP/TLS ended under open streams */
	HBONE_R_NO_MEMORY,
	HBONE_R_KTLS_RECORD,		/* kTLS: a KeyUpdate, alert or bad record */
	HBONE_R_KTLS_INSTALL,		/* kTLS: keys half installed */
	HBONE_R_TRUNCATED,		/* the peer closed inside a frame */
	HBONE_R_MAX
};

struct hbone_counters {
	uint64_t refused[HBONE_R_MAX];
};

const char *hbone_refuse_name(enum hbone_refuse r);

struct hbone_conn;
struct hbone_stream;

/* What the layer tells its owner. <ctx> is the stream's (hbone_stream_set
 * _ctx), <owner> the connection's (hbone_conf.owner). */
struct hbone_ops {
	/* Server: a well-formed CONNECT for <a> from <peer_id> (the first
	 * SPIFFE URI SAN of the client certificate). Answer now or later with
	 * hbone_stream_respond(). */
	void (*request)(void *owner, struct hbone_stream *s,
			const struct authority *a, const char *peer_id);
	/* Client: the final :status (200 = the tunnel is up). */
	void (*response)(void *ctx, struct hbone_stream *s, int status);
	/* Bytes or EOF arrived: hbone_stream_read() has something. */
	void (*readable)(void *ctx, struct hbone_stream *s);
	/* A write came up short earlier and there is room again. */
	void (*writable)(void *ctx, struct hbone_stream *s);
	/* HTTP/2 closed the stream (<h2_error> 0 = NO_ERROR). Buffered bytes
	 * stay readable; the owner still calls hbone_stream_release(). */
	void (*closed)(void *ctx, struct hbone_stream *s, uint32_t h2_error);
};

struct hbone_conf {
	const struct hbone_ops *ops;
	void *owner;
	struct hbone_counters *counters;	/* may be shared; not NULL */
	uint32_t ping_interval_ms;		/* 0: HBONE_PING_INTERVAL_MS */
	uint32_t ping_timeout_ms;		/* 0: HBONE_PING_TIMEOUT_MS */
	uint32_t handshake_ms;			/* 0: HBONE_HANDSHAKE_MS */
	/* Stay on userspace OpenSSL even where the kernel has kTLS. */
	bool no_ktls;
};

/* Takes ownership of <fd> (connected, non-blocking) and <ssl> (already
 * attached to fd). NULL (fd and ssl freed) when out of memory. */
struct hbone_conn *hbone_conn_new(int fd, SSL *ssl, bool server,
				  const struct hbone_conf *cf, uint64_t now_ms);
/* The same over a user/tls connection (tls_conn_server or tls_conn_client
 * on <fd>, handshake not started), which judges the peer as the mesh does
 * (roots, trust domain, the expected SPIFFE ID) and keeps why it refused
 * (hbone_conn_tls_reason). Takes ownership of <fd> and <t>.
 *
 * After the handshake, where the kernel has kTLS (probed once) and the
 * context was prepared for it (tls_ctx_opts.no_tickets), the traffic keys
 * go into the socket and HTTP/2 moves with plain read/write; a KeyUpdate
 * or alert record then ends the connection (HBONE_R_KTLS_RECORD). Else,
 * or with hbone_conf.no_ktls, OpenSSL keeps the records in userspace. */
struct hbone_conn *hbone_conn_new_tls(int fd, struct tls_conn *t,
				      const struct hbone_conf *cf,
				      uint64_t now_ms);
/* Why the handshake was refused (TLS_R_NONE: it was not, or the
 * connection was made with hbone_conn_new). */
enum tls_refusal hbone_conn_tls_reason(const struct hbone_conn *c);
/* Whether the kernel does this connection's record crypto (kTLS TX and
 * RX live); <why> (may be NULL) gets a static sentence: "kTLS TX+RX
 * installed", "kernel has no kTLS (TCP_ULP tls: ENOENT)", "cipher not
 * supported by kTLS", "handshake not finished", ... */
bool hbone_conn_crypto(const struct hbone_conn *c, const char **why);
/* Reports every open stream closed (CONNECT_ERROR) to its owner, then
 * closes the socket and frees the streams. */
void hbone_conn_free(struct hbone_conn *c);
int hbone_conn_fd(const struct hbone_conn *c);
void hbone_conn_on_readable(struct hbone_conn *c, uint64_t now_ms);
void hbone_conn_on_writable(struct hbone_conn *c, uint64_t now_ms);
bool hbone_conn_wants_write(const struct hbone_conn *c);
/* Deadlines: handshake, PING interval and ACK timeout. */
void hbone_conn_tick(struct hbone_conn *c, uint64_t now_ms);
/* Graceful drain: GOAWAY(last stream, NO_ERROR); existing streams finish,
 * then the connection is done. */
void hbone_conn_drain(struct hbone_conn *c);
/* Nothing more will happen: the owner frees it. */
bool hbone_conn_done(const struct hbone_conn *c);
bool hbone_conn_ready(const struct hbone_conn *c);	/* handshake done */
bool hbone_conn_goaway_seen(const struct hbone_conn *c);
unsigned hbone_conn_active_streams(const struct hbone_conn *c);
unsigned hbone_conn_streams_opened(const struct hbone_conn *c);
/* The peer's MAX_CONCURRENT_STREAMS (100 until its SETTINGS arrive). */
uint32_t hbone_conn_peer_max_streams(const struct hbone_conn *c);
const char *hbone_conn_peer_id(const struct hbone_conn *c);
/* Client: the server must prove exactly this SPIFFE ID (the destination
 * workload's), or the connection ends before any stream. 0 or -EINVAL. */
int hbone_conn_expect_peer(struct hbone_conn *c, const char *id);

/* Client: opens a CONNECT stream to <authority> ("ip:port"). The stream's
 * bytes can be written once response(200) came. NULL when the connection
 * cannot take a stream (not ready, GOAWAY, closing, no memory). */
struct hbone_stream *hbone_client_open(struct hbone_conn *c,
				       const char *authority, void *ctx);
/* Server: answers a request(). 200 keeps the stream open (only once the
 * upstream is up); 400/401/503 (or any other) end it: bare HEADERS with
 * END_STREAM, then RST_STREAM(NO_ERROR). Returns 0 or -errno. */
int hbone_stream_respond(struct hbone_stream *s, int status);

void hbone_stream_set_ctx(struct hbone_stream *s, void *ctx);
struct hbone_conn *hbone_stream_conn(const struct hbone_stream *s);
/* Queues up to <n> bytes; returns how many were taken (0: full, wait for
 * the peer to read), or -EPIPE once this side was shut down or the stream
 * is gone. */
ssize_t hbone_stream_write(struct hbone_stream *s, const void *p, size_t n);
/* Returns bytes read (>0), 0 at EOF (END_STREAM, RST NO_ERROR/CANCEL),
 * -EAGAIN when nothing is buffered yet, -ECONNRESET when reset with an
 * error. Reading reopens the peer's window by what was read. */
ssize_t hbone_stream_read(struct hbone_stream *s, void *p, size_t n);
/* Half-close: END_STREAM after the queued bytes (an empty DATA frame if
 * none). Returns 0 or -EPIPE. */
int hbone_stream_shutdown(struct hbone_stream *s);
/* The owner is done with <s>: RST_STREAM(CANCEL) if still open, freed once
 * HTTP/2 has closed it. */
void hbone_stream_release(struct hbone_stream *s);

#endif
