// SPDX-License-Identifier: Apache-2.0
/* The callbacks of the HTTP/2 filter's two sessions: "down" (a server,
 * the client's side) and "up" (a client, the workload's side). Each turns
 * frames into events of a request (hfilt_h2_req.c) and mirrors resets:
 * a stream reset on one side is reset on the other. */
#include <string.h>

#include "hfilt_h2_int.h"

static struct h2s *stream_of(nghttp2_session *h2, int32_t id)
{
	return id > 0 ? nghttp2_session_get_stream_user_data(h2, id) : NULL;
}

static void rst(nghttp2_session *h2, int32_t id, uint32_t code)
{
	nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, id, code);
}

/* ---- down: the client's side ---- */

static int down_begin_headers(nghttp2_session *h2, const nghttp2_frame *fr,
			      void *ud)
{
	struct h2f *f = ud;
	struct h2s *s = stream_of(h2, fr->hd.stream_id);

	if (fr->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (fr->headers.cat == NGHTTP2_HCAT_REQUEST) {
		s = h2s_new(f, fr->hd.stream_id);
		if (!s)
			return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
		nghttp2_session_set_stream_user_data(h2, s->down_id, s);
	} else if (s) {
		s->rx_down = &s->req_t;	/* trailers */
	}
	return 0;
}

static int header_to(struct h2f *f, struct h2f_block *b, const uint8_t *name,
		     size_t nlen, const uint8_t *value, size_t vlen)
{
	if (!h2f_block_add(b, name, nlen, value, vlen))
		return 0;
	/* too big (or no memory): nghttp2 resets this stream alone */
	f->base.st.bad++;
	return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static int down_header(nghttp2_session *h2, const nghttp2_frame *fr,
		       const uint8_t *name, size_t nlen, const uint8_t *value,
		       size_t vlen, uint8_t flags, void *ud)
{
	struct h2s *s = stream_of(h2, fr->hd.stream_id);

	return s ? header_to(ud, s->rx_down, name, nlen, value, vlen) : 0;
}

static int down_frame_recv(nghttp2_session *h2, const nghttp2_frame *fr,
			   void *ud)
{
	struct h2s *s = stream_of(h2, fr->hd.stream_id);
	bool end = fr->hd.flags & NGHTTP2_FLAG_END_STREAM;

	if (!s || (fr->hd.type != NGHTTP2_HEADERS &&
		   fr->hd.type != NGHTTP2_DATA))
		return 0;
	if (end)
		s->req_eof = true;
	if (fr->hd.type == NGHTTP2_HEADERS &&
	    fr->headers.cat == NGHTTP2_HCAT_REQUEST) {
		h2s_request(s);
		return 0;
	}
	if (fr->hd.type == NGHTTP2_HEADERS)
		s->req_trailers = true;
	if (s->state == H2S_FORWARDED && !s->up_closed)
		h2s_resume(s->f->up, s->up_id);
	return 0;
}

static int down_data(nghttp2_session *h2, uint8_t flags, int32_t id,
		     const uint8_t *data, size_t len, void *ud)
{
	struct h2s *s = stream_of(h2, id);

	if (!s || s->state != H2S_FORWARDED || s->up_closed) {
		h2s_discard(h2, id, len);	/* nobody will read it */
		return 0;
	}
	/* req is as large as the window the client got: nghttp2 already
	 * refuses DATA beyond it */
	if (bytebuf_put(&s->req, data, len)) {
		h2s_discard(h2, id, len);
		rst(h2, id, NGHTTP2_INTERNAL_ERROR);
		return 0;
	}
	h2s_resume(s->f->up, s->up_id);
	return 0;
}

static int down_close(nghttp2_session *h2, int32_t id, uint32_t err,
		      void *ud)
{
	struct h2s *s = stream_of(h2, id);

	if (!s)
		return 0;
	nghttp2_session_set_stream_user_data(h2, id, NULL);
	s->down_closed = true;
	/* bytes the workload will never get: the connection window back */
	h2s_discard(h2, id, s->req.len);
	bytebuf_drop(&s->req, s->req.len);
	/* a client that reset (or a stream we reset) cancels the request */
	if (err && !s->up_closed && s->up_id > 0)
		rst(s->f->up, s->up_id, NGHTTP2_CANCEL);
	h2s_maybe_free(s);
	return 0;
}

static int down_frame_send(nghttp2_session *h2, const nghttp2_frame *fr,
			   void *ud)
{
	struct h2f *f = ud;

	/* nghttp2 ends a connection the client broke with a GOAWAY that
	 * carries the error: the filter then resets the stream */
	if (fr->hd.type == NGHTTP2_GOAWAY && fr->goaway.error_code &&
	    !f->broken) {
		f->broken = true;
		f->base.st.bad++;
	}
	return 0;
}

static int down_invalid(nghttp2_session *h2, const nghttp2_frame *fr,
			int lib_error, void *ud)
{
	struct h2f *f = ud;

	f->base.st.bad++;	/* nghttp2 resets the stream or the session */
	return 0;
}

/* ---- up: the workload's side ---- */

static int up_begin_headers(nghttp2_session *h2, const nghttp2_frame *fr,
			    void *ud)
{
	struct h2s *s = stream_of(h2, fr->hd.stream_id);

	if (!s || fr->hd.type != NGHTTP2_HEADERS)
		return 0;
	/* after a 1xx the final response comes as another HEADERS */
	s->rx_up = s->resp_final ? &s->resp_t : &s->resp_h;
	h2f_block_reset(s->rx_up);
	return 0;
}

static int up_header(nghttp2_session *h2, const nghttp2_frame *fr,
		     const uint8_t *name, size_t nlen, const uint8_t *value,
		     size_t vlen, uint8_t flags, void *ud)
{
	struct h2s *s = stream_of(h2, fr->hd.stream_id);

	return s && s->rx_up ? header_to(ud, s->rx_up, name, nlen, value, vlen)
			     : 0;
}

static bool informational(const struct h2f_block *b)
{
	int i = h2f_block_find(b, ":status");

	return i >= 0 && b->fld[i].vlen == 3 && b->buf[b->fld[i].value] == '1';
}

static int up_frame_recv(nghttp2_session *h2, const nghttp2_frame *fr,
			 void *ud)
{
	struct h2f *f = ud;
	struct h2s *s = stream_of(h2, fr->hd.stream_id);
	bool end = fr->hd.flags & NGHTTP2_FLAG_END_STREAM;

	if (fr->hd.type == NGHTTP2_GOAWAY) {
		/* the workload takes no new streams: neither does the client's
		 * connection (the ones it processed finish) */
		nghttp2_submit_goaway(f->down, NGHTTP2_FLAG_NONE,
				      nghttp2_session_get_last_proc_stream_id(f->down),
				      NGHTTP2_NO_ERROR, NULL, 0);
		return 0;
	}
	if (!s || (fr->hd.type != NGHTTP2_HEADERS &&
		   fr->hd.type != NGHTTP2_DATA))
		return 0;
	if (end)
		s->resp_eof = true;
	if (fr->hd.type == NGHTTP2_HEADERS && !s->resp_final) {
		/* 1xx are not passed on: the final answer follows */
		if (informational(&s->resp_h))
			return 0;
		s->resp_final = true;
		h2s_response(s);
		return 0;
	}
	if (fr->hd.type == NGHTTP2_HEADERS)
		s->resp_trailers = true;
	if (!s->down_closed)
		h2s_resume(f->down, s->down_id);
	return 0;
}

static int up_data(nghttp2_session *h2, uint8_t flags, int32_t id,
		   const uint8_t *data, size_t len, void *ud)
{
	struct h2s *s = stream_of(h2, id);

	if (!s || s->down_closed) {
		h2s_discard(h2, id, len);
		return 0;
	}
	if (bytebuf_put(&s->resp, data, len)) {
		h2s_discard(h2, id, len);
		rst(h2, id, NGHTTP2_INTERNAL_ERROR);
		return 0;
	}
	h2s_resume(s->f->down, s->down_id);
	return 0;
}

static int up_close(nghttp2_session *h2, int32_t id, uint32_t err, void *ud)
{
	struct h2s *s = stream_of(h2, id);

	if (!s)
		return 0;
	nghttp2_session_set_stream_user_data(h2, id, NULL);
	s->up_closed = true;
	/* a reset from the workload (or a response cut short) reaches the
	 * client as a reset; a finished response drains to it first */
	if (s->down_closed || err || !s->resp_eof) {
		h2s_discard(h2, id, s->resp.len);
		bytebuf_drop(&s->resp, s->resp.len);
	}
	if (!s->down_closed && (err || !s->resp_eof)) {
		rst(s->f->down, s->down_id, err ? err : NGHTTP2_INTERNAL_ERROR);
	}
	h2s_maybe_free(s);
	return 0;
}

static int up_frame_send(nghttp2_session *h2, const nghttp2_frame *fr,
			 void *ud)
{
	struct h2f *f = ud;

	/* the workload broke the protocol: nothing on this stream is safe */
	if (fr->hd.type == NGHTTP2_GOAWAY && fr->goaway.error_code)
		f->broken = true;
	return 0;
}

nghttp2_session_callbacks *h2f_down_callbacks(void)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb))
		return NULL;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, down_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, down_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, down_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, down_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, down_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, down_frame_send);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, down_invalid);
	return cb;
}

nghttp2_session_callbacks *h2f_up_callbacks(void)
{
	nghttp2_session_callbacks *cb;

	if (nghttp2_session_callbacks_new(&cb))
		return NULL;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, up_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, up_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, up_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, up_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, up_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, up_frame_send);
	return cb;
}
