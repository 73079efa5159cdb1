// SPDX-License-Identifier: Apache-2.0
/*
 * Building one generation (see authz.h): the policy part of the compiled
 * tables, keyed exactly as user/dataplane/tables.c keys the kernel's maps
 * (generation 0), so that bpf/lib/policy.h finds the same entries here.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "authz_int.h"

_Static_assert(sizeof(struct im_member_key) % 4 == 0 &&
	       sizeof(struct im_wlport_key) % 4 == 0, "keys hashed by words");

/* Keys are 8 or 12 bytes: mixed a 32-bit word at a time (a byte-wise
 * hash was most of a check's time). */
static uint64_t key_hash(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	uint32_t w;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		memcpy(&w, p + i, sizeof(w));
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	return h ^ (h >> 29);
}

/* Room for <n> keys at most half full. */
static int kset_init(struct kset *s, size_t ksz, size_t n)
{
	s->cap = 8;
	while (s->cap < 2 * n)
		s->cap *= 2;
	s->ksz = ksz;
	s->keys = calloc(s->cap, ksz);
	s->vals = calloc(s->cap, sizeof(*s->vals));
	return s->keys && s->vals ? 0 : -1;
}

static void kset_free(struct kset *s)
{
	free(s->keys);
	free(s->vals);
}

/* Adds <key> (kept value if present: the maps' entries are sets). */
static void kset_put(struct kset *s, const void *key, const void *val)
{
	size_t i = key_hash(key, s->ksz) & (s->cap - 1);

	while (s->vals[i] && memcmp(s->keys + i * s->ksz, key, s->ksz))
		i = (i + 1) & (s->cap - 1);
	if (s->vals[i])
		return;
	memcpy(s->keys + i * s->ksz, key, s->ksz);
	s->vals[i] = val;
}

const void *kset_get(const struct kset *s, const void *key)
{
	size_t i = key_hash(key, s->ksz) & (s->cap - 1);

	while (s->vals[i]) {
		if (!memcmp(s->keys + i * s->ksz, key, s->ksz))
			return s->vals[i];
		i = (i + 1) & (s->cap - 1);
	}
	return NULL;
}

static void *dup_array(const void *v, size_t n, size_t elem)
{
	void *p = malloc(n ? n * elem : 1);

	if (p && n)
		memcpy(p, v, n * elem);
	return p;
}

static const unsigned char present = 1;

static void put_members(struct authz_gen *g, const struct tables *t)
{
	struct im_member_key k;
	size_t i;

	for (i = 0; i < t->n_members; i++) {
		memset(&k, 0, sizeof(k));
		k.clause = t->members[i].clause;
		k.field = t->members[i].field;
		k.value = t->members[i].value;
		kset_put(&g->member, &k, &present);
	}
	/* as dp_put_cidr: keyed by length, host bits clear */
	for (i = 0; i < t->n_cidrs; i++) {
		const struct ct_cidr *c = &t->cidrs[i];

		memset(&k, 0, sizeof(k));
		k.clause = c->clause;
		k.field = c->field;
		k.plen = c->plen;
		k.value = c->plen ? c->ip & htonl(~0U << (32 - c->plen)) : 0;
		kset_put(&g->member, &k, &present);
	}
}

static void put_wlports(struct authz_gen *g, size_t n)
{
	struct im_wlport_key k;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.ip = g->wlports[i].ip;
		k.port = g->wlports[i].port;
		kset_put(&g->wlport, &k, &g->wlports[i].v);
	}
}

/* Which identity fields each policy set's clauses test: a peer whose
 * identity the tables do not know can only be judged where none is. */
static void scan_polsets(struct authz_gen *g)
{
	size_t s, c;

	for (s = 1; s < g->n_polsets; s++) {
		const struct im_polset *ps = &g->polsets[s];

		for (c = ps->first; c < (size_t)ps->first + ps->n &&
		     c < g->n_clauses; c++)
			g->polset_ids[s] |= g->clauses[c].fields &
				(IM_F_PRINC | IM_F_NOTPRINC | IM_F_NS |
				 IM_F_NOTNS);
	}
}

/* A string -> id index of <in>, the strings copied into the arena. */
static void put_ids(struct authz_gen *g, struct hmap *m,
		    const struct intern *in)
{
	size_t i;

	hmap_init(m, &g->arena);
	for (i = 0; in && i < in->n; i++)
		*hmap_slot(m, arena_strdup(&g->arena, in->v[i])) =
			(void *)(uintptr_t)(i + 1);
}

static void put_rules(struct authz_gen *g, const struct tables *t)
{
	size_t i;

	for (i = 0; i < t->n_rule_names; i++)
		if (t->rule_names[i].id < g->n_rules)
			g->rules[t->rule_names[i].id] =
				arena_strdup(&g->arena, t->rule_names[i].name);
}

static size_t max_rule_id(const struct tables *t)
{
	size_t i, m = 0;

	for (i = 0; i < t->n_rule_names; i++)
		if (t->rule_names[i].id > m && t->rule_names[i].id < UINT32_MAX)
			m = t->rule_names[i].id;
	return m;
}

static int copy_tables(struct authz_gen *g, const struct tables *t)
{
	g->n_polsets = t->n_polsets;
	g->polsets = dup_array(t->polsets, t->n_polsets, sizeof(*g->polsets));
	g->polset_ids = calloc(t->n_polsets + 1, 1);
	g->n_clauses = t->n_clauses;
	g->clauses = dup_array(t->clauses, t->n_clauses, sizeof(*g->clauses));
	g->wlports = dup_array(t->wlports, t->n_wlports, sizeof(*g->wlports));
	g->n_rules = max_rule_id(t) + 1;
	g->rules = calloc(g->n_rules, sizeof(*g->rules));
	if (!g->polsets || !g->polset_ids || !g->clauses || !g->wlports ||
	    !g->rules)
		return -1;
	if (kset_init(&g->wlport, sizeof(struct im_wlport_key), t->n_wlports) ||
	    kset_init(&g->member, sizeof(struct im_member_key),
		      t->n_members + t->n_cidrs))
		return -1;
	return 0;
}

struct authz_gen *authz_gen_new(const struct tables *t,
				const struct intern *principals,
				const struct intern *namespaces)
{
	struct authz_gen *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->refs = 1;
	if (copy_tables(g, t)) {
		authz_gen_put(g);
		return NULL;
	}
	put_wlports(g, t->n_wlports);
	put_members(g, t);
	scan_polsets(g);
	put_ids(g, &g->principals, principals);
	put_ids(g, &g->namespaces, namespaces);
	put_rules(g, t);
	return g;
}

struct authz_gen *authz_gen_ref(struct authz_gen *g)
{
	if (g)
		__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	return g;
}

void authz_gen_put(struct authz_gen *g)
{
	if (!g || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(g->polsets);
	free(g->polset_ids);
	free(g->clauses);
	free(g->wlports);
	free(g->rules);
	kset_free(&g->wlport);
	kset_free(&g->member);
	arena_free(&g->arena);
	free(g);
}
