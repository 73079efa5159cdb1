// SPDX-License-Identifier: Apache-2.0
/* One HTTP/1.1 request's header block, whole in hand: refused as
 * malformed or smuggling before anything reaches the workload, judged,
 * and forwarded with its target normalized.
 *
 * Smuggling is what two parsers read differently; we refuse every form
 * of it that http-parser itself might accept: a byte the block may not
 * hold (NUL, a bare CR or LF), folded lines, Content-Length with
 * Transfer-Encoding, two of either, a coding other than chunked, two
 * Host headers. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hfilt_h1.h"

/* The callbacks see the block in one piece: every element arrives in one
 * call, so a second call for the same element can only follow it
 * directly (and is joined). */
static int join(const char **at0, size_t *len0, const char *at, size_t len)
{
	if (!*at0) {
		*at0 = at;
		*len0 = len;
		return 0;
	}
	if (*at0 + *len0 != at)
		return -1;
	*len0 += len;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct h1 *h = p->data;

	return join(&h->url, &h->url_len, at, len);
}

static int on_field(http_parser *p, const char *at, size_t len)
{
	struct h1 *h = p->data;
	struct l7_hdr *x;

	if (h->in_value || !h->nhdrs) {
		if (h->nhdrs == H1_NHDRS_MAX) {
			h->head_err = 431;
			return -1;
		}
		h->hdrs[h->nhdrs++] = (struct l7_hdr){ 0 };
		h->in_value = false;
	}
	x = &h->hdrs[h->nhdrs - 1];
	return join(&x->name, &x->name_len, at, len);
}

static int on_value(http_parser *p, const char *at, size_t len)
{
	struct h1 *h = p->data;
	struct l7_hdr *x = &h->hdrs[h->nhdrs - 1];

	h->in_value = true;
	return join(&x->value, &x->value_len, at, len);
}

/* The end of a request: execute returns here, so each message is
 * handled on its own (pipelining, Upgrade). */
static int on_complete(http_parser *p)
{
	struct h1 *h = p->data;

	h->req_done = true;
	http_parser_pause(p, 1);
	return 0;
}

const http_parser_settings h1_req_cb = {
	.on_url = on_url,
	.on_header_field = on_field,
	.on_header_value = on_value,
	.on_message_complete = on_complete,
};

bool h1_bad_byte(const uint8_t *b, size_t i)
{
	return !b[i] || (b[i] == '\n' && (!i || b[i - 1] != '\r'));
}

/* Bytes no header block may hold, and folded lines (obs-fold). */
static bool raw_bad(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (h1_bad_byte(b, i))
			return true;
		if (b[i] == '\r' && (i + 1 == n || b[i + 1] != '\n'))
			return true;
		if (b[i] == '\n' && i + 1 < n && (b[i + 1] == ' ' || b[i + 1] == '\t'))
			return true;
	}
	return false;
}

/* RFC 9110 5.6.2: Debian's http-parser is built lax and lets a space
 * into a field name. */
static bool is_token(const char *s, size_t n)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return false;
	return n > 0;
}

static bool is_name(const struct l7_hdr *x, const char *name)
{
	return x->name_len == strlen(name) &&
	       !strncasecmp(x->name, name, x->name_len);
}

static void trim_value(struct l7_hdr *x)
{
	while (x->value_len &&
	       (x->value[x->value_len - 1] == ' ' ||
		x->value[x->value_len - 1] == '\t'))
		x->value_len--;
	if (!x->value)
		x->value = "";
}

/* The framing and Host rules; the Host header found, or NULL. */
static int check_headers(struct h1 *h, const struct l7_hdr **host)
{
	unsigned ncl = 0, nte = 0, nhost = 0;
	const struct l7_hdr *te = NULL;
	size_t i;

	*host = NULL;
	for (i = 0; i < h->nhdrs; i++) {
		struct l7_hdr *x = &h->hdrs[i];

		trim_value(x);
		if (!is_token(x->name, x->name_len))
			return 400;
		if (is_name(x, "content-length"))
			ncl++;
		else if (is_name(x, "transfer-encoding"))
			nte++, te = x;
		else if (is_name(x, "host"))
			nhost++, *host = x;
	}
	if (ncl > 1 || nte > 1 || (ncl && nte) || nhost > 1)
		return 400;
	if (te && (te->value_len != 7 || strncasecmp(te->value, "chunked", 7)))
		return 400;
	if (h->req.http_minor == 1 && !nhost)
		return 400;
	return 0;
}

