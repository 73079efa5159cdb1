// SPDX-License-Identifier: Apache-2.0
/* The nghttp2 session of an HBONE connection: its SETTINGS (hbone-facts
 * section 4) and the callbacks that turn frames into stream events. The
 * callbacks never free a stream nghttp2 still knows; hbone_stream_on_close
 * does that. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hbone_int.h"

static struct hbone_stream *stream_of(nghttp2_session *h2, int32_t id)
{
	return id > 0 ? nghttp2_session_get_stream_user_data(h2, id) : NULL;
}

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *f,
			    void *ud)
{
	struct hbone_conn *c = ud;
	struct hbone_stream *s;

	if (!c->server || f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	s = hbone_stream_new(c, NULL);
	if (!s) {
		hbone_count(c, HBONE_R_NO_MEMORY);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	s->id = f->hd.stream_id;
	/* internal until the request reaches the owner: a stream we answer
	 * 400 ourselves is freed when it closes */
	s->released = true;
	nghttp2_session_set_stream_user_data(h2, s->id, s);
	return 0;
}

static void server_header(struct hbone_stream *s, const uint8_t *name,
			  size_t nlen, const uint8_t *value, size_t vlen)
{
	if (nlen == 7 && !memcmp(name, ":method", 7)) {
		s->is_connect = vlen == 7 && !memcmp(value, "CONNECT", 7);
	} else if (nlen == 10 && !memcmp(name, ":authority", 10)) {
		if (vlen >= sizeof(s->authority)) {
			s->bad_header = true;
			return;
		}
		memcpy(s->authority, value, vlen);
		s->authority[vlen] = '\0';
	}
}

/* ":status" has exactly three digits (RFC 9113 8.3.2). */
static int parse_status(const uint8_t *v, size_t len)
{
	if (len != 3 || v[0] < '1' || v[0] > '9' || v[1] < '0' || v[1] > '9' ||
	    v[2] < '0' || v[2] > '9')
		return -1;
	return (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *f,
		     const uint8_t *name, size_t nlen, const uint8_t *value,
		     size_t vlen, uint8_t flags, void *ud)
{
	struct hbone_conn *c = ud;
	struct hbone_stream *s = stream_of(h2, f->hd.stream_id);
	size_t limit = c->server ? HBONE_SERVER_HEADER_LIST
				 : HBONE_CLIENT_HEADER_LIST;

	if (!s)
		return 0;
	/* our SETTINGS_MAX_HEADER_LIST_SIZE is advisory in nghttp2; a peer
	 * that ignores it ends the connection */
	s->hdr_bytes += nlen + vlen + 32;
	if (s->hdr_bytes > limit) {
		c->fail = HBONE_R_HEADERS_TOO_BIG;
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	if (c->server)
		server_header(s, name, nlen, value, vlen);
	else if (nlen == 7 && !memcmp(name, ":status", 7))
		s->status = parse_status(value, vlen);
	return 0;
}

static void client_response(struct hbone_conn *c, struct hbone_stream *s)
{
	/* 1xx are informational: the final status follows */
	if (s->status >= 100 && s->status < 200)
		return;
	if (!s->released && c->cf.ops->response)
		c->cf.ops->response(s->ctx, s, s->status);
}

static void on_end_stream(struct hbone_conn *c, struct hbone_stream *s)
{
	s->rx_eof = true;
	if (!s->released && c->cf.ops->readable)
		c->cf.ops->readable(s->ctx, s);
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *f,
			 void *ud)
{
	struct hbone_conn *c = ud;
	struct hbone_stream *s = stream_of(h2, f->hd.stream_id);

	switch (f->hd.type) {
	case NGHTTP2_PING:
		if (f->hd.flags & NGHTTP2_FLAG_ACK)
			c->ping_outstanding = false;
		return 0;
	case NGHTTP2_GOAWAY:
		c->goaway_seen = true;
		return 0;
	case NGHTTP2_HEADERS:
		if (!s)
			return 0;
		if (f->headers.cat == NGHTTP2_HCAT_REQUEST)
			hbone_server_on_request(c, s);
		else if (f->headers.cat == NGHTTP2_HCAT_RESPONSE)
			client_response(c, s);
		break;
	case NGHTTP2_DATA:
		break;
	default:
		return 0;
	}
	if (s && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
		on_end_stream(c, s);
	return 0;
}

static int on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t id,
			 const uint8_t *data, size_t len, void *ud)
{
	struct hbone_conn *c = ud;
	struct hbone_stream *s = stream_of(h2, id);

	if (!s || s->released || s->rx_eof) {
		/* nobody will read it: give the window back at once */
		nghttp2_session_consume(h2, id, len);
		return 0;
	}
	/* rx is as large as the stream window we granted, and the window
	 * only reopens as the owner reads: a peer overflowing it broke flow
	 * control, which nghttp2 already refuses */
	if (bytebuf_put(&s->rx, data, len)) {
		nghttp2_session_consume(h2, id, len);
		hbone_count(c, HBONE_R_NO_MEMORY);
		nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, id,
					  NGHTTP2_FLOW_CONTROL_ERROR);
		return 0;
	}
	if (c->cf.ops->readable)
		c->cf.ops->readable(s->ctx, s);
	return 0;
}

static int on_stream_close(nghttp2_session *h2, int32_t id, uint32_t err,
			   void *ud)
{
	struct hbone_stream *s = stream_of(h2, id);

	if (s) {
		nghttp2_session_set_stream_user_data(h2, id, NULL);
		hbone_stream_on_close(s, err);
	}
	return 0;
}

static int on_frame_send(nghttp2_session *h2, const nghttp2_frame *f,
			 void *ud)
{
	struct hbone_conn *c = ud;
	struct hbone_stream *s = stream_of(h2, f->hd.stream_id);

	if (c->server && s && f->hd.type == NGHTTP2_HEADERS)
		hbone_server_on_sent(c, s, f->hd.flags);
	/* nghttp2 ends a connection the peer broke (a bad frame after the
	 * preface) itself, with a GOAWAY carrying the error: count it, and
	 * the streams left end with that error, not as EOF */
	if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code &&
	    !c->term_error) {
		c->term_error = f->goaway.error_code;
		hbone_count(c, HBONE_R_H2_PROTOCOL);
	}
	return 0;
}

