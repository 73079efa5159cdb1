// SPDX-License-Identifier: Apache-2.0
/* Which DestinationRules shape a host, and the subsets they define
 * (semantics section 4, "Lookup and merging"). istiod merges the DRs of one
 * host within one namespace: subsets are concatenated (a repeated name is
 * dropped), the first top-level trafficPolicy wins. A client then uses the
 * DRs of its own namespace, else the service's, else the root namespace's;
 * the model takes the view of a client in the service's namespace and
 * lists the DRs of other namespaces separately. */
#include <string.h>

#include "model.h"
#include "objindex.h"

/* 2: DR names <host>; 1: through a wildcard (*len its length); 0: no. */
static int dr_host_match(struct arena *a, const struct registry *r,
			 const struct object *o, const char *host, size_t *len)
{
	const struct dr_spec *d = obj_dr(o);
	const char *h = d->host ? registry_fqdn(a, r, d->host, o->ns) : NULL;
	size_t hl, l = strlen(host);

	if (!h)
		return 0;
	if (!strcmp(h, host))
		return 2;
	hl = strlen(h);
	if (h[0] == '*' && l >= hl - 1 && !strcmp(host + l - (hl - 1), h + 1)) {
		*len = hl;
		return 1;
	}
	return 0;
}

/* A DR with a workloadSelector only applies to the clients it selects. */
static bool dr_for_all_clients(const struct object *o)
{
	return !obj_dr(o)->workload_selector.match_labels.n;
}

struct dr_pick {
	const char *ns;
	int match;    /* best match kind found in ns */
	size_t len;   /* best wildcard length */
};

static void pick_ns(const struct config *c, const struct registry *r,
		    struct arena *a, const struct model_service *s,
		    struct dr_pick *p)
{
	const char *order[2] = { s->ns, c->root_ns };
	const struct object *oldest = NULL, *o;
	struct obj_iter it;
	size_t k;

	memset(p, 0, sizeof(*p));
	for (k = 0; k < 2 && !p->ns; k++) {
		obj_iter_host(&it, c, K_DESTINATION_RULE, s->host);
		while ((o = obj_iter_next(&it))) {
			size_t len = 0;
			int m;

			if (o->invalid)
				continue;
			m = dr_host_match(a, r, o, s->host, &len);
			if (!m || !dr_for_all_clients(o) ||
			    strcmp(o->ns, order[k]))
				continue;
			p->ns = order[k];
			if (m > p->match ||
			    (m == 1 && p->match == 1 && len > p->len)) {
				p->match = m;
				p->len = len;
			}
		}
	}
	if (p->ns)
		return;
	/* only clients of another namespace see a DR: take the oldest's ns */
	obj_iter_host(&it, c, K_DESTINATION_RULE, s->host);
	while ((o = obj_iter_next(&it))) {
		size_t len = 0;

		if (!o->invalid && dr_host_match(a, r, o, s->host, &len) &&
		    dr_for_all_clients(o) && (!oldest || model_older(o, oldest)))
			oldest = o;
	}
	if (oldest) {
		p->ns = oldest->ns;
		p->match = dr_host_match(a, r, oldest, s->host, &p->len);
	}
}

static void push(struct arena *a, const struct object ***v, size_t *n,
		 const struct object *o)
{
	const struct object **nv = arena_alloc(a, (*n + 1) * sizeof(*nv));

	if (*n)
		memcpy(nv, *v, *n * sizeof(*nv));
	nv[(*n)++] = o;
	*v = nv;
}

/* Insertion by creation order keeps "first" meaning oldest. */
static void push_sorted(struct arena *a, const struct object ***v, size_t *n,
			const struct object *o)
{
	size_t i;

	push(a, v, n, o);
	for (i = *n - 1; i > 0 && model_older((*v)[i], (*v)[i - 1]); i--) {
		const struct object *t = (*v)[i];

		(*v)[i] = (*v)[i - 1];
		(*v)[i - 1] = t;
	}
}

static void collect_drs(const struct config *c, const struct registry *r,
			struct arena *a, struct model_service *s)
{
	struct dr_pick p;
	struct obj_iter it;
	const struct object *o;

	pick_ns(c, r, a, s, &p);
	/* a DR obj_iter_host leaves out has no match: it would be skipped */
	obj_iter_host(&it, c, K_DESTINATION_RULE, s->host);
	while ((o = obj_iter_next(&it))) {
		size_t len = 0;
		int m;

		if (o->invalid)
			continue;
		m = dr_host_match(a, r, o, s->host, &len);
		if (!m)
			continue;
		if (p.ns && !strcmp(o->ns, p.ns) && dr_for_all_clients(o) &&
		    m == p.match && (m == 2 || len == p.len))
			push_sorted(a, &s->drs, &s->n_drs, o);
		else
			push(a, &s->drs_other, &s->n_drs_other, o);
	}
}

