// SPDX-License-Identifier: Apache-2.0
/* The HTTP filter's front (hfilt.h): which protocol a stream speaks, and
 * the accessors the relay uses whatever the protocol.
 *
 * An L7_HTTP port may carry HTTP/1.1 or HTTP/2 (prior knowledge): the
 * client's first bytes say which. Until 24 bytes either match the HTTP/2
 * preface or stop matching it, they are held here (a "sniff" filter);
 * then the real filter is made, takes the held bytes and from there on
 * every call goes straight to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hfilt_int.h"

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN (sizeof(h2_preface) - 1)

struct sniff {
	struct hfilt base;
	struct hfilt *inner;		/* once decided */
	uint8_t held[H2_PREFACE_LEN];
	size_t nheld;
	bool client_eof;
};

void hfilt_base_init(struct hfilt *f, const struct hfilt_vt *vt,
		     const struct hfilt_judge *j)
{
	f->vt = vt;
	f->j = *j;
	bytebuf_init(&f->to_app, HFILT_QUEUE_MAX);
	bytebuf_init(&f->to_client, HFILT_QUEUE_MAX);
}

/* The held bytes go to the new filter first; it takes them all unless
 * its queue is full (it cannot be, at the start, but a short take just
 * waits for the next call). */
static int flush_held(struct sniff *s)
{
	size_t used = 0;

	if (!s->nheld)
		return 0;
	if (s->inner->vt->from_client(s->inner, s->held, s->nheld, &used) < 0)
		return -1;
	memmove(s->held, s->held + used, s->nheld - used);
	s->nheld -= used;
	return 0;
}

/* Whether the held bytes decide the protocol: 1 HTTP/2, 0 HTTP/1.1,
 * -1 not yet. */
static int decided(const struct sniff *s)
{
	if (memcmp(s->held, h2_preface, s->nheld))
		return 0;
	return s->nheld == H2_PREFACE_LEN ? 1 : -1;
}

static int sniff_from_client(struct hfilt *f, const uint8_t *p, size_t n,
			     size_t *used)
{
	struct sniff *s = (struct sniff *)f;
	size_t take = 0;
	int d;

	*used = 0;
	if (s->inner) {
		if (flush_held(s))
			return -1;
		if (s->nheld)
			return 0;
		return s->inner->vt->from_client(s->inner, p, n, used);
	}
	while (take < n && s->nheld < H2_PREFACE_LEN && decided(s) < 0)
		s->held[s->nheld++] = p[take++];
	*used = take;
	d = decided(s);
	if (d < 0)
		return 0;
	s->inner = d ? hfilt_h2_new(&f->j) : hfilt_h1_new(&f->j);
	if (!s->inner) {
		f->st.bad++;	/* no memory */
		return -1;
	}
	if (s->client_eof)
		s->inner->vt->client_eof(s->inner);
	if (flush_held(s))
		return -1;
	if (s->nheld || take == n)
		return 0;
	if (s->inner->vt->from_client(s->inner, p + take, n - take, used) < 0)
		return -1;
	*used += take;
	return 0;
}

static int sniff_from_app(struct hfilt *f, const uint8_t *p, size_t n,
			  size_t *used)
{
	struct sniff *s = (struct sniff *)f;

	*used = 0;
	if (!s->inner)
		return n ? -1 : 0;	/* the workload spoke first: not HTTP */
	return s->inner->vt->from_app(s->inner, p, n, used);
}

/* EOF before the protocol was decided: what was held was not a request
 * anyone finished; the workload gets an EOF and no bytes. */
static void sniff_client_eof(struct hfilt *f)
{
	struct sniff *s = (struct sniff *)f;

	s->client_eof = true;
	if (s->inner) {
		s->inner->vt->client_eof(s->inner);
		return;
	}
	f->shut_app = true;
	f->shut_client = true;
}

static void sniff_app_eof(struct hfilt *f)
{
	struct sniff *s = (struct sniff *)f;

	if (s->inner)
		s->inner->vt->app_eof(s->inner);
	else
		f->shut_client = true;
}

static void sniff_destroy(struct hfilt *f)
{
	hfilt_free(((struct sniff *)f)->inner);
}

static const struct hfilt_vt sniff_vt = {
	.from_client = sniff_from_client,
	.from_app = sniff_from_app,
	.client_eof = sniff_client_eof,
	.app_eof = sniff_app_eof,
	.destroy = sniff_destroy,
};

static struct hfilt *cur(struct hfilt *f)
{
	if (f->vt == &sniff_vt && ((struct sniff *)f)->inner)
		return ((struct sniff *)f)->inner;
	return f;
}

static struct hfilt *sniff_new(const struct hfilt_judge *j)
{
	struct sniff *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	hfilt_base_init(&s->base, &sniff_vt, j);
	return &s->base;
}

struct hfilt *hfilt_new(enum l7_proto proto, const struct hfilt_judge *j)
{
	switch (proto) {
	case L7_HTTP:
		return sniff_new(j);
	case L7_HTTP2:
		return hfilt_h2_new(j);
	default:
		return NULL;
	}
}

void hfilt_free(struct hfilt *f)
{
	if (!f)
		return;
	f->vt->destroy(f);
	bytebuf_free(&f->to_app);
	bytebuf_free(&f->to_client);
	free(f);
}

int hfilt_from_client(struct hfilt *f, const uint8_t *p, size_t n,
		      size_t *used)
{
	return f->vt->from_client(f, p, n, used);
}

int hfilt_from_app(struct hfilt *f, const uint8_t *p, size_t n, size_t *used)
{
	return f->vt->from_app(f, p, n, used);
}

void hfilt_client_eof(struct hfilt *f)
{
	f->vt->client_eof(f);
}

void hfilt_app_eof(struct hfilt *f)
{
	f->vt->app_eof(f);
}

struct bytebuf *hfilt_to_app(struct hfilt *f)
{
	return &cur(f)->to_app;
}

struct bytebuf *hfilt_to_client(struct hfilt *f)
{
	return &cur(f)->to_client;
}

bool hfilt_shut_app(const struct hfilt *f)
{
	return cur((struct hfilt *)f)->shut_app || f->shut_app;
}

bool hfilt_shut_client(const struct hfilt *f)
{
	return cur((struct hfilt *)f)->shut_client || f->shut_client;
}

const struct hfilt_stats *hfilt_stats(const struct hfilt *f)
{
	return &cur((struct hfilt *)f)->st;
}
