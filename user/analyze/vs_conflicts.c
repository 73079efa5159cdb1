// SPDX-License-Identifier: Apache-2.0
/* Istio's virtualservice.ConflictingMeshGatewayHostsAnalyzer (IST0109): two
 * VirtualServices bound to the mesh gateway for the same host, visible in
 * the same namespace. Sidecars then pick one of them arbitrarily. */
#include "common.h"

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

	/* a namespace listed twice in exportTo is one scope */
	for (k = 0; k < hs->n; k++)
		if (hs->v[k].vs == o && !strcmp(hs->v[k].scope, scope))
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

/* The entries that conflict with key <k>: the same scope and host, plus,
 * for a namespace scope, hosts of VSs exported everywhere that overlap. */
static bool conflicts(const struct vs_host *k, const struct vs_host *e)
{
	if (!strcmp(e->scope, k->scope))
		return !strcmp(e->fqdn, k->fqdn);
	return strcmp(k->scope, "*") && !strcmp(e->scope, "*") &&
	       an_hosts_overlap(k->fqdn, e->fqdn);
}

static bool seen_key(const struct host_set *hs, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (!strcmp(hs->v[j].scope, hs->v[i].scope) &&
		    !strcmp(hs->v[j].fqdn, hs->v[i].fqdn))
			return true;
	return false;
}

static void report(struct config *c, const struct host_set *hs,
		   const struct vs_host *k, struct object **done, size_t *n_done)
{
	char *names = "";
	size_t i, j, n = 0;

	for (i = 0; i < hs->n; i++) {
		if (!conflicts(k, &hs->v[i]))
			continue;
		names = arena_printf(&c->arena, "%s%s%s", names, n++ ? "," : "",
				     an_full_name(c, hs->v[i].vs));
	}
	if (n < 2)
		return;
	for (i = 0; i < hs->n; i++) {
		const struct vs_host *e = &hs->v[i];
		const struct vs_spec *v = obj_vs(e->vs);

		if (!conflicts(k, e))
			continue;
		for (j = 0; j < *n_done && done[j] != e->vs; j++)
			;
		if (j < *n_done)
			continue;
		done[(*n_done)++] = e->vs;
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
	struct object **done;
	size_t i, n_done = 0;

	collect(c, &hs);
	done = arena_alloc(&c->arena, (hs.n + 1) * sizeof(*done));
	for (i = 0; i < hs.n; i++)
		if (!seen_key(&hs, i))
			report(c, &hs, &hs.v[i], done, &n_done);
	free(hs.v);
}