static bool subset_named(const struct model_service *s, size_t n,
			 const char *name)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (s->subsets[i].name && name &&
		    !strcmp(s->subsets[i].name, name))
			return true;
	return false;
}

static void fill_subset(const struct config *c, struct arena *a,
			const struct model_service *s, struct subset_eff *e,
			const uint32_t *ports, size_t n_ports)
{
	const struct traffic_policy *top =
		s->tp_dr ? &obj_dr(s->tp_dr)->traffic_policy : NULL;
	const struct traffic_policy *sub =
		e->subset ? &e->subset->traffic_policy : NULL;
	size_t i;

	e->policies = arena_alloc(a, n_ports * sizeof(*e->policies));
	e->n_policies = n_ports;
	for (i = 0; i < n_ports; i++) {
		resolve_traffic_policy(c, s->tp_dr, top, e->dr, sub, ports[i],
				       &e->policies[i]);
		/* auto-mTLS never applies outside the mesh */
		if (s->svc && s->svc->external)
			e->policies[i].tls.auto_mtls = false;
	}
}

static size_t count_subsets(const struct model_service *s)
{
	size_t i, n = 1;

	for (i = 0; i < s->n_drs; i++)
		n += obj_dr(s->drs[i])->subsets.n;
	return n;
}

static void add_subsets(struct arena *a, struct model_service *s)
{
	size_t i, j;

	s->subsets = arena_alloc(a, count_subsets(s) * sizeof(*s->subsets));
	s->n_subsets = 1; /* [0]: the service as a whole */
	for (i = 0; i < s->n_drs; i++) {
		const struct dr_spec *d = obj_dr(s->drs[i]);

		if (!s->tp_dr && d->traffic_policy.at)
			s->tp_dr = s->drs[i];
		for (j = 0; j < d->subsets.n; j++) {
			const struct subset *sub = &d->subsets.v[j];
			struct subset_eff *e;

			if (subset_named(s, s->n_subsets, sub->name)) {
				const struct subset **v = arena_alloc(a,
					(s->n_subsets_dropped + 1) * sizeof(*v));

				if (s->n_subsets_dropped)
					memcpy(v, s->subsets_dropped,
					       s->n_subsets_dropped * sizeof(*v));
				v[s->n_subsets_dropped++] = sub;
				s->subsets_dropped = v;
				continue;
			}
			e = &s->subsets[s->n_subsets++];
			e->name = sub->name;
			e->subset = sub;
			e->dr = s->drs[i];
		}
	}
}

static void add_port(uint32_t *out, size_t *n, size_t cap, uint32_t port)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (out[i] == port)
			return;
	if (*n < cap)
		out[(*n)++] = port;
}

static void add_tp_ports(const struct traffic_policy *tp, uint32_t *out,
			 size_t *n, size_t cap)
{
	size_t i;

	for (i = 0; tp && i < tp->port_level_settings.n; i++)
		if (tp->port_level_settings.v[i].port.number.set)
			add_port(out, n, cap, (uint32_t)
				 tp->port_level_settings.v[i].port.number.v);
}

/* Ports a policy is worked out for: the service's ports, plus any port a
 * portLevelSettings names; port 0 ("any other port") when the service's
 * ports are not known. */
static size_t policy_ports(const struct model_service *s, uint32_t *out,
			   size_t cap)
{
	size_t i, n = 0;

	for (i = 0; s->svc && i < s->svc->n_ports; i++)
		add_port(out, &n, cap, s->svc->ports[i].port);
	if (!n)
		add_port(out, &n, cap, 0);
	if (s->tp_dr)
		add_tp_ports(&obj_dr(s->tp_dr)->traffic_policy, out, &n, cap);
	for (i = 1; i < s->n_subsets; i++)
		add_tp_ports(&s->subsets[i].subset->traffic_policy, out, &n,
			     cap);
	return n;
}

void resolve_policy(const struct config *c, const struct registry *r,
		    struct arena *a, struct model_service *s)
{
	size_t i, cap, n_ports;
	uint32_t *ports;

	collect_drs(c, r, a, s);
	add_subsets(a, s);
	cap = 1 + (s->svc ? s->svc->n_ports : 0);
	for (i = 0; i < s->n_drs; i++) {
		const struct dr_spec *d = obj_dr(s->drs[i]);
		size_t j;

		cap += d->traffic_policy.port_level_settings.n;
		for (j = 0; j < d->subsets.n; j++)
			cap += d->subsets.v[j].traffic_policy
				       .port_level_settings.n;
	}
	ports = arena_alloc(a, cap * sizeof(*ports));
	n_ports = policy_ports(s, ports, cap);
	for (i = 0; i < s->n_subsets; i++)
		fill_subset(c, a, s, &s->subsets[i], ports, n_ports);
}
