// SPDX-License-Identifier: Apache-2.0
/* One HBONE connection: the TLS handshake under a deadline, then nghttp2 in
 * memory mode between the record layer (hbone_rec.c: OpenSSL or kTLS) and
 * the streams, keepalive PINGs, drain and teardown. */
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tls/ktls.h"
#include "hbone_int.h"

#define READ_CHUNK 16384
_Static_assert(READ_CHUNK >= KTLS_RECORD_MAX, "ktls_recv takes whole records");
/* SSL_reads per readable event, so one busy peer cannot starve the loop
 * (level-triggered polling brings us back for the rest). */
#define READS_PER_EVENT 64

static const char *const refuse_names[HBONE_R_MAX] = {
	[HBONE_R_HANDSHAKE_TIMEOUT] = "handshake_timeout",
	[HBONE_R_TLS] = "tls",
	[HBONE_R_H2_PROTOCOL] = "h2_protocol",
	[HBONE_R_HEADERS_TOO_BIG] = "headers_too_big",
	[HBONE_R_TOO_MANY_STREAMS] = "too_many_streams",
	[HBONE_R_BAD_STREAM] = "bad_stream",
	[HBONE_R_BAD_REQUEST] = "bad_request",
	[HBONE_R_PING_TIMEOUT] = "ping_timeout",
	[HBONE_R_PEER_EOF] = "peer_eof",
	[HBONE_R_NO_MEMORY] = "no_memory",
	[HBONE_R_KTLS_RECORD] = "ktls_record",
	[HBONE_R_KTLS_INSTALL] = "ktls_install",
	[HBONE_R_TRUNCATED] = "truncated",
};

const char *hbone_refuse_name(enum hbone_refuse r)
{
	return (unsigned)r < HBONE_R_MAX ? refuse_names[r] : "unknown";
}

void hbone_count(struct hbone_conn *c, enum hbone_refuse r)
{
	c->cf.counters->refused[r]++;
}