static int on_invalid_frame(nghttp2_session *h2, const nghttp2_frame *f,
			    int lib_error, void *ud)
{
	struct hbone_conn *c = ud;

	hbone_count(c, lib_error == NGHTTP2_ERR_REFUSED_STREAM ?
			       HBONE_R_TOO_MANY_STREAMS : HBONE_R_BAD_STREAM);
	return 0;
}

static nghttp2_session_callbacks *callbacks(void)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb))
		return NULL;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame);
	return cb;
}

static int submit_settings(struct hbone_conn *c)
{
	nghttp2_settings_entry iv[4] = {
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, HBONE_STREAM_WINDOW },
		{ NGHTTP2_SETTINGS_MAX_FRAME_SIZE, HBONE_FRAME_SIZE },
	};
	size_t n = 2;

	if (c->server) {
		iv[n++] = (nghttp2_settings_entry){
			NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HBONE_SERVER_HEADER_LIST };
		iv[n++] = (nghttp2_settings_entry){
			NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, HBONE_SERVER_MAX_STREAMS };
	} else {
		iv[n++] = (nghttp2_settings_entry){
			NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HBONE_CLIENT_HEADER_LIST };
		iv[n++] = (nghttp2_settings_entry){ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 };
	}
	if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, n))
		return -ENOMEM;
	/* the connection window grows by WINDOW_UPDATE on stream 0 */
	return nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE,
						     0, HBONE_CONN_WINDOW)
		       ? -ENOMEM : 0;
}

int hbone_h2_init(struct hbone_conn *c)
{
	nghttp2_session_callbacks *cb = callbacks();
	nghttp2_option *opt = NULL;
	int r = -ENOMEM;

	if (!cb || nghttp2_option_new(&opt))
		goto out;
	/* windows reopen only as owners read (hbone_stream_read) */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	r = c->server ? nghttp2_session_server_new2(&c->h2, cb, c, opt)
		      : nghttp2_session_client_new2(&c->h2, cb, c, opt);
	if (r) {
		c->h2 = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = submit_settings(c);
out:
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	return r;
}
