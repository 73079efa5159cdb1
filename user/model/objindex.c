// SPDX-License-Identifier: Apache-2.0
#include "objindex.h"

#include <string.h>

#include "../util/hmap.h"

struct obj_index {
	size_t n; /* c->n it was built for: objects are only ever appended */
	struct hmap by_ns[K_COUNT];
};

static const struct obj_index *index_of(const struct config *cc)
{
	/* a cache of what the config holds: filling it changes nothing a
	 * reader of the config can see, so a const config may build it */
	struct config *c = (struct config *)cc;
	struct obj_index *x = c->index;
	size_t i;

	if (x && x->n == c->n)
		return x;
	x = arena_alloc(&c->arena, sizeof(*x));
	for (i = 0; i < K_COUNT; i++)
		hmap_init(&x->by_ns[i], &c->arena);
	for (i = 0; i < c->n; i++) {
		struct object *o = c->objs[i];

		if (o->kind < K_COUNT && o->ns)
			hmap_push(&x->by_ns[o->kind], o->ns, o);
	}
	x->n = c->n;
	c->index = x;
	return x;
}

void *const *config_ns_objects(const struct config *c, enum kind k,
			       const char *ns, size_t *n)
{
	*n = 0;
	if (!ns || k >= K_COUNT)
		return NULL;
	return hmap_list(&index_of(c)->by_ns[k], ns, n);
}

void obj_iter_ns(struct obj_iter *it, const struct config *c, enum kind k,
		 const char *ns, const char *ns2)
{
	memset(it, 0, sizeof(*it));
	it->v[0] = config_ns_objects(c, k, ns, &it->n[0]);
	if (ns2 && (!ns || strcmp(ns, ns2)))
		it->v[1] = config_ns_objects(c, k, ns2, &it->n[1]);
}

struct object *obj_iter_next(struct obj_iter *it)
{
	struct object *a = it->i[0] < it->n[0] ? it->v[0][it->i[0]] : NULL;
	struct object *b = it->i[1] < it->n[1] ? it->v[1][it->i[1]] : NULL;

	/* both lists are in load order (seq): merge them */
	if (a && (!b || a->seq < b->seq)) {
		it->i[0]++;
		return a;
	}
	if (b)
		it->i[1]++;
	return b;
}
