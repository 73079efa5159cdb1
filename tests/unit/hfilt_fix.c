// SPDX-License-Identifier: Apache-2.0
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "hfilt_fix.h"

static void judge(void *ctx, const struct l7_req *r, struct l7_verdict *v)
{
	struct hf_policy *p = ctx;
	size_t n = r->path_len < sizeof(p->last_path) - 1 ?
			   r->path_len : sizeof(p->last_path) - 1;

	p->judged++;
	memcpy(p->last_path, r->path, n);
	p->last_path[n] = 0;
	n = r->host_len < sizeof(p->last_host) - 1 ? r->host_len :
		sizeof(p->last_host) - 1;
	memcpy(p->last_host, r->host, n);
	p->last_host[n] = 0;
	v->allow = !(r->method_len == 6 && !memcmp(r->method, "DELETE", 6)) &&
		   strncmp(p->last_path, "/deny", 5);
}

static int normalize(void *ctx, const char *in, size_t n, char *out,
		     size_t outsz)
{
	size_t i = 0, o = 0;

	if (!n || in[0] != '/')
		return -1;
	while (i < n) {
		if (n - i >= 3 && !memcmp(in + i, "/./", 3)) {
			i += 2;
			continue;
		}
		if (o + 1 >= outsz)
			return -1;
		out[o++] = in[i++];
	}
	out[o] = 0;
	return (int)o;
}

void hf_open(struct hf *t)
{
	struct hfilt_judge j = { judge, normalize, &t->pol };

	memset(t, 0, sizeof(*t));
	j.ctx = &t->pol;
	t->f = hfilt_new(L7_HTTP, &j);
	CU_ASSERT_FATAL(t->f != NULL);
}

void hf_close(struct hf *t)
{
	hfilt_free(t->f);
	free(t->app.b);
	free(t->client.b);
}

static void take(struct bytebuf *q, struct hf_seen *s, size_t *max,
		 bool count_only)
{
	if (q->len > *max)
		*max = q->len;
	if (count_only) {
		s->len += q->len;
		bytebuf_drop(q, q->len);
		return;
	}
	if (!q->len && s->b)
		return;
	s->b = realloc(s->b, s->len + q->len + 1);
	CU_ASSERT_FATAL(s->b != NULL);
	if (q->len)
		memcpy(s->b + s->len, q->p + q->off, q->len);
	s->len += q->len;
	s->b[s->len] = 0;
	bytebuf_drop(q, q->len);
}

void hf_drain(struct hf *t)
{
	take(hfilt_to_app(t->f), &t->app, &t->max_to_app, t->count_only);
	take(hfilt_to_client(t->f), &t->client, &t->max_to_client, false);
}

typedef int (*feed_fn)(struct hfilt *f, const uint8_t *p, size_t n,
		       size_t *used);

static int feed(struct hf *t, feed_fn fn, const char *p, size_t n,
		size_t step)
{
	while (n) {
		size_t k = n < step ? n : step, used = 0;

		if (fn(t->f, (const uint8_t *)p, k, &used))
			return -1;
		hf_drain(t);
		if (!used)
			return 1;
		p += used;
		n -= used;
	}
	return 0;
}

int hf_client(struct hf *t, const char *p, size_t n, size_t step)
{
	return feed(t, hfilt_from_client, p, n, step);
}

int hf_app(struct hf *t, const char *p, size_t n, size_t step)
{
	return feed(t, hfilt_from_app, p, n, step);
}

int hf_client_s(struct hf *t, const char *s)
{
	return hf_client(t, s, strlen(s), strlen(s) + 1);
}

int hf_app_s(struct hf *t, const char *s)
{
	return hf_app(t, s, strlen(s), strlen(s) + 1);
}

unsigned hf_count(const struct hf_seen *s, const char *needle)
{
	const char *p = s->b;
	unsigned n = 0;

	while (p && (p = memmem(p, s->len - (size_t)(p - s->b), needle,
				strlen(needle)))) {
		n++;
		p++;
	}
	return n;
}

bool hf_has(const struct hf_seen *s, const char *needle)
{
	return hf_count(s, needle) > 0;
}
