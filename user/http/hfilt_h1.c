// SPDX-License-Identifier: Apache-2.0
/* The HTTP/1.1 filter (hfilt.h) over http-parser: requests one by one,
 * in order, each header block whole before it is judged (60 KiB at
 * most), bodies forwarded as they come and as the queue to the workload
 * has room; responses parsed only for their boundaries and forwarded as
 * they come.
 *
 * Answers keep HTTP's order: a request we refuse after forwarded ones
 * waits until the workload ended their responses, then our answer goes
 * out and the connection closes (connection: close). Nothing the client
 * sends after a refused request reaches the workload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hfilt_h1.h"

/* Room the queue to the workload must have before a header block is
 * gathered: the block and a target normalized to its full size. */
#define H1_HEAD_ROOM (2 * H1_HEAD_MAX + 64)
_Static_assert(HFILT_QUEUE_MAX >= H1_HEAD_ROOM + (16u << 10),
	       "a rewritten header block and some body fit in a queue");
/* Room kept in the queue to the client for our own answer. */
#define H1_ANSWER_ROOM 256
/* A feed handles at most this many messages (each a loop step): the
 * queues end it first; this only guards against a bug spinning. */
#define H1_STEPS 4096

struct h1_owed *h1_owed_push(struct h1 *h)
{
	unsigned i = (h->owed_first + h->owed_n++) % H1_OWED_MAX;

	h->owed[i] = (struct h1_owed){ 0 };
	return &h->owed[i];
}

static const struct h1_owed *owed_head(const struct h1 *h)
{
	return &h->owed[h->owed_first];
}

static void owed_pop(struct h1 *h)
{
	h->owed_first = (h->owed_first + 1) % H1_OWED_MAX;
	h->owed_n--;
}

static const char *answer_text(int status, const char **body)
{
	switch (status) {
	case 403:	/* as Envoy's RBAC filter answers */
		*body = "RBAC: access denied";
		return "403 Forbidden";
	case 431:
		*body = "Request Header Fields Too Large";
		return "431 Request Header Fields Too Large";
	default:
		*body = "Bad Request";
		return "400 Bad Request";
	}
}

/* Our answer goes out once no response is owed before it. */
static void try_answer(struct h1 *h)
{
	const char *body, *line;
	char msg[H1_ANSWER_ROOM];
	int n;

	if (!h->answer || h->owed_n)
		return;
	line = answer_text(h->answer, &body);
	n = snprintf(msg, sizeof(msg),
		     "HTTP/1.1 %s\r\ncontent-length: %zu\r\n"
		     "content-type: text/plain\r\nconnection: close\r\n\r\n%s",
		     line, strlen(body), body);
	bytebuf_put(&h->base.to_client, msg, (size_t)n);	/* room kept */
	h->answer = 0;
	h->base.shut_client = true;
	h->base.shut_app = true;
}

/* The client gets <status> instead of its request; nothing it sends from
 * here reaches the workload. */
static void refuse(struct h1 *h, int status)
{
	if (status == 403)
		h->base.st.denied++;
	else
		h->base.st.bad++;
	h->cs = H1_C_DONE;
	h->hb_len = 0;
	h->answer = status;
	if (h->app_eof && h->owed_n)	/* the order can no longer be kept */
		h->base.shut_client = true;
	try_answer(h);
}

/* Gathers a header block; at its end, judges it. Leading empty lines
 * between requests are dropped (RFC 9112 2.2). */
