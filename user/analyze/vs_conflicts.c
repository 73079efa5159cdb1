// SPDX-License-Identifier: Apache-2.0
/* Istio's virtualservice.ConflictingMeshGatewayHostsAnalyzer (IST0109): two
 * VirtualServices bound to the mesh gateway for the same host, visible in
 * the same namespace. Sidecars then pick one of them arbitrarily. */
#include "common.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct vs_host {
	const char *scope; /* "*" or a namespace the VS is exported to */
	const char *fqdn;
	struct object *vs;
	size_t host_idx;
};

struct host_set {
	struct vs_host *v;
	size_t n, cap;
	struct hmap keys;    /* (scope, fqdn) -> indexes of its entries */
	struct hlist wild;   /* indexes of "*"-scoped wildcard hosts */
	struct hlist star;   /* indexes of every "*"-scoped entry */
};

static void push(struct host_set *hs, struct vs_host e)
{
	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 32;
		hs->v = realloc(hs->v, hs->cap * sizeof(*hs->v));
		if (!hs->v)
			abort();
	}
	hs->v[hs->n++] = e;
}

static bool on_mesh(const struct vs_spec *v)
{
	size_t i;

	if (!v->gateways.n)
		return true;
	for (i = 0; i < v->gateways.n; i++)
		if (!strcmp(v->gateways.v[i], "mesh"))
			return true;
	return false;
}

static bool exported_to_all(const struct strs *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->v[i], "*"))
			return true;
	return !e->n;
}

static void add_scope(struct config *c, struct host_set *hs, struct object *o,
		      const char *scope)
{
	const struct vs_spec *v = obj_vs(o);
	size_t h, k;

	/* a namespace listed twice in exportTo is one scope; the entries
	 * of <o> are the last ones */
	for (k = hs->n; k > 0 && hs->v[k - 1].vs == o; k--)
		if (!strcmp(hs->v[k - 1].scope, scope))
			return;
	for (h = 0; h < v->hosts.n; h++)
		push(hs, (struct vs_host){ scope,
			registry_fqdn(&c->arena, NULL, v->hosts.v[h], o->ns),
			o, h });
}

static void collect(struct config *c, struct host_set *hs)
{
	for_each_any(c, o, K_VIRTUAL_SERVICE) {
		const struct vs_spec *v = obj_vs(o);
		size_t i;

		if (!on_mesh(v))
			continue;
		if (exported_to_all(&v->export_to)) {
			add_scope(c, hs, o, "*");
			continue;
		}
		for (i = 0; i < v->export_to.n; i++)
			add_scope(c, hs, o, strcmp(v->export_to.v[i], ".") ?
					    v->export_to.v[i] : o->ns);
	}
}

/* Key of the entries of one scope and host ("<len>:" keeps pairs apart). */
static const char *key_of(struct config *c, const struct vs_host *e)
{
	return arena_printf(&c->arena, "%zu:%s%s", strlen(e->scope), e->scope,
			    e->fqdn);
}

/* Entry i stands in the arena hlists as i + 1 (never NULL). */
static void index_hosts(struct config *c, struct host_set *hs)
{
	size_t i;

	hmap_init(&hs->keys, &c->arena);
	for (i = 0; i < hs->n; i++) {
		const struct vs_host *e = &hs->v[i];
		void *ix = (void *)(uintptr_t)(i + 1);

		hmap_push(&hs->keys, key_of(c, e), ix);
		if (strcmp(e->scope, "*"))
			continue;
		hlist_push(&c->arena, &hs->star, ix);
		if (e->fqdn[0] == '*')
			hlist_push(&c->arena, &hs->wild, ix);
	}
}

/* The entries that conflict with key <k>: the same scope and host, plus,
 * for a namespace scope, hosts of VSs exported everywhere that overlap. */
