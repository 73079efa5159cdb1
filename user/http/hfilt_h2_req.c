// SPDX-License-Identifier: Apache-2.0
/* One request through the HTTP/2 filter: judged on its headers, then
 * either answered here (as Envoy's RBAC filter answers) or opened toward
 * the workload, its DATA and trailers relayed both ways through data
 * providers that hand window back only for what they framed onward. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hfilt_h2_int.h"

static const char DENY_BODY[] = "RBAC: access denied";

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, \
		   sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE }

struct h2s *h2s_new(struct h2f *f, int32_t down_id)
{
	struct h2s *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->f = f;
	s->down_id = down_id;
	s->rx_down = &s->req_h;
	bytebuf_init(&s->req, H2F_STREAM_WINDOW);
	bytebuf_init(&s->resp, H2F_STREAM_WINDOW);
	s->next = f->streams;
	if (f->streams)
		f->streams->prev = s;
	f->streams = s;
	return s;
}

void h2s_free(struct h2s *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		s->f->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	h2f_block_free(&s->req_h);
	h2f_block_free(&s->req_t);
	h2f_block_free(&s->resp_h);
	h2f_block_free(&s->resp_t);
	bytebuf_free(&s->req);
	bytebuf_free(&s->resp);
	free(s);
}

void h2s_maybe_free(struct h2s *s)
{
	/* a stream reset before its headers were judged never had an up */
	if (s->down_closed && (s->up_closed || s->up_id <= 0))
		h2s_free(s);
}

void h2s_discard(nghttp2_session *h2, int32_t id, size_t n)
{
	/* on a closed stream nghttp2 reopens the connection window only */
	if (n)
		nghttp2_session_consume(h2, id, n);
}

void h2s_resume(nghttp2_session *h2, int32_t id)
{
	/* an error only says the provider was not waiting */
	if (id > 0)
		(void)nghttp2_session_resume_data(h2, id);
}

/* Frames up to <len> buffered bytes of one direction; the sender's window
 * reopens by as many. At the end: END_STREAM, or the trailers carry it. */
static ssize_t relay_read(nghttp2_session *out, int32_t out_id,
			  nghttp2_session *in, int32_t in_id,
			  struct bytebuf *q, bool eof, struct h2f_block *tr,
			  uint8_t *buf, size_t len, uint32_t *flags)
{
	size_t n = bytebuf_get(q, buf, len), nv_n;
	nghttp2_nv *nv;

	h2s_discard(in, in_id, n);
	if (q->len || !eof)
		return n ? (ssize_t)n : NGHTTP2_ERR_DEFERRED;
	*flags |= NGHTTP2_DATA_FLAG_EOF;
	if (!tr)
		return n;
	nv = h2f_block_nv(tr, -1, NULL, 0, &nv_n);
	if (nv && !nghttp2_submit_trailer(out, out_id, nv, nv_n))
		*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
	free(nv);
	return n;
}

static ssize_t read_req(nghttp2_session *up, int32_t id, uint8_t *buf,
			size_t len, uint32_t *flags, nghttp2_data_source *src,
			void *ud)
{
	struct h2s *s = src->ptr;

	return relay_read(up, id, s->f->down, s->down_id, &s->req, s->req_eof,
			  s->req_trailers ? &s->req_t : NULL, buf, len, flags);
}

static ssize_t read_resp(nghttp2_session *down, int32_t id, uint8_t *buf,
			 size_t len, uint32_t *flags, nghttp2_data_source *src,
			 void *ud)
{
	struct h2s *s = src->ptr;

	return relay_read(down, id, s->f->up, s->up_id, &s->resp, s->resp_eof,
			  s->resp_trailers ? &s->resp_t : NULL, buf, len,
			  flags);
}

