/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the HBONE layer: the connection and stream objects, shared by
 * hbone_conn.c (TLS and the nghttp2 session), hbone_h2.c (its callbacks),
 * hbone_stream.c (stream bytes), hbone_server.c and hbone_client.c. */
#ifndef IM_PROXY_HBONE_INT_H
#define IM_PROXY_HBONE_INT_H

#include <nghttp2/nghttp2.h>

#include "bytebuf.h"
#include "hbone.h"

enum hbone_state {
	HBONE_HANDSHAKE,
	HBONE_OPEN,
	HBONE_DEAD,		/* nothing more: the owner frees it */
};

struct hbone_stream {
	struct hbone_conn *c;
	struct hbone_stream *prev, *next;
	int32_t id;
	void *ctx;
	struct bytebuf rx;	/* DATA received, not yet read */
	struct bytebuf tx;	/* written by the owner, not yet framed */
	uint32_t h2_error;
	size_t hdr_bytes;	/* received header list size (RFC 7540 6.5.2) */
	int status;		/* client: :status; server: what we answered */
	bool rx_eof;		/* END_STREAM or RST NO_ERROR/CANCEL */
	bool rx_reset;		/* RST with another code, or connection lost */
	bool tx_shut;		/* owner half-closed */
	bool deferred;		/* the data provider waits for bytes */
	bool was_full;		/* a write came up short: tell writable() */
	bool h2_closed;
	bool released;		/* the owner is done with it */
	bool is_connect;	/* server: :method was CONNECT */
	bool bad_header;	/* server: an :authority too long */
	char authority[AUTHORITY_STR_MAX];
};

/* The peer's HTTP/2 bytes between frames or not (hbone_edge.c). */
struct hbone_edge {
	bool started;		/* a byte came */
	uint8_t hdr_got;	/* bytes of the current frame header */
	uint32_t len;		/* its length field, as it comes */
	uint32_t skip;		/* payload (or preface) bytes still due */
};

void hbone_edge_init(struct hbone_edge *e, bool server);
void hbone_edge_feed(struct hbone_edge *e, const uint8_t *p, size_t n);
/* The peer stopped inside the preface or a frame. */
bool hbone_edge_mid_frame(const struct hbone_edge *e);

struct hbone_conn {
	int fd;
	SSL *ssl;
	struct tls_conn *tls;	/* owns <ssl> when set */
	bool ktls;		/* the kernel has the keys: no SSL I/O */
	const char *crypto_why;	/* static: why this record path */
	nghttp2_session *h2;
	struct hbone_conf cf;
	bool server;
	enum hbone_state state;
	bool hs_want_write;
	bool goaway_seen;
	bool draining;
	bool final_goaway;	/* drain: the last GOAWAY is queued */
	bool ping_outstanding;
	int fail;		/* enum hbone_refuse a callback saw, or -1 */
	uint32_t term_error;	/* the error of a GOAWAY we sent, or 0 */
	uint64_t now;		/* the clock at the last call in */
	uint64_t hs_deadline, next_ping, ping_sent;
	unsigned active, opened;
	struct bytebuf out;	/* encoded HTTP/2 waiting for SSL_write */
	struct hbone_edge edge;	/* the peer's bytes: at a frame boundary? */
	struct hbone_stream *streams;
	char peer_id[HBONE_ID_MAX];
	char expected_id[HBONE_ID_MAX];	/* client: "" = any */
};

void hbone_count(struct hbone_conn *c, enum hbone_refuse r);
/* Ends the connection now: every open stream is reported closed with
 * <h2_error>. */
void hbone_conn_die(struct hbone_conn *c, uint32_t h2_error);
int hbone_h2_init(struct hbone_conn *c);

struct hbone_stream *hbone_stream_new(struct hbone_conn *c, void *ctx);
void hbone_stream_free(struct hbone_stream *s);
/* The provider that frames s->tx as DATA. */
nghttp2_data_provider hbone_stream_provider(struct hbone_stream *s);
void hbone_stream_on_close(struct hbone_stream *s, uint32_t h2_error);
/* After a flush: tells owners whose full streams have room again. */
void hbone_streams_notify_writable(struct hbone_conn *c);

/* Server: a complete request header block arrived on <s>. */
void hbone_server_on_request(struct hbone_conn *c, struct hbone_stream *s);
/* Server: our final HEADERS went out on <s>. */
void hbone_server_on_sent(struct hbone_conn *c, struct hbone_stream *s,
			  uint8_t flags);

/* The record layer (hbone_rec.c): userspace OpenSSL or kTLS. */
int hbone_rec_handshake(struct hbone_conn *c);
int hbone_rec_ready(struct hbone_conn *c);
/* >0 bytes, -EAGAIN, 0 at EOF, -EPROTO/-EKEYEXPIRED for a kTLS record
 * that is not data or does not authenticate, other -errno when the
 * connection broke. */
ssize_t hbone_rec_read(struct hbone_conn *c, void *buf, size_t n);
/* >0 bytes taken, -EAGAIN, or -errno. */
ssize_t hbone_rec_write(struct hbone_conn *c, const void *p, size_t n);
void hbone_rec_shutdown(struct hbone_conn *c);

/* Names and fills the SPIFFE identity of the peer certificate: the first
 * URI SAN of the form spiffe://td/ns/NS/sa/SA. Returns 0 or -ENOENT. */
int hbone_tls_peer_id(SSL *ssl, char *buf, size_t n);

#endif
