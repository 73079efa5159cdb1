// SPDX-License-Identifier: Apache-2.0
#include "objindex.h"

#include <string.h>

#include "../util/hmap.h"
#include "registry.h"

/* host indexes for the two kinds that name hosts */
enum { HX_VS, HX_DR, HX_COUNT };

struct obj_index {
	size_t n; /* c->n it was built for: objects are only ever appended */
	struct hmap by_ns[K_COUNT];
	struct hmap by_host[HX_COUNT]; /* resolved host -> objects */
	struct hlist wild[HX_COUNT];   /* objects with a wildcard host */
};

static int hx_of(enum kind k)
{
	return k == K_VIRTUAL_SERVICE ? HX_VS :
	       k == K_DESTINATION_RULE ? HX_DR : -1;
}

/* Files <o> under <host> as resolved in its namespace, once per host. */
static void add_host(struct config *c, struct obj_index *x, int hx,
		     struct object *o, const char *host)
{
	const char *fq = host ? registry_fqdn(&c->arena, NULL, host, o->ns) :
			 NULL;
	struct hlist *l = &x->wild[hx];
	void **slot;

	if (!fq)
		return;
	if (fq[0] != '*') {
		slot = hmap_slot(&x->by_host[hx], fq);
		if (!*slot)
			*slot = arena_alloc(&c->arena, sizeof(*l));
		l = *slot;
	}
	if (!l->n || l->v[l->n - 1] != o)
		hlist_push(&c->arena, l, o);
}

static void index_hosts(struct config *c, struct obj_index *x,
			struct object *o)
{
	const struct vs_spec *vs = obj_vs(o);
	const struct dr_spec *dr = obj_dr(o);
	size_t i;

	for (i = 0; vs && i < vs->hosts.n; i++)
		add_host(c, x, HX_VS, o, vs->hosts.v[i]);
	if (dr)
		add_host(c, x, HX_DR, o, dr->host);
}

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
	for (i = 0; i < HX_COUNT; i++)
		hmap_init(&x->by_host[i], &c->arena);
	for (i = 0; i < c->n; i++) {
		struct object *o = c->objs[i];

		if (o->kind < K_COUNT && o->ns) {
			hmap_push(&x->by_ns[o->kind], o->ns, o);
			index_hosts(c, x, o);
		}
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

void obj_iter_host(struct obj_iter *it, const struct config *c, enum kind k,
		   const char *fqdn)
{
	const struct obj_index *x = index_of(c);
	int hx = hx_of(k);
	const struct hlist *l;

	memset(it, 0, sizeof(*it));
	if (hx < 0 || !fqdn)
		return;
	l = hmap_get(&x->by_host[hx], fqdn);
	if (l) {
		it->v[0] = l->v;
		it->n[0] = l->n;
	}
	it->v[1] = x->wild[hx].v;
	it->n[1] = x->wild[hx].n;
}

struct object *obj_iter_next(struct obj_iter *it)
{
	struct object *a = it->i[0] < it->n[0] ? it->v[0][it->i[0]] : NULL;
	struct object *b = it->i[1] < it->n[1] ? it->v[1][it->i[1]] : NULL;

	/* both lists are in load order (seq): merge them */
	if (a && (!b || a->seq <= b->seq)) {
		it->i[0]++;
		if (b == a)
			it->i[1]++;
		return a;
	}
	if (b)
		it->i[1]++;
	return b;
}
