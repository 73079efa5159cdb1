// SPDX-License-Identifier: Apache-2.0
/* The bytes of one HBONE stream: what the owner writes is framed as DATA
 * through a deferred data provider; what arrives waits in rx, and the
 * peer's window reopens only by what the owner read. */
#include <errno.h>
#include <stdlib.h>

#include "hbone_int.h"

struct hbone_stream *hbone_stream_new(struct hbone_conn *c, void *ctx)
{
	struct hbone_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->c = c;
	s->ctx = ctx;
	bytebuf_init(&s->rx, HBONE_STREAM_WINDOW);
	bytebuf_init(&s->tx, HBONE_STREAM_TX_MAX);
	s->next = c->streams;
	if (c->streams)
		c->streams->prev = s;
	c->streams = s;
	c->active++;
	c->opened++;
	return s;
}

void hbone_stream_free(struct hbone_stream *s)
{
	struct hbone_conn *c = s->c;

	if (s->prev)
		s->prev->next = s->next;
	else
		c->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (!s->h2_closed)
		c->active--;
	if (c->h2 && s->id > 0 && !s->h2_closed)
		nghttp2_session_set_stream_user_data(c->h2, s->id, NULL);
	/* bytes nobody will read still hold the connection window */
	if (c->state == HBONE_OPEN && s->rx.len)
		nghttp2_session_consume_connection(c->h2, s->rx.len);
	bytebuf_free(&s->rx);
	bytebuf_free(&s->tx);
	free(s);
}

void hbone_stream_on_close(struct hbone_stream *s, uint32_t h2_error)
{
	struct hbone_conn *c = s->c;

	s->h2_closed = true;
	s->h2_error = h2_error;
	c->active--;
	/* RST_STREAM NO_ERROR/CANCEL reads as EOF (hbone-facts section 3) */
	if (h2_error == NGHTTP2_NO_ERROR || h2_error == NGHTTP2_CANCEL)
		s->rx_eof = true;
	else
		s->rx_reset = true;
	if (s->released) {
		hbone_stream_free(s);
		return;
	}
	if (c->cf.ops->closed)
		c->cf.ops->closed(s->ctx, s, h2_error);	/* may release s */
}

static ssize_t provider_read(nghttp2_session *h2, int32_t id, uint8_t *buf,
			     size_t len, uint32_t *flags,
			     nghttp2_data_source *src, void *ud)
{
	struct hbone_stream *s = src->ptr;
	size_t n = bytebuf_get(&s->tx, buf, len);

	if (!s->tx.len && s->tx_shut)
		*flags |= NGHTTP2_DATA_FLAG_EOF;	/* half-close */
	else if (!n) {
		s->deferred = true;
		return NGHTTP2_ERR_DEFERRED;
	}
	return (ssize_t)n;
}

nghttp2_data_provider hbone_stream_provider(struct hbone_stream *s)
{
	return (nghttp2_data_provider){ .source.ptr = s,
					.read_callback = provider_read };
}

/* New bytes or a half-close for a provider that was waiting. */
static void kick(struct hbone_stream *s)
{
	if (s->deferred && s->c->state != HBONE_DEAD) {
		s->deferred = false;
		nghttp2_session_resume_data(s->c->h2, s->id);
	}
}

ssize_t hbone_stream_write(struct hbone_stream *s, const void *p, size_t n)
{
	size_t room = bytebuf_room(&s->tx);

	if (s->h2_closed || s->tx_shut || s->released)
		return -EPIPE;
	if (n > room) {
		n = room;
		s->was_full = true;
	}
	if (bytebuf_put(&s->tx, p, n))
		return -ENOMEM;
	if (n)
		kick(s);
	return (ssize_t)n;
}

int hbone_stream_shutdown(struct hbone_stream *s)
{
	if (s->h2_closed || s->released)
		return -EPIPE;
	if (!s->tx_shut) {
		s->tx_shut = true;
		kick(s);
	}
	return 0;
}

ssize_t hbone_stream_read(struct hbone_stream *s, void *p, size_t n)
{
	size_t got = bytebuf_get(&s->rx, p, n);

	if (got) {
		if (s->c->state != HBONE_OPEN)
			;
		else if (s->h2_closed)
			nghttp2_session_consume_connection(s->c->h2, got);
		else
			nghttp2_session_consume(s->c->h2, s->id, got);
		return (ssize_t)got;
	}
	if (s->rx_reset)
		return -ECONNRESET;
	return s->rx_eof ? 0 : -EAGAIN;
}

void hbone_stream_release(struct hbone_stream *s)
{
	struct hbone_conn *c = s->c;

	if (s->released)
		return;
	s->released = true;
	if (s->h2_closed || c->state == HBONE_DEAD) {
		hbone_stream_free(s);
		return;
	}
	/* a server's error answer is on its way and ends the stream itself */
	if (c->server && s->status && s->status != 200)
		return;
	/* still open: CANCEL, and free when nghttp2 closes it */
	nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id,
				  NGHTTP2_CANCEL);
}

void hbone_streams_notify_writable(struct hbone_conn *c)
{
	struct hbone_stream *s, *next;

	for (s = c->streams; s; s = next) {
		next = s->next;
		if (!s->was_full || s->released || s->h2_closed ||
		    bytebuf_room(&s->tx) < HBONE_STREAM_TX_MAX / 2)
			continue;
		s->was_full = false;
		if (c->cf.ops->writable)
			c->cf.ops->writable(s->ctx, s);
	}
}

void hbone_stream_set_ctx(struct hbone_stream *s, void *ctx)
{
	s->ctx = ctx;
}

struct hbone_conn *hbone_stream_conn(const struct hbone_stream *s)
{
	return s->c;
}