static bool conflicts(const struct vs_host *k, const struct vs_host *e)
{
	if (!strcmp(e->scope, k->scope))
		return !strcmp(e->fqdn, k->fqdn);
	return strcmp(k->scope, "*") && !strcmp(e->scope, "*") &&
	       an_hosts_overlap(k->fqdn, e->fqdn);
}

static void add_list(struct hlist *to, struct arena *a, void *const *v,
		     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		hlist_push(a, to, v[i]);
}

static int ix_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a;
	uintptr_t y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* Every entry conflicts() can accept for <k>, in entry order, without
 * repeats: its own key's, and for a namespace scope the "*"-scoped
 * entries of the same host and the wildcard ones (all "*"-scoped ones when
 * <k> is itself a wildcard). */
static void candidates(struct config *c, const struct host_set *hs,
		       const struct vs_host *k, struct hlist *out)
{
	struct vs_host star = { "*", k->fqdn, NULL, 0 };
	size_t i, j, n;
	void *const *v = hmap_list(&hs->keys, key_of(c, k), &n);

	memset(out, 0, sizeof(*out));
	add_list(out, &c->arena, v, n);
	if (strcmp(k->scope, "*")) {
		if (k->fqdn[0] == '*') {
			add_list(out, &c->arena, hs->star.v, hs->star.n);
		} else {
			v = hmap_list(&hs->keys, key_of(c, &star), &n);
			add_list(out, &c->arena, v, n);
			add_list(out, &c->arena, hs->wild.v, hs->wild.n);
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), ix_cmp);
	for (i = j = 0; i < out->n; i++)
		if (!j || out->v[j - 1] != out->v[i])
			out->v[j++] = out->v[i];
	out->n = j;
}

/* Whether entry <i> is the first of its (scope, fqdn) key. */
static bool seen_key(struct config *c, const struct host_set *hs, size_t i)
{
	size_t n;
	void *const *v = hmap_list(&hs->keys, key_of(c, &hs->v[i]), &n);

	return n && (uintptr_t)v[0] != i + 1;
}

static void report(struct config *c, const struct host_set *hs,
		   const struct vs_host *k, bool *done)
{
	struct hlist cand;
	char *names = "";
	size_t i, n = 0;

	candidates(c, hs, k, &cand);
	for (i = 0; i < cand.n; i++) {
		const struct vs_host *e = &hs->v[(uintptr_t)cand.v[i] - 1];

		if (!conflicts(k, e))
			continue;
		names = arena_printf(&c->arena, "%s%s%s", names, n++ ? "," : "",
				     an_full_name(c, e->vs));
	}
	if (n < 2)
		return;
	for (i = 0; i < cand.n; i++) {
		const struct vs_host *e = &hs->v[(uintptr_t)cand.v[i] - 1];
		const struct vs_spec *v = obj_vs(e->vs);

		if (!conflicts(k, e) || done[e->vs->seq])
			continue;
		done[e->vs->seq] = true;
		diag_add(&c->diag, "IST0109", SEV_ERROR, e->vs,
			 an_item(&v->hosts, e->host_idx),
			 arena_printf(&c->arena, "spec.hosts[%zu]", e->host_idx),
			 "merge the conflicting VirtualServices into one, or "
			 "narrow their exportTo so that no namespace sees both",
			 "The VirtualServices %s associated with mesh gateway "
			 "define the same host %s/%s which can lead to undefined "
			 "behavior. This can be fixed by merging the conflicting "
			 "VirtualServices into a single resource.", names,
			 k->scope, k->fqdn);
	}
}

void analyze_vs_conflicting_mesh_hosts(struct config *c)
{
	struct host_set hs = { 0 };
	bool *done; /* by object seq: reported once */
	size_t i;

	collect(c, &hs);
	index_hosts(c, &hs);
	done = arena_alloc(&c->arena, (c->n + 1) * sizeof(*done));
	for (i = 0; i < hs.n; i++)
		if (!seen_key(c, &hs, i))
			report(c, &hs, &hs.v[i], done);
	free(hs.v);
}
