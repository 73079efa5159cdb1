// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hbone_pool.h"
#include "../util/grow.h"

void hbone_pool_init(struct hbone_pool *p, hbone_dial_fn dial, void *owner)
{
	*p = (struct hbone_pool){ .dial = dial, .owner = owner };
}

static void pool_conn_free(struct hbone_pool *p, struct hbone_conn *c)
{
	if (p->gone)
		p->gone(p->owner, c);
	hbone_conn_free(c);
}

void hbone_pool_free(struct hbone_pool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		pool_conn_free(p, p->v[i].c);
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b, bool with_port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!with_port || x->sin_port == y->sin_port);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) &&
		       (!with_port || x->sin6_port == y->sin6_port);
	}
	return false;
}

static bool same_key(const struct hbone_pool_key *a,
		     const struct hbone_pool_key *b)
{
	return !strcmp(a->src_id, b->src_id) && !strcmp(a->dst_id, b->dst_id) &&
	       same_addr(&a->dst, &b->dst, true) &&
	       same_addr(&a->src, &b->src, false);
}

static uint32_t stream_limit(const struct hbone_conn *c)
{
	uint32_t peer = hbone_conn_peer_max_streams(c);

	return peer < HBONE_POOL_MAX_STREAMS ? peer : HBONE_POOL_MAX_STREAMS;
}

/* Takes a connection out of the pool once it cannot take another stream. */
static void update_pooled(struct hbone_pool_conn *pc)
{
	if (pc->pooled &&
	    (hbone_conn_done(pc->c) || hbone_conn_goaway_seen(pc->c) ||
	     hbone_conn_streams_opened(pc->c) >= stream_limit(pc->c)))
		pc->pooled = false;
}

static struct hbone_pool_conn *find(struct hbone_pool *p,
				    const struct hbone_pool_key *key)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		update_pooled(&p->v[i]);
		if (p->v[i].pooled && same_key(&p->v[i].key, key))
			return &p->v[i];
	}
	return NULL;
}

static struct hbone_pool_conn *dial(struct hbone_pool *p,
				    const struct hbone_pool_key *key,
				    uint64_t now_ms)
{
	struct hbone_pool_conn *pc;
	struct hbone_conn *c;

	if (p->n >= HBONE_POOL_MAX_CONNS)
		return NULL;
	if (p->n == p->cap && grow((void **)&p->v, &p->cap, sizeof(*p->v)))
		return NULL;
	c = p->dial(p->owner, key, now_ms);
	if (!c)
		return NULL;
	if (hbone_conn_expect_peer(c, key->dst_id)) {
		pool_conn_free(p, c);
		return NULL;
	}
	pc = &p->v[p->n++];
	*pc = (struct hbone_pool_conn){ .key = *key, .c = c, .pooled = true };
	return pc;
}

struct hbone_stream *hbone_pool_open(struct hbone_pool *p,
				     const struct hbone_pool_key *key,
				     const char *authority, void *ctx,
				     uint64_t now_ms)
{
	struct hbone_pool_conn *pc = find(p, key);
	struct hbone_stream *s;

	if (!pc)
		pc = dial(p, key, now_ms);
	if (!pc)
		return NULL;
	s = hbone_client_open(pc->c, authority, ctx);
	if (s)
		pc->idle_since = 0;
	update_pooled(pc);
	return s;
}

void hbone_pool_tick(struct hbone_pool *p, uint64_t now_ms)
{
	size_t i = 0;

	while (i < p->n) {
		struct hbone_pool_conn *pc = &p->v[i];

		hbone_conn_tick(pc->c, now_ms);
		if (hbone_conn_done(pc->c)) {
			pool_conn_free(p, pc->c);
			p->v[i] = p->v[--p->n];
			continue;
		}
		update_pooled(pc);
		if (hbone_conn_active_streams(pc->c)) {
			pc->idle_since = 0;
		} else if (!pc->idle_since) {
			pc->idle_since = now_ms;
		} else if (now_ms - pc->idle_since >= HBONE_POOL_IDLE_MS) {
			pc->pooled = false;
			hbone_conn_drain(pc->c);
		}
		i++;
	}
}
