// SPDX-License-Identifier: Apache-2.0
/* Assembles the resolved model: one entry per workload and per namespace
 * (mTLS and authorization), one per service host (routes, subsets,
 * effective policies, endpoints). The rules themselves live in
 * resolve_*.c, one file per Istio resource. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Kubernetes writes creationTimestamp as RFC 3339 UTC with a fixed width
 * ("2024-05-01T10:00:00Z"), so text order is time order. */
bool model_older(const struct object *a, const struct object *b)
{
	const char *ta = a->meta.creation_timestamp;
	const char *tb = b->meta.creation_timestamp;
	int cmp;

	if (ta && tb && (cmp = strcmp(ta, tb)))
		return cmp < 0;
	/* an object without a timestamp is created when applied: last */
	if (ta && !tb)
		return true;
	if (!ta && tb)
		return false;
	return a->seq < b->seq;
}

/* ---- workloads and namespaces ---- */

static void build_workloads(struct model *m)
{
	size_t i;

	m->wls = arena_alloc(&m->arena, (m->reg.n_wls + 1) * sizeof(*m->wls));
	for (i = 0; i < m->reg.n_wls; i++) {
		const struct workload *w = &m->reg.wls[i];
		struct model_workload *mw = &m->wls[m->n_wls++];

		mw->wl = w;
		mw->identity = arena_printf(&m->arena, "spiffe://%s/ns/%s/sa/%s",
					    m->trust_domain, w->ns,
					    w->service_account);
		resolve_mtls(m->c, &m->arena, w->ns, w->labels, &mw->mtls);
		resolve_authz(m->c, &m->reg, &m->arena, w->ns, w->labels, w,
			      &mw->authz);
	}
}


static int cmp_ns(const void *a, const void *b)
{
	return strcmp(((const struct model_namespace *)a)->ns,
		      ((const struct model_namespace *)b)->ns);
}

static bool ns_scoped(enum kind k)
{
	return k != K_MESH_CONFIG && k != K_NODE && k != K_NAMESPACE &&
	       k != K_OTHER;
}

static void build_namespaces(struct model *m)
{
	const struct config *c = m->c;
	struct hmap seen;
	size_t i;

	hmap_init(&seen, &m->arena);
	m->nss = arena_alloc(&m->arena, (c->n + 1) * sizeof(*m->nss));
	for (i = 0; i < c->n; i++) {
		const struct object *o = c->objs[i];
		void **slot;

		if (o->invalid || !ns_scoped(o->kind) || !o->ns)
			continue;
		slot = hmap_slot(&seen, o->ns);
		if (*slot)
			continue;
		*slot = (void *)o;
		m->nss[m->n_nss++].ns = o->ns;
	}
	qsort(m->nss, m->n_nss, sizeof(*m->nss), cmp_ns);
	for (i = 0; i < m->n_nss; i++) {
		struct model_namespace *n = &m->nss[i];

		resolve_mtls(c, &m->arena, n->ns, NULL, &n->mtls);
		resolve_authz(c, &m->reg, &m->arena, n->ns, NULL, NULL,
			      &n->authz);
	}
}

/* ---- services ---- */

static struct model_service *add_host(struct model *m, size_t cap,
				      const char *host, const char *ns)
{
	struct model_service *s;

	if (!host || strchr(host, '*') || model_service(m, host) ||
	    m->n_svcs >= cap)
		return NULL;
	s = &m->svcs[m->n_svcs++];
	s->host = host;
	s->ns = ns;
	*hmap_slot(&m->svc_by_host, host) = s;
	return s;
}

static size_t count_named_hosts(const struct config *c)
{
	size_t n = 0;

	for_each_obj(c, o, K_VIRTUAL_SERVICE)
		n += obj_vs(o)->hosts.n;
	for_each_obj(c, o, K_DESTINATION_RULE)
		n++;
	return n;
}

/* Registry services first; hosts only a VS or DR names come after, so the
 * routes and policies a user wrote show even without their Service. */
static void collect_hosts(struct model *m)
{
	const struct config *c = m->c;
	size_t i, cap = m->reg.n_svcs + count_named_hosts(c);
	struct model_service *s;

	m->svcs = arena_alloc(&m->arena, (cap + 1) * sizeof(*m->svcs));
	hmap_init(&m->svc_by_host, &m->arena);
	for (i = 0; i < m->reg.n_svcs; i++)
		if ((s = add_host(m, cap, m->reg.svcs[i].host,
				  m->reg.svcs[i].ns)))
			s->svc = &m->reg.svcs[i];
	for_each_obj(c, o, K_VIRTUAL_SERVICE)
		for (i = 0; i < obj_vs(o)->hosts.n; i++)
			add_host(m, cap, registry_fqdn(&m->arena, &m->reg,
						       obj_vs(o)->hosts.v[i],
						       o->ns), o->ns);
	for_each_obj(c, o, K_DESTINATION_RULE)
		add_host(m, cap, registry_fqdn(&m->arena, &m->reg,
					       obj_dr(o)->host, o->ns), o->ns);
}

static void build_services(struct model *m)
{
	size_t i;

	collect_hosts(m);
	for (i = 0; i < m->n_svcs; i++) {
		struct model_service *s = &m->svcs[i];

		resolve_routes(m->c, &m->reg, &m->arena, s);
		resolve_policy(m->c, &m->reg, &m->arena, s);
		resolve_endpoints(&m->reg, &m->arena, s);
	}
}

int model_build(struct model *m, struct config *c)
{
	memset(m, 0, sizeof(*m));
	m->c = c;
	m->trust_domain = c->mesh.trust_domain ? c->mesh.trust_domain :
						 "cluster.local";
	m->root_ns = c->root_ns;
	registry_build(&m->reg, c);
	build_workloads(m);
	build_namespaces(m);
	build_services(m);
	return 0;
}

void model_free(struct model *m)
{
	arena_free(&m->arena);
	memset(m, 0, sizeof(*m));
}

const struct model_service *model_service(const struct model *m,
					  const char *host)
{
	return host ? hmap_get(&m->svc_by_host, host) : NULL;
}

const struct model_workload *model_workload(const struct model *m,
					    const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_wls; i++)
		if (m->wls[i].wl->name && !strcmp(m->wls[i].wl->name, name) &&
		    !strcmp(m->wls[i].wl->ns, ns))
			return &m->wls[i];
	return NULL;
}