static ssize_t read_answer(nghttp2_session *down, int32_t id, uint8_t *buf,
			   size_t len, uint32_t *flags,
			   nghttp2_data_source *src, void *ud)
{
	struct h2s *s = src->ptr;
	size_t n = s->answer_len < len ? s->answer_len : len;

	memcpy(buf, s->answer, n);
	s->answer += n;
	s->answer_len -= n;
	if (!s->answer_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return n;
}

/* The filter answers: the request never reaches the workload. */
static void answer(struct h2s *s, const nghttp2_nv *nv, size_t n,
		   const char *body)
{
	nghttp2_data_provider prd = { .source.ptr = s,
				      .read_callback = read_answer };

	s->state = H2S_ANSWERED;
	s->up_closed = true;	/* never opened */
	s->answer = body;
	s->answer_len = body ? strlen(body) : 0;
	if (nghttp2_submit_response(s->f->down, s->down_id, nv, n,
				    body ? &prd : NULL))
		nghttp2_submit_rst_stream(s->f->down, NGHTTP2_FLAG_NONE,
					  s->down_id, NGHTTP2_INTERNAL_ERROR);
}

static void answer_bad(struct h2s *s)
{
	static const nghttp2_nv nv[] = { NV(":status", "400"),
					 NV("content-length", "0") };

	s->f->base.st.bad++;
	answer(s, nv, 2, NULL);
}

static bool is_grpc(const struct h2f_block *b)
{
	int i = h2f_block_find(b, "content-type");

	return i >= 0 && b->fld[i].vlen >= 16 &&
	       !strncasecmp(b->buf + b->fld[i].value, "application/grpc", 16);
}

/* As Envoy's RBAC filter: gRPC gets a trailers-only PERMISSION_DENIED,
 * anything else 403 with the body Istio users grep their logs for. */
static void answer_denied(struct h2s *s)
{
	static const nghttp2_nv grpc[] = {
		NV(":status", "200"), NV("content-type", "application/grpc"),
		NV("grpc-status", "7"), NV("grpc-message", "RBAC: access denied"),
	};
	static const nghttp2_nv http[] = {
		NV(":status", "403"), NV("content-type", "text/plain"),
		NV("content-length", "19"),
	};

	_Static_assert(sizeof(DENY_BODY) - 1 == 19, "content-length above");
	s->f->base.st.denied++;
	if (is_grpc(&s->req_h))
		answer(s, grpc, 4, NULL);
	else
		answer(s, http, 3, DENY_BODY);
}

static void forward(struct h2s *s, int path, const char *norm, size_t nlen)
{
	nghttp2_data_provider prd = { .source.ptr = s,
				      .read_callback = read_req };
	nghttp2_nv *nv;
	size_t n;
	int32_t id = -1;

	nv = h2f_block_nv(&s->req_h, path, norm, nlen, &n);
	if (nv && !s->f->app_eof)
		id = nghttp2_submit_request(s->f->up, NULL, nv, n,
					    s->req_eof ? NULL : &prd, s);
	free(nv);
	if (id < 0) {
		/* the workload's connection is gone or going: never opened,
		 * the client may retry elsewhere */
		s->state = H2S_ANSWERED;
		s->up_closed = true;
		nghttp2_submit_rst_stream(s->f->down, NGHTTP2_FLAG_NONE,
					  s->down_id, NGHTTP2_REFUSED_STREAM);
		return;
	}
	s->up_id = id;
	s->state = H2S_FORWARDED;
}

/* Fills <r> from the request headers; <hdrs> has one slot per field. */
static void describe(const struct h2f_block *b, struct l7_hdr *hdrs,
		     struct l7_req *r)
{
	int m = h2f_block_find(b, ":method");
	int a = h2f_block_find(b, ":authority");
	size_t i;

	if (a < 0)
		a = h2f_block_find(b, "host");
	r->method = b->buf + b->fld[m].value;
	r->method_len = b->fld[m].vlen;
	r->host = a >= 0 ? b->buf + b->fld[a].value : "";
	r->host_len = a >= 0 ? b->fld[a].vlen : 0;
	for (i = 0; i < b->n; i++)
		hdrs[i] = (struct l7_hdr){ b->buf + b->fld[i].name,
					   b->fld[i].nlen,
					   b->buf + b->fld[i].value,
					   b->fld[i].vlen };
	r->hdrs = hdrs;
	r->nhdrs = b->n;
}

static bool judge(struct h2s *s, const char *path, size_t plen)
{
	const struct hfilt_judge *j = &s->f->base.j;
	struct l7_verdict v = { .allow = false };
	struct l7_hdr *hdrs = calloc(s->req_h.n, sizeof(*hdrs));
	struct l7_req r = { .path = path, .path_len = plen };

	if (!hdrs)
		return false;	/* fail closed */
	describe(&s->req_h, hdrs, &r);
	s->f->base.st.requests++;
	if (j->judge)
		j->judge(j->ctx, &r, &v);
	free(hdrs);
	return v.allow;
}

void h2s_request(struct h2s *s)
{
	const struct hfilt_judge *j = &s->f->base.j;
	const struct h2f_block *b = &s->req_h;
	int path = h2f_block_find(b, ":path");
	size_t plen, outsz;
	char *norm;
	int n = -1;

	/* no :path is CONNECT: nothing a path policy could judge */
	if (path < 0 || h2f_block_find(b, ":method") < 0) {
		answer_bad(s);
		return;
	}
	plen = b->fld[path].vlen;
	outsz = plen + 64;	/* normalizing never grows a path much */
	norm = malloc(outsz);
	if (norm && j->normalize)
		n = j->normalize(j->ctx, b->buf + b->fld[path].value, plen,
				 norm, outsz);
	if (n < 0)
		answer_bad(s);
	else if (!judge(s, norm, n))
		answer_denied(s);
	else
		forward(s, path, norm, n);
	free(norm);
	/* nghttp2 copied what it sends: the block is done with */
	h2f_block_free(&s->req_h);
}

void h2s_response(struct h2s *s)
{
	nghttp2_data_provider prd = { .source.ptr = s,
				      .read_callback = read_resp };
	nghttp2_nv *nv;
	size_t n;
	int r = -1;

	if (s->down_closed)
		return;
	nv = h2f_block_nv(&s->resp_h, -1, NULL, 0, &n);
	if (nv)
		r = nghttp2_submit_response(s->f->down, s->down_id, nv, n,
					    s->resp_eof ? NULL : &prd);
	free(nv);
	h2f_block_free(&s->resp_h);
	if (r)
		nghttp2_submit_rst_stream(s->f->down, NGHTTP2_FLAG_NONE,
					  s->down_id, NGHTTP2_INTERNAL_ERROR);
}