static int head_feed(struct h1 *h, const uint8_t *p, size_t n, size_t *k)
{
	size_t take, from, stop, i;
	uint8_t *end;
	int st;

	*k = 0;
	while (!h->hb_len && *k < n && (p[*k] == '\r' || p[*k] == '\n'))
		(*k)++;
	if (*k == n || h->owed_n == H1_OWED_MAX ||
	    bytebuf_room(&h->base.to_app) < H1_HEAD_ROOM)
		return 0;
	take = n - *k;
	if (take > H1_HEAD_MAX - h->hb_len)
		take = H1_HEAD_MAX - h->hb_len;
	from = h->hb_len > 3 ? h->hb_len - 3 : 0;
	memcpy(h->hb + h->hb_len, p + *k, take);
	end = memmem(h->hb + from, h->hb_len + take - from, "\r\n\r\n", 4);
	/* only the block's own bytes: a body may hold anything */
	stop = end ? (size_t)(end + 4 - h->hb) : h->hb_len + take;
	for (i = h->hb_len; i < stop; i++)
		if (h1_bad_byte(h->hb, i)) {
			*k += take;
			refuse(h, 400);
			return 0;
		}
	h->hb_len += take;
	if (!end) {
		*k += take;
		if (h->hb_len == H1_HEAD_MAX)
			refuse(h, 431);
		return 0;
	}
	/* what came after the block is the body's or the next request's */
	take -= h->hb_len - (size_t)(end + 4 - h->hb);
	h->hb_len = (size_t)(end + 4 - h->hb);
	*k += take;
	st = h1_head_done(h, p + *k, n - *k);
	if (st < 0)
		return -1;
	if (st) {
		refuse(h, st);
		return 0;
	}
	h->hb_len = 0;
	h->cs = H1_C_BODY;
	return 0;
}

/* The message ended: the next one, or the wait for an Upgrade's
 * answer. */
static void req_end(struct h1 *h)
{
	h->req_done = false;
	h->cs = h->req.upgrade ? H1_C_WAIT : H1_C_HEAD;
}

/* An allowed request's body, as far as the queue has room. A framing
 * error here comes after the head went out: only a reset is left. */
static int body_feed(struct h1 *h, const uint8_t *p, size_t n, size_t *k)
{
	size_t room = bytebuf_room(&h->base.to_app);
	enum http_errno e;

	*k = 0;
	if (h->req_done) {
		req_end(h);
		return 0;
	}
	if (n > room)
		n = room;
	if (!n)
		return 0;
	*k = http_parser_execute(&h->req, &h1_req_cb, (const char *)p, n);
	e = HTTP_PARSER_ERRNO(&h->req);
	if (e != HPE_OK && e != HPE_PAUSED) {
		h->base.st.bad++;
		return -1;
	}
	if (e == HPE_PAUSED)
		http_parser_pause(&h->req, 0);
	bytebuf_put(&h->base.to_app, p, *k);	/* fits: room */
	if (h->req_done)
		req_end(h);
	return 0;
}

/* Opaque bytes into <q>, as far as it has room. */
static size_t pass(struct bytebuf *q, const uint8_t *p, size_t n, size_t keep)
{
	size_t room = bytebuf_room(q);

	room = room > keep ? room - keep : 0;
	if (n > room)
		n = room;
	bytebuf_put(q, p, n);
	return n;
}

static int client_step(struct h1 *h, const uint8_t *p, size_t n, size_t *k)
{
	switch (h->cs) {
	case H1_C_HEAD:
		return head_feed(h, p, n, k);
	case H1_C_BODY:
		return body_feed(h, p, n, k);
	case H1_C_TUNNEL:
		*k = pass(&h->base.to_app, p, n, 0);
		return 0;
	case H1_C_DONE:
		*k = n;		/* dropped: we answer and close */
		return 0;
	default:
		*k = 0;		/* H1_C_WAIT: held until the answer */
		return 0;
	}
}

static int h1_from_client(struct hfilt *f, const uint8_t *p, size_t n,
			  size_t *used)
{
	struct h1 *h = (struct h1 *)f;
	int i;

	*used = 0;
	for (i = 0; i < H1_STEPS; i++) {
		enum h1_cstate was = h->cs;
		size_t k;

		if (client_step(h, p + *used, n - *used, &k))
			return -1;
		*used += k;
		if (*used == n && h->cs == was)
			break;
		if (!k && h->cs == was)
			break;
	}
	return 0;
}

/* Responses: where each ends, HEAD's have no body, 1xx ones are interim,
 * a 101 only answers an Upgrade. */