static uint32_t or_default(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

/* The SSL, and the tls_conn that owns it when there is one. */
static void free_tls(SSL *ssl, struct tls_conn *t)
{
	if (t)
		tls_conn_free(t);
	else
		SSL_free(ssl);
}

static struct hbone_conn *conn_new(int fd, SSL *ssl, struct tls_conn *t,
				   bool server, const struct hbone_conf *cf,
				   uint64_t now_ms)
{
	struct hbone_conn *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	c->fd = fd;
	c->ssl = ssl;
	c->tls = t;
	c->server = server;
	c->cf = *cf;
	c->cf.ping_interval_ms = or_default(cf->ping_interval_ms, HBONE_PING_INTERVAL_MS);
	c->cf.ping_timeout_ms = or_default(cf->ping_timeout_ms, HBONE_PING_TIMEOUT_MS);
	c->cf.handshake_ms = or_default(cf->handshake_ms, HBONE_HANDSHAKE_MS);
	c->fail = -1;
	c->hs_want_write = !server;	/* a client speaks first */
	c->now = now_ms;
	c->hs_deadline = now_ms + c->cf.handshake_ms;
	hbone_edge_init(&c->edge, server);
	/* room for the largest single chunk nghttp2 hands out past the
	 * soft limit: one frame of our size plus its header */
	bytebuf_init(&c->out, HBONE_OUT_MAX + HBONE_FRAME_SIZE + 64);
	/* SSL_write may take part of a record's worth and the rest later from
	 * the same (moved) buffer */
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
			  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* the session exists from the start, so a client can queue streams
	 * while TLS is still shaking hands */
	if (hbone_h2_init(c)) {
		hbone_conn_free(c);
		return NULL;
	}
	return c;
fail:
	free_tls(ssl, t);
	close(fd);
	return NULL;
}

struct hbone_conn *hbone_conn_new(int fd, SSL *ssl, bool server,
				  const struct hbone_conf *cf, uint64_t now_ms)
{
	return conn_new(fd, ssl, NULL, server, cf, now_ms);
}

struct hbone_conn *hbone_conn_new_tls(int fd, struct tls_conn *t,
				      const struct hbone_conf *cf,
				      uint64_t now_ms)
{
	SSL *ssl = tls_conn_ssl(t);

	return conn_new(fd, ssl, t, SSL_is_server(ssl), cf, now_ms);
}

void hbone_conn_free(struct hbone_conn *c)
{
	if (!c)
		return;
	/* owners hear of every stream that ends with us */
	hbone_conn_die(c, NGHTTP2_CONNECT_ERROR);
	while (c->streams)
		hbone_stream_free(c->streams);
	nghttp2_session_del(c->h2);
	bytebuf_free(&c->out);
	free_tls(c->ssl, c->tls);
	close(c->fd);
	free(c);
}

int hbone_conn_expect_peer(struct hbone_conn *c, const char *id)
{
	size_t n = strlen(id);

	if (n >= sizeof(c->expected_id))
		return -EINVAL;
	memcpy(c->expected_id, id, n + 1);
	return 0;
}

void hbone_conn_die(struct hbone_conn *c, uint32_t h2_error)
{
	struct hbone_stream *s, *next;

	if (c->state == HBONE_DEAD)
		return;
	c->state = HBONE_DEAD;
	for (s = c->streams; s; s = next) {
		next = s->next;
		if (!s->h2_closed)
			hbone_stream_on_close(s, h2_error);
	}
}

/* A fatal error: counted once, then the connection ends. Tries to leave a
 * close_notify behind; the socket closes when the owner frees us. */
static void conn_fail(struct hbone_conn *c, enum hbone_refuse r)
{
	if (c->state == HBONE_DEAD)
		return;
	hbone_count(c, r);
	if (c->state == HBONE_OPEN)
		hbone_rec_shutdown(c);
	hbone_conn_die(c, NGHTTP2_CONNECT_ERROR);
}

static void handshake_done(struct hbone_conn *c)
{
	if (hbone_tls_peer_id(c->ssl, c->peer_id, sizeof(c->peer_id)) ||
	    (c->expected_id[0] && strcmp(c->peer_id, c->expected_id))) {
		/* no SPIFFE identity, or not the one the client must reach */
		c->state = HBONE_OPEN;	/* so conn_fail sends close_notify */
		conn_fail(c, HBONE_R_TLS);
		return;
	}
	/* before any record moves: the kernel's sequence numbers start at 0 */
	if (hbone_rec_ready(c)) {
		conn_fail(c, HBONE_R_KTLS_INSTALL);	/* nothing can be sent */
		return;
	}
	c->state = HBONE_OPEN;
}

static void do_handshake(struct hbone_conn *c)
{
	int r = hbone_rec_handshake(c);

	if (r > 0)
		handshake_done(c);
	else if (r < 0)
		conn_fail(c, HBONE_R_TLS);
}

/* Writes what is buffered; returns 1 when all of it went, 0 when the
 * socket is full, -1 when the connection failed. */
static int write_out(struct hbone_conn *c)
{
	while (c->out.len) {
		ssize_t n = hbone_rec_write(c, c->out.p + c->out.off, c->out.len);

		if (n > 0) {
			bytebuf_drop(&c->out, (size_t)n);
			continue;
		}
		if (n == -EAGAIN)
			return 0;
		hbone_conn_die(c, NGHTTP2_CONNECT_ERROR);
		return -1;
	}
	return 1;
}

/* Encodes frames into c->out up to its soft limit, writing as we go. */
static void flush(struct hbone_conn *c)
{
	int r;

	if (c->state != HBONE_OPEN)
		return;
	while ((r = write_out(c)) == 1 && c->state == HBONE_OPEN) {
		const uint8_t *d;
		ssize_t n;

		while (c->out.len < HBONE_OUT_MAX &&
		       (n = nghttp2_session_mem_send(c->h2, &d)) != 0) {
			if (n < 0 || bytebuf_put(&c->out, d, (size_t)n)) {
				conn_fail(c, n < 0 ? HBONE_R_H2_PROTOCOL
						   : HBONE_R_NO_MEMORY);
				return;
			}
		}
		if (!c->out.len)
			break;
	}
	if (c->state == HBONE_OPEN)
		hbone_streams_notify_writable(c);
}

/* Ends a connection nghttp2 has nothing more to do on. */
static void maybe_finish(struct hbone_conn *c)
{
	if (c->state != HBONE_OPEN || c->out.len ||
	    nghttp2_session_want_read(c->h2) ||
	    nghttp2_session_want_write(c->h2))
		return;
	hbone_rec_shutdown(c);
	hbone_conn_die(c, c->term_error);
}

static void peer_eof(struct hbone_conn *c)
{
	if (hbone_edge_mid_frame(&c->edge))
		hbone_count(c, HBONE_R_TRUNCATED);
	else if (c->active)
		hbone_count(c, HBONE_R_PEER_EOF);
	hbone_conn_die(c, NGHTTP2_CONNECT_ERROR);
}

/* Feeds decrypted bytes to nghttp2. Returns 0, or -1 when the connection
 * ended. */
static int read_in(struct hbone_conn *c)
{
	uint8_t buf[READ_CHUNK];	/* a whole record: ktls_recv needs it */
	int i;

	for (i = 0; i < READS_PER_EVENT && c->state == HBONE_OPEN; i++) {
		ssize_t n = hbone_rec_read(c, buf, sizeof(buf)), r;

		if (n == -EAGAIN)
			return 0;
		if (n == -EKEYEXPIRED || n == -EPROTO) {
			/* a KeyUpdate or alert the kernel cannot follow */
			conn_fail(c, HBONE_R_KTLS_RECORD);
			return -1;
		}
		if (n <= 0) {
			peer_eof(c);
			return -1;
		}
		hbone_edge_feed(&c->edge, buf, (size_t)n);
		r = nghttp2_session_mem_recv(c->h2, buf, (size_t)n);
		if (r < 0) {
			conn_fail(c, c->fail >= 0 ? (enum hbone_refuse)c->fail
						  : HBONE_R_H2_PROTOCOL);
			return -1;
		}
	}
	return 0;
}

void hbone_conn_on_readable(struct hbone_conn *c, uint64_t now_ms)
{
	c->now = now_ms;
	if (c->state == HBONE_HANDSHAKE)
		do_handshake(c);
	if (c->state != HBONE_OPEN)
		return;
	if (read_in(c))
		return;
	flush(c);
	maybe_finish(c);
}

void hbone_conn_on_writable(struct hbone_conn *c, uint64_t now_ms)
{
	c->now = now_ms;
	if (c->state == HBONE_HANDSHAKE) {
		do_handshake(c);
		if (c->state != HBONE_OPEN)
			return;
		/* TLS 1.3 may have delivered application data with the last
		 * handshake flight */
		if (read_in(c))
			return;
	}
	flush(c);
	maybe_finish(c);
}

bool hbone_conn_wants_write(const struct hbone_conn *c)
{
	if (c->state == HBONE_HANDSHAKE)
		return c->hs_want_write;
	return c->state == HBONE_OPEN &&
	       (c->out.len || nghttp2_session_want_write(c->h2));
}

static void send_ping(struct hbone_conn *c, uint64_t now_ms)
{
	if (nghttp2_submit_ping(c->h2, NGHTTP2_FLAG_NONE, NULL)) {
		conn_fail(c, HBONE_R_NO_MEMORY);
		return;
	}
	c->ping_outstanding = true;
	c->ping_sent = now_ms;
	c->next_ping = now_ms + c->cf.ping_interval_ms;
}

void hbone_conn_tick(struct hbone_conn *c, uint64_t now_ms)
{
	c->now = now_ms;
	if (c->state == HBONE_HANDSHAKE) {
		if (now_ms >= c->hs_deadline)
			conn_fail(c, HBONE_R_HANDSHAKE_TIMEOUT);
		return;
	}
	if (c->state != HBONE_OPEN)
		return;
	if (!c->next_ping)	/* first tick after the handshake */
		c->next_ping = now_ms + c->cf.ping_interval_ms;
	if (c->ping_outstanding &&
	    now_ms - c->ping_sent >= c->cf.ping_timeout_ms) {
		conn_fail(c, HBONE_R_PING_TIMEOUT);
		return;
	}
	if (c->draining && !c->ping_outstanding && !c->final_goaway) {
		c->final_goaway = true;
		nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE,
				      nghttp2_session_get_last_proc_stream_id(c->h2),
				      NGHTTP2_NO_ERROR, NULL, 0);
	} else if (!c->draining && !c->ping_outstanding &&
		   now_ms >= c->next_ping) {
		send_ping(c, now_ms);
	}
	flush(c);
	maybe_finish(c);
}

