// SPDX-License-Identifier: Apache-2.0
/* The HTTP/2 (and gRPC) filter: the client's bytes go into a server
 * session, the workload's into a client session (prior knowledge), and
 * what each session writes lands in the hfilt queues. A session writes
 * only what fits (the rest waits inside nghttp2), and input is parsed
 * only while both queues have room, so the relay's draining paces it. */
#include <stdlib.h>

#include "hfilt_h2_int.h"

static struct h2f *h2f_of(struct hfilt *f)
{
	return (struct h2f *)f;
}

/* nghttp2's send callback: a partial write is fine, nothing is lost */
static ssize_t queue_put(struct bytebuf *q, const uint8_t *p, size_t n)
{
	size_t room = bytebuf_room(q);

	if (!room)
		return NGHTTP2_ERR_WOULDBLOCK;
	if (n > room)
		n = room;
	return bytebuf_put(q, p, n) ? NGHTTP2_ERR_CALLBACK_FAILURE
				    : (ssize_t)n;
}

static ssize_t send_down(nghttp2_session *h2, const uint8_t *p, size_t n,
			 int flags, void *ud)
{
	return queue_put(&h2f_of(ud)->base.to_client, p, n);
}

static ssize_t send_up(nghttp2_session *h2, const uint8_t *p, size_t n,
		       int flags, void *ud)
{
	return queue_put(&h2f_of(ud)->base.to_app, p, n);
}

/* Writes what both sessions have. Framing on one side hands window back
 * to the other (WINDOW_UPDATE), so go round until neither queue grows. */
static void flush(struct h2f *f)
{
	size_t before;
	int i;

	for (i = 0; i < 8; i++) {
		before = f->base.to_app.len + f->base.to_client.len;
		if (nghttp2_session_send(f->up) || nghttp2_session_send(f->down))
			f->broken = true;
		if (f->base.to_app.len + f->base.to_client.len == before)
			break;
	}
}

static bool session_done(nghttp2_session *h2)
{
	return !nghttp2_session_want_read(h2) && !nghttp2_session_want_write(h2);
}

static void update_shut(struct h2f *f)
{
	bool idle = !f->streams;

	if (f->broken || session_done(f->down) ||
	    (f->client_eof && idle))
		f->base.shut_client = f->base.shut_app = true;
	if (f->app_eof || session_done(f->up))
		f->base.shut_app = true;
}

/* Parses input into <h2> while both queues have room. */
static int feed(struct h2f *f, nghttp2_session *h2, const uint8_t *p,
		size_t n, size_t *used)
{
	*used = 0;
	while (!f->broken && *used < n && bytebuf_room(&f->base.to_app) &&
	       bytebuf_room(&f->base.to_client)) {
		size_t chunk = n - *used < H2F_FEED_CHUNK ? n - *used
							  : H2F_FEED_CHUNK;
		ssize_t r = nghttp2_session_mem_recv(h2, p + *used, chunk);

		if (r < 0) {
			/* not HTTP/2 at all (no preface), or a callback
			 * failed: nghttp2 has not said goodbye, we do */
			nghttp2_submit_goaway(h2, NGHTTP2_FLAG_NONE, 0,
					      NGHTTP2_PROTOCOL_ERROR, NULL, 0);
			if (h2 == f->down)
				f->base.st.bad++;
			flush(f);
			f->broken = true;
			break;
		}
		*used += r;
		flush(f);
	}
	flush(f);
	update_shut(f);
	return f->broken ? -1 : 0;
}

static int h2f_from_client(struct hfilt *hf, const uint8_t *p, size_t n,
			   size_t *used)
{
	struct h2f *f = h2f_of(hf);

	return feed(f, f->down, p, n, used);
}

static int h2f_from_app(struct hfilt *hf, const uint8_t *p, size_t n,
			size_t *used)
{
	struct h2f *f = h2f_of(hf);

	return feed(f, f->up, p, n, used);
}

/* The client sends nothing more: requests it did not finish are
 * cancelled, finished ones still get their answers. */
static void h2f_client_eof(struct hfilt *hf)
{
	struct h2f *f = h2f_of(hf);
	struct h2s *s;

	f->client_eof = true;
	for (s = f->streams; s; s = s->next)
		if (!s->req_eof && !s->down_closed)
			nghttp2_submit_rst_stream(f->down, NGHTTP2_FLAG_NONE,
						  s->down_id, NGHTTP2_CANCEL);
	flush(f);
	update_shut(f);
}

/* The workload is gone: every request it had not finished answering is
 * reset toward the client, which opens no new ones here. */
static void h2f_app_eof(struct hfilt *hf)
{
	struct h2f *f = h2f_of(hf);
	struct h2s *s;

	f->app_eof = true;
	for (s = f->streams; s; s = s->next)
		if (!s->up_closed && !s->resp_eof && !s->down_closed)
			nghttp2_submit_rst_stream(f->down, NGHTTP2_FLAG_NONE,
						  s->down_id,
						  NGHTTP2_INTERNAL_ERROR);
	nghttp2_submit_goaway(f->down, NGHTTP2_FLAG_NONE,
			      nghttp2_session_get_last_proc_stream_id(f->down),
			      NGHTTP2_NO_ERROR, NULL, 0);
	flush(f);
	update_shut(f);
}

static void h2f_destroy(struct hfilt *hf)
{
	struct h2f *f = h2f_of(hf);

	/* nghttp2_session_del calls no callbacks: the streams go here */
	nghttp2_session_del(f->down);
	nghttp2_session_del(f->up);
	while (f->streams)
		h2s_free(f->streams);
}

static const struct hfilt_vt h2f_vt = {
	.from_client = h2f_from_client,
	.from_app = h2f_from_app,
	.client_eof = h2f_client_eof,
	.app_eof = h2f_app_eof,
	.destroy = h2f_destroy,
};

static int settings(nghttp2_session *h2, bool server)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2F_STREAM_WINDOW },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, H2F_HEADER_LIST },
		{ server ? NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS
			 : NGHTTP2_SETTINGS_ENABLE_PUSH,
		  server ? H2F_MAX_STREAMS : 0 },
	};

	return nghttp2_submit_settings(h2, NGHTTP2_FLAG_NONE, iv, 3) ||
	       nghttp2_session_set_local_window_size(h2, NGHTTP2_FLAG_NONE, 0,
						     H2F_CONN_WINDOW);
}

static int session(struct h2f *f, bool server)
{
	nghttp2_session_callbacks *cb = server ? h2f_down_callbacks()
					       : h2f_up_callbacks();
	nghttp2_option *opt = NULL;
	nghttp2_session **h2 = server ? &f->down : &f->up;
	int r = -1;

	if (!cb || nghttp2_option_new(&opt))
		goto out;
	nghttp2_session_callbacks_set_send_callback(cb, server ? send_down
							       : send_up);
	/* windows reopen as the other side frames the bytes onward */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	r = server ? nghttp2_session_server_new2(h2, cb, f, opt)
		   : nghttp2_session_client_new2(h2, cb, f, opt);
	if (r)
		*h2 = NULL;
	else
		r = settings(*h2, server);
out:
	nghttp2_option_del(opt);
	if (cb)
		nghttp2_session_callbacks_del(cb);
	return r;
}

struct hfilt *hfilt_h2_new(const struct hfilt_judge *j)
{
	struct h2f *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	hfilt_base_init(&f->base, &h2f_vt, j);
	if (session(f, true) || session(f, false)) {
		hfilt_free(&f->base);
		return NULL;
	}
	/* the workload's connection starts with our preface and SETTINGS */
	flush(f);
	return &f->base;
}