static int on_resp_headers(http_parser *p)
{
	struct h1 *h = p->data;
	const struct h1_owed *o = owed_head(h);

	if (p->status_code == 101)
		return o->upgrade ? 0 : -1;
	return o->head ? 1 : 0;		/* 1: no body follows */
}

static int on_resp_complete(http_parser *p)
{
	struct h1 *h = p->data;

	h->resp_done = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings resp_cb = {
	.on_headers_complete = on_resp_headers,
	.on_message_complete = on_resp_complete,
};

/* A response ended: the request it answered is no longer owed (an
 * interim 1xx answers none); a 101 turns the stream opaque, any other
 * answer to an Upgrade lets the client's next request through. */
static void resp_end(struct h1 *h)
{
	unsigned status = h->resp.status_code;

	h->resp_done = false;
	http_parser_pause(&h->resp, 0);
	if (status >= 100 && status < 200 && status != 101)
		return;
	if (owed_head(h)->upgrade && h->cs == H1_C_WAIT)
		h->cs = status == 101 ? H1_C_TUNNEL : H1_C_HEAD;
	h->tunnel = status == 101;
	owed_pop(h);
	try_answer(h);
}

static int resp_feed(struct h1 *h, const uint8_t *p, size_t n, size_t *k)
{
	enum http_errno e;
	size_t room;

	*k = 0;
	if (!h->owed_n)
		return n ? -1 : 0;	/* nobody asked: not a response */
	room = bytebuf_room(&h->base.to_client);
	room = room > H1_ANSWER_ROOM ? room - H1_ANSWER_ROOM : 0;
	if (n > room)
		n = room;
	if (!n)
		return 0;
	/* the parser pauses at a message's end: one response per step */
	*k = http_parser_execute(&h->resp, &resp_cb, (const char *)p, n);
	e = HTTP_PARSER_ERRNO(&h->resp);
	if (e != HPE_OK && e != HPE_PAUSED)
		return -1;
	bytebuf_put(&h->base.to_client, p, *k);	/* fits: room */
	if (h->resp_done)
		resp_end(h);
	return 0;
}

static int h1_from_app(struct hfilt *f, const uint8_t *p, size_t n,
		       size_t *used)
{
	struct h1 *h = (struct h1 *)f;
	int i;

	*used = 0;
	for (i = 0; i < H1_STEPS && *used < n; i++) {
		size_t k;

		if (h->tunnel)
			k = pass(&f->to_client, p + *used, n - *used, 0);
		else if (resp_feed(h, p + *used, n - *used, &k))
			return -1;
		if (!k)
			break;
		*used += k;
	}
	return 0;
}

/* The client ended: the workload gets its EOF once the queue is out (a
 * partial header block never reaches it; a partial body does, and the
 * EOF tells it so). */
static void h1_client_eof(struct hfilt *f)
{
	struct h1 *h = (struct h1 *)f;

	h->hb_len = 0;
	f->shut_app = true;
}

/* The workload ended: a body that runs to EOF ends here; whatever is
 * still owed never comes, and neither can our answer after it. */
static void h1_app_eof(struct hfilt *f)
{
	struct h1 *h = (struct h1 *)f;

	h->app_eof = true;
	if (!h->tunnel && h->owed_n) {
		http_parser_execute(&h->resp, &resp_cb, NULL, 0);
		if (h->resp_done)
			resp_end(h);
	}
	try_answer(h);
	f->shut_client = true;
}

static void h1_destroy(struct hfilt *f)
{
	(void)f;
}

static const struct hfilt_vt h1_vt = {
	.from_client = h1_from_client,
	.from_app = h1_from_app,
	.client_eof = h1_client_eof,
	.app_eof = h1_app_eof,
	.destroy = h1_destroy,
};

struct hfilt *hfilt_h1_new(const struct hfilt_judge *j)
{
	struct h1 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	hfilt_base_init(&h->base, &h1_vt, j);
	http_parser_init(&h->resp, HTTP_RESPONSE);
	h->resp.data = h;
	return &h->base;
}