void hbone_conn_drain(struct hbone_conn *c)
{
	if (c->state != HBONE_OPEN || c->draining)
		return;
	c->draining = true;
	if (c->server) {
		/* GOAWAY(2^31-1) first, a PING round trip for requests in
		 * flight, then the final GOAWAY (tick, once the ACK is in) */
		nghttp2_submit_shutdown_notice(c->h2);
		if (!c->ping_outstanding)
			send_ping(c, c->now);
		return;
	}
	nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR,
			      NULL, 0);
}

bool hbone_conn_done(const struct hbone_conn *c)
{
	return c->state == HBONE_DEAD;
}

bool hbone_conn_ready(const struct hbone_conn *c)
{
	return c->state == HBONE_OPEN;
}

bool hbone_conn_goaway_seen(const struct hbone_conn *c)
{
	return c->goaway_seen;
}

unsigned hbone_conn_active_streams(const struct hbone_conn *c)
{
	return c->active;
}

unsigned hbone_conn_streams_opened(const struct hbone_conn *c)
{
	return c->opened;
}

uint32_t hbone_conn_peer_max_streams(const struct hbone_conn *c)
{
	/* "no limit" until the peer's SETTINGS arrive; the pool caps it at
	 * 100 as ztunnel does */
	return nghttp2_session_get_remote_settings(
		c->h2, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

const char *hbone_conn_peer_id(const struct hbone_conn *c)
{
	return c->peer_id;
}

int hbone_conn_fd(const struct hbone_conn *c)
{
	return c->fd;
}
