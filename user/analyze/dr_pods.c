// SPDX-License-Identifier: Apache-2.0
/* Istio's destinationrule.PodNotSelectedAnalyzer: a DestinationRule host
 * that is no service (IST0174) configures nothing, and a subset whose labels
 * select no endpoint (IST0173) leaves routes to it with no upstream: 503 UH. */
#include "common.h"

#include <string.h>

/* The workloads that may back <s>: the ones it selects, or, when it has no
 * way to select (a Service without selector, an SE resolving its hosts by
 * DNS), none we can know about. */
static bool can_select(const struct service *s)
{
	if (s->se)
		return s->selector || s->se->endpoints.n;
	return s->selector && s->selector->n;
}

static bool subset_selects(const struct registry *r, const struct service *s,
			   const struct subset *ss)
{
	size_t i;

	for (i = 0; i < s->endpoints.n; i++)
		if (registry_labels_match(&ss->labels, s->endpoints.v[i]))
			return true;
	return false;
}

static void check_subsets(struct config *c, const struct registry *r,
			  struct object *o, const struct service *s)
{
	const struct dr_spec *dr = obj_dr(o);
	size_t i;

	if (!can_select(s))
		return;
	for (i = 0; i < dr->subsets.n; i++) {
		const struct subset *ss = &dr->subsets.v[i];

		if (subset_selects(r, s, ss))
			continue;
		diag_add(&c->diag, "IST0173", SEV_ERROR, o,
			 ss->labels.at ? ss->labels.at : ss->at,
			 arena_printf(&c->arena, "spec.subsets[%zu].labels", i),
			 arena_printf(&c->arena, "change the labels of subset %s "
				      "to ones the pods of %s carry (%s selects "
				      "them by %s)", ss->name ? ss->name : "",
				      s->host, s->name,
				      an_selector_string(&c->arena, s->selector)),
			 "The Subset %s defined in the DestinationRule does not "
			 "select any pods. Which may lead to 503 UH "
			 "(NoHealthyUpstream).", ss->name ? ss->name : "");
	}
}

void analyze_dr_pods(struct config *c)
{
	bool wl = an_workloads_known(c), svcs = an_services_known(c);
	struct registry r;

	registry_build_all(&r, c);
	for_each_any(c, o, K_DESTINATION_RULE) {
		const struct dr_spec *dr = obj_dr(o);
		const char *host = dr->host ? dr->host : "";
		const struct service *s;
		const struct ynode *at = ynode_get(dr->at, "host");

		s = an_visible_service(c, &r, o->ns, &dr->export_to, host);
		if (!s && !svcs && an_k8s_host(host))
			continue;
		if (!s) {
			diag_add(&c->diag, "IST0174", SEV_WARNING, o,
				 at ? at : an_meta_name(o), "spec.host",
				 "set host to the name of an existing Service "
				 "or ServiceEntry host visible from this "
				 "namespace",
				 "The host %s defined in the DestinationRule does "
				 "not match any services in the mesh.", host);
			continue;
		}
		if (wl && dr->subsets.n)
			check_subsets(c, &r, o, s);
	}
}
