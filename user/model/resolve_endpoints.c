// SPDX-License-Identifier: Apache-2.0
/* Endpoints of each subset: the service's workloads whose labels carry all
 * of the subset's labels, with the locality istiod would give them. */
#include <string.h>

#include "model.h"

/* Istio's locality of a workload: WorkloadEntry/endpoint `locality`, else
 * the pod label istio-locality (dots for slashes), else its node's
 * topology labels. */
static const char *locality_of(struct arena *a, const struct workload *w)
{
	const char *l, *region, *zone, *sub;
	char *s, *p;

	if (w->locality && *w->locality)
		return w->locality;
	if (w->labels && (l = kvs_get(w->labels, "istio-locality")) && *l) {
		s = arena_strdup(a, l);
		for (p = s; *p; p++)
			if (*p == '.')
				*p = '/';
		return s;
	}
	if (!w->node_labels)
		return NULL;
	region = kvs_get(w->node_labels, "topology.kubernetes.io/region");
	zone = kvs_get(w->node_labels, "topology.kubernetes.io/zone");
	sub = kvs_get(w->node_labels, "topology.istio.io/subzone");
	if (!region)
		return NULL;
	return arena_printf(a, "%s/%s/%s", region, zone ? zone : "",
			    sub ? sub : "");
}

static bool in_subset(const struct subset_eff *e, const struct workload *w)
{
	static const struct kvs none;

	if (!e->subset)
		return true;
	return labels_match(&e->subset->labels, w->labels ? w->labels : &none);
}

static void fill_subset_eps(const struct registry *r, struct arena *a,
			    const struct service *svc, struct subset_eff *e)
{
	size_t i, n = 0;
	void *const *wls = svc->endpoints.v;

	for (i = 0; i < svc->endpoints.n; i++)
		n += in_subset(e, wls[i]);
	e->eps = arena_alloc(a, (n + 1) * sizeof(*e->eps));
	for (i = 0; i < svc->endpoints.n; i++) {
		const struct workload *w = wls[i];
		struct endpoint_eff *ep;

		if (!in_subset(e, w))
			continue;
		ep = &e->eps[e->n_eps++];
		ep->wl = w;
		ep->address = w->address;
		ep->locality = locality_of(a, w);
		ep->weight = w->weight ? w->weight : 1;
	}
}

void resolve_endpoints(const struct registry *r, struct arena *a,
		       struct model_service *s)
{
	size_t i;

	if (!s->svc)
		return;
	for (i = 0; i < s->n_subsets; i++)
		fill_subset_eps(r, a, s->svc, &s->subsets[i]);
}
