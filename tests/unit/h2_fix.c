// SPDX-License-Identifier: Apache-2.0
/* The HTTP/2 filter's test bench (h2_fix.h): an nghttp2 client and an
 * nghttp2 server, the filter between them, pumped in turn. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "h2_fix.h"

#define PUMP_ROUNDS 200000
#define OUT_MAX (64u << 20)

/* Bodies carry a position pattern: a byte out of place is counted. */
static uint8_t pattern(size_t pos)
{
	return (uint8_t)(pos % 251);
}

struct hx_stream *hx_st(struct hx_side *side, int32_t id)
{
	size_t i;

	for (i = 0; i < side->n; i++)
		if (side->st[i].id == id)
			return &side->st[i];
	if (side->n == HX_STREAMS)
		return NULL;
	side->st[side->n] = (struct hx_stream){ .id = id };
	return &side->st[side->n++];
}

struct hx_stream *hx_srv_nth(struct hx *x, size_t i)
{
	return i < x->srv.n ? &x->srv.st[i] : NULL;
}

static struct hx_side *side_of(struct hx *x, nghttp2_session *h2)
{
	return h2 == x->cli.h2 ? &x->cli : &x->srv;
}

static void copy(char *dst, size_t sz, const uint8_t *v, size_t n)
{
	if (n >= sz)
		n = sz - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *fr,
		     const uint8_t *name, size_t nlen, const uint8_t *value,
		     size_t vlen, uint8_t flags, void *ud)
{
	struct hx_stream *s = hx_st(side_of(ud, h2), fr->hd.stream_id);
	static const struct {
		const char *name;
		size_t off, sz;
	} keep[] = {
		{ ":path", offsetof(struct hx_stream, path), 128 },
		{ ":status", offsetof(struct hx_stream, status), 4 },
		{ "grpc-status", offsetof(struct hx_stream, grpc_status), 4 },
		{ "grpc-message", offsetof(struct hx_stream, grpc_message), 64 },
		{ "x-trailer", offsetof(struct hx_stream, trailer), 32 },
	};
	size_t i;

	for (i = 0; s && i < sizeof(keep) / sizeof(keep[0]); i++)
		if (strlen(keep[i].name) == nlen &&
		    !memcmp(keep[i].name, name, nlen))
			copy((char *)s + keep[i].off, keep[i].sz, value, vlen);
	return 0;
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *fr,
			 void *ud)
{
	struct hx_side *side = side_of(ud, h2);
	struct hx_stream *s;

	if (fr->hd.type == NGHTTP2_GOAWAY) {
		side->goaway = true;
		side->goaway_err = fr->goaway.error_code;
		return 0;
	}
	if (fr->hd.type != NGHTTP2_HEADERS && fr->hd.type != NGHTTP2_DATA)
		return 0;
	s = hx_st(side, fr->hd.stream_id);
	if (s && fr->hd.type == NGHTTP2_HEADERS)
		s->header_blocks++;
	if (s && (fr->hd.flags & NGHTTP2_FLAG_END_STREAM))
		s->eof = true;
	return 0;
}

static int on_data(nghttp2_session *h2, uint8_t flags, int32_t id,
		   const uint8_t *data, size_t len, void *ud)
{
	struct hx_side *side = side_of(ud, h2);
	struct hx_stream *s = hx_st(side, id);
	size_t i;

	for (i = 0; s && i < len; i++)
		s->bad_bytes += data[i] != pattern(s->body + i);
	if (s)
		s->body += len;
	if (side->hold)
		side->held += len;
	else
		nghttp2_session_consume(h2, id, len);
	return 0;
}

static int on_close(nghttp2_session *h2, int32_t id, uint32_t err, void *ud)
{
	struct hx_stream *s = hx_st(side_of(ud, h2), id);

	if (s) {
		s->closed = true;
		s->err = err;
	}
	return 0;
}