static int check_line(const http_parser *p)
{
	if (p->http_major != 1 || p->http_minor > 1)
		return 400;
	/* CONNECT would turn this stream opaque on the client's say */
	if (p->method == HTTP_CONNECT)
		return 400;
	return 0;
}

/* The first framing of the body, if any came with the head, must parse:
 * a bad chunk size right behind the head is refused before the head
 * goes out. A copy of the parser looks; the real one reads it later. */
static int check_body_start(struct h1 *h, const uint8_t *rest, size_t n)
{
	http_parser probe = h->req;
	bool done = h->req_done;
	enum http_errno e;

	if (done || !n)
		return 0;
	http_parser_execute(&probe, &h1_req_cb, (const char *)rest, n);
	h->req_done = done;
	e = HTTP_PARSER_ERRNO(&probe);
	return e == HPE_OK || e == HPE_PAUSED ? 0 : 400;
}

/* Parses h->hb into h->url / h->hdrs. */
static int parse(struct h1 *h)
{
	enum http_errno e;
	size_t n;

	h->url = NULL;
	h->url_len = 0;
	h->nhdrs = 0;
	h->in_value = false;
	h->head_err = 0;
	h->req_done = false;
	http_parser_init(&h->req, HTTP_REQUEST);
	h->req.data = h;
	n = http_parser_execute(&h->req, &h1_req_cb, (const char *)h->hb,
				h->hb_len);
	e = HTTP_PARSER_ERRNO(&h->req);
	if (h->head_err)
		return h->head_err;
	if ((e != HPE_OK && e != HPE_PAUSED) || n != h->hb_len || !h->url)
		return 400;
	if (e == HPE_PAUSED)
		http_parser_pause(&h->req, 0);
	return check_line(&h->req);
}

/* The request line with the normalized target, then the rest of the
 * block as received. */
static int forward(struct h1 *h, const char *target, size_t tlen)
{
	const uint8_t *eol = memmem(h->hb, h->hb_len, "\r\n", 2);
	const char *m = http_method_str(h->req.method);
	char ver[16];
	struct bytebuf *q = &h->base.to_app;
	struct h1_owed *o;
	int vn;

	vn = snprintf(ver, sizeof(ver), " HTTP/1.%u", h->req.http_minor);
	if (bytebuf_put(q, m, strlen(m)) || bytebuf_put(q, " ", 1) ||
	    bytebuf_put(q, target, tlen) || bytebuf_put(q, ver, (size_t)vn) ||
	    bytebuf_put(q, eol, h->hb_len - (size_t)(eol - h->hb)))
		return -1;
	o = h1_owed_push(h);
	o->head = h->req.method == HTTP_HEAD;
	o->upgrade = h->req.upgrade;
	return 0;
}

static bool judged_allow(struct h1 *h, const char *target, size_t tlen,
			 const struct l7_hdr *host)
{
	const char *m = http_method_str(h->req.method);
	struct l7_verdict v = { 0 };
	struct l7_req r = {
		.method = m, .method_len = strlen(m),
		.path = target, .path_len = tlen,
		.host = host ? host->value : "",
		.host_len = host ? host->value_len : 0,
		.hdrs = h->hdrs, .nhdrs = h->nhdrs,
	};

	h->base.st.requests++;
	h->base.j.judge(h->base.j.ctx, &r, &v);
	return v.allow;
}

int h1_head_done(struct h1 *h, const uint8_t *rest, size_t nrest)
{
	const struct l7_hdr *host = NULL;
	int err, tlen;

	if (raw_bad(h->hb, h->hb_len))
		return 400;
	err = parse(h);
	if (!err)
		err = check_headers(h, &host);
	if (!err)
		err = check_body_start(h, rest, nrest);
	if (err)
		return err;
	tlen = h->base.j.normalize(h->base.j.ctx, h->url, h->url_len,
				   h->target, sizeof(h->target));
	if (tlen < 0)
		return 400;
	if (!judged_allow(h, h->target, (size_t)tlen, host))
		return 403;
	return forward(h, h->target, (size_t)tlen) ? -1 : 0;
}
