// SPDX-License-Identifier: Apache-2.0
#include "hmap.h"

#include <string.h>

#define HMAP_MIN 16

/* FNV-1a: short keys (hosts, namespaces), no adversary worth a keyed hash
 * (the input is the user's own configuration). */
static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void hmap_init(struct hmap *m, struct arena *a)
{
	memset(m, 0, sizeof(*m));
	m->a = a;
}

static struct hmap_ent *find(const struct hmap *m, const char *key,
			     size_t len, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct hmap_ent *e = &m->v[i];

		if (!e->key || (e->hash == h && e->len == len &&
				!memcmp(e->key, key, len)))
			return e;
	}
}

/* Doubles the table; the old one stays in the arena (at most as much
 * again as the live table, freed with the arena). */
static void grow(struct hmap *m)
{
	struct hmap_ent *old = m->v;
	size_t i, cap = m->cap;

	m->cap = cap ? cap * 2 : HMAP_MIN;
	m->v = arena_alloc(m->a, m->cap * sizeof(*m->v));
	for (i = 0; i < cap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].len, old[i].hash) = old[i];
}

void *hmap_getn(const struct hmap *m, const char *key, size_t len)
{
	const struct hmap_ent *e;

	if (!m->n || !key)
		return NULL;
	e = find(m, key, len, hash(key, len));
	return e->key ? e->val : NULL;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	return key ? hmap_getn(m, key, strlen(key)) : NULL;
}

void **hmap_slotn(struct hmap *m, const char *key, size_t len)
{
	uint64_t h = hash(key, len);
	struct hmap_ent *e;

	/* at most half full: probes stay short */
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	e = find(m, key, len, h);
	if (!e->key) {
		e->key = key;
		e->len = len;
		e->hash = h;
		m->n++;
	}
	return &e->val;
}

void **hmap_slot(struct hmap *m, const char *key)
{
	return hmap_slotn(m, key, strlen(key));
}

void hlist_push(struct arena *a, struct hlist *l, void *val)
{
	if (l->n == l->cap) {
		void **v = l->v;

		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = arena_alloc(a, l->cap * sizeof(*l->v));
		if (l->n)
			memcpy(l->v, v, l->n * sizeof(*v));
	}
	l->v[l->n++] = val;
}

void hmap_push(struct hmap *m, const char *key, void *val)
{
	void **slot = hmap_slot(m, key);

	if (!*slot)
		*slot = arena_alloc(m->a, sizeof(struct hlist));
	hlist_push(m->a, *slot, val);
}

void **hmap_list(const struct hmap *m, const char *key, size_t *n)
{
	const struct hlist *l = hmap_get(m, key);

	*n = l ? l->n : 0;
	return l ? l->v : NULL;
}