static ssize_t on_send(nghttp2_session *h2, const uint8_t *p, size_t n,
		       int flags, void *ud)
{
	return bytebuf_put(&side_of(ud, h2)->out, p, n) ? NGHTTP2_ERR_CALLBACK_FAILURE
						       : (ssize_t)n;
}

static ssize_t body_read(nghttp2_session *h2, int32_t id, uint8_t *buf,
			 size_t len, uint32_t *flags,
			 nghttp2_data_source *src, void *ud)
{
	struct hx_stream *s = hx_st(side_of(ud, h2), id);
	static const nghttp2_nv tr[] = {
		{ (uint8_t *)"x-trailer", (uint8_t *)"t1", 9, 2, 0 },
		{ (uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, 0 },
	};
	size_t n, i;

	if (!s)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	n = s->avail < len ? s->avail : len;
	for (i = 0; i < n; i++)
		buf[i] = pattern(s->sent + i);
	s->avail -= n;
	s->sent += n;
	if (s->avail)
		return n;
	if (!s->end)
		return n ? (ssize_t)n : NGHTTP2_ERR_DEFERRED;
	*flags |= NGHTTP2_DATA_FLAG_EOF;
	if (s->trailers && !nghttp2_submit_trailer(h2, id, tr, 2))
		*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
	return n;
}

static nghttp2_session *session(struct hx *x, bool server)
{
	nghttp2_session_callbacks *cb;
	nghttp2_option *opt;
	nghttp2_session *h2 = NULL;

	CU_ASSERT_FATAL(!nghttp2_session_callbacks_new(&cb));
	CU_ASSERT_FATAL(!nghttp2_option_new(&opt));
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
	/* the workload may hold its window shut (hx_side.hold) */
	nghttp2_option_set_no_auto_window_update(opt, 1);
	/* nghttp2 assumes 100 streams until the peer's SETTINGS arrive: a
	 * client that assumes more tests the filter's own limit */
	nghttp2_option_set_peer_max_concurrent_streams(opt, 1000);
	CU_ASSERT_FATAL(!(server ? nghttp2_session_server_new2(&h2, cb, x, opt)
				 : nghttp2_session_client_new2(&h2, cb, x, opt)));
	CU_ASSERT_FATAL(!nghttp2_submit_settings(h2, NGHTTP2_FLAG_NONE, NULL, 0));
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	return h2;
}

static void fake_judge(void *ctx, const struct l7_req *r,
		       struct l7_verdict *v)
{
	struct hx *x = ctx;

	x->judged++;
	copy(x->judged_path, sizeof(x->judged_path), (const uint8_t *)r->path,
	     r->path_len);
	v->allow = !(r->path_len >= 5 && !memcmp(r->path, "/deny", 5));
}

static int fake_normalize(void *ctx, const char *in, size_t n, char *out,
			  size_t outsz)
{
	size_t i, o = 0;

	if (!n || in[0] != '/' || n >= outsz || (n >= 4 && !memcmp(in, "/bad", 4)))
		return -1;
	for (i = 0; i < n; i++)
		if (!(in[i] == '/' && o && out[o - 1] == '/'))
			out[o++] = in[i];
	out[o] = '\0';
	return (int)o;
}

void hx_init(struct hx *x)
{
	hx_init_proto(x, L7_HTTP2);
}

void hx_init_proto(struct hx *x, enum l7_proto proto)
{
	struct hfilt_judge j = { fake_judge, fake_normalize, x };

	memset(x, 0, sizeof(*x));
	bytebuf_init(&x->cli.out, OUT_MAX);
	bytebuf_init(&x->srv.out, OUT_MAX);
	x->cli.h2 = session(x, false);
	x->srv.h2 = session(x, true);
	x->f = hfilt_new(proto, &j);
	CU_ASSERT_FATAL(x->f != NULL);
}

void hx_fini(struct hx *x)
{
	hfilt_free(x->f);
	nghttp2_session_del(x->cli.h2);
	nghttp2_session_del(x->srv.h2);
	bytebuf_free(&x->cli.out);
	bytebuf_free(&x->srv.out);
}

/* Feeds <in> to the filter; returns the bytes it took. */
static size_t feed(struct hx *x, struct bytebuf *in, bool client)
{
	size_t used = 0;
	int rc;

	if (!in->len)
		return 0;
	rc = client ? hfilt_from_client(x->f, in->p + in->off, in->len, &used)
		    : hfilt_from_app(x->f, in->p + in->off, in->len, &used);
	if (rc && client && !x->rc_client)
		x->rc_client = rc;
	if (rc && !client && !x->rc_app)
		x->rc_app = rc;
	bytebuf_drop(in, used);
	return used;
}

/* Hands the filter's queue <q> to session <h2>; returns the bytes. */
static size_t drain(struct bytebuf *q, nghttp2_session *h2, size_t *max)
{
	size_t n = q->len;

	if (n > *max)
		*max = n;
	if (n)
		nghttp2_session_mem_recv(h2, q->p + q->off, n);
	bytebuf_drop(q, n);
	return n;
}

void hx_pump(struct hx *x)
{
	size_t moved = 1;
	int i;

	for (i = 0; moved && i < PUMP_ROUNDS; i++) {
		if (!x->raw)
			nghttp2_session_send(x->cli.h2);
		nghttp2_session_send(x->srv.h2);
		moved = feed(x, &x->cli.out, true) + feed(x, &x->srv.out, false);
		moved += drain(hfilt_to_app(x->f), x->srv.h2, &x->max_to_app);
		moved += drain(hfilt_to_client(x->f), x->cli.h2,
			       &x->max_to_client);
	}
	CU_ASSERT(i < PUMP_ROUNDS);
}

static void arm(struct hx_stream *s, size_t body, bool end, bool trailers)
{
	s->avail = body;
	s->end = end;
	s->trailers = trailers;
}

int32_t hx_request(struct hx *x, const char *method, const char *path,
		   const char *ctype, size_t body, bool end, bool trailers)
{
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)method, 7, strlen(method), 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0 },
		{ (uint8_t *)":authority", (uint8_t *)"model-server:8081", 10, 17, 0 },
		{ (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0 },
		{ (uint8_t *)"content-type", (uint8_t *)ctype, 12, strlen(ctype), 0 },
		{ (uint8_t *)"te", (uint8_t *)"trailers", 2, 8, 0 },
	};
	nghttp2_data_provider prd = { .read_callback = body_read };
	bool none = !body && end && !trailers;
	int32_t id = nghttp2_submit_request(x->cli.h2, NULL, nv, 6,
					    none ? NULL : &prd, NULL);
	struct hx_stream *s;

	CU_ASSERT_FATAL(id > 0);
	s = hx_st(&x->cli, id);
	CU_ASSERT_FATAL(s != NULL);
	arm(s, body, end, trailers);
	return id;
}

void hx_respond(struct hx *x, int32_t id, const char *status,
		const char *ctype, size_t body, bool end, bool trailers)
{
	nghttp2_nv nv[] = {
		{ (uint8_t *)":status", (uint8_t *)status, 7, 3, 0 },
		{ (uint8_t *)"content-type", (uint8_t *)ctype, 12, strlen(ctype), 0 },
	};
	nghttp2_data_provider prd = { .read_callback = body_read };
	bool none = !body && end && !trailers;
	struct hx_stream *s = hx_st(&x->srv, id);

	CU_ASSERT_FATAL(s != NULL);
	arm(s, body, end, trailers);
	CU_ASSERT_FATAL(!nghttp2_submit_response(x->srv.h2, id, nv, 2,
						 none ? NULL : &prd));
}

void hx_more(struct hx_side *side, int32_t id, size_t n, bool end)
{
	struct hx_stream *s = hx_st(side, id);

	s->avail += n;
	s->end = end;
	nghttp2_session_resume_data(side->h2, id);
}
