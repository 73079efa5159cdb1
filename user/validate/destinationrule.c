// SPDX-License-Identifier: Apache-2.0
/* DestinationRule: Istio's ValidateDestinationRule (host, subsets, exportTo,
 * workloadSelector). The traffic policies are checked in dr_policy.c. */
#include "networking.h"

#include <string.h>

static void subsets(const struct vctx *x, const struct dr_spec *dr)
{
	char p[VP_LEN];
	size_t i, j;

	for (i = 0; i < dr->subsets.n; i++) {
		const struct subset *s = &dr->subsets.v[i];
		const char *name = s->name ? s->name : "";

		vp(p, "spec.subsets[%zu]", i);
		for (j = 0; j < i; j++) {
			const char *o = dr->subsets.v[j].name;

			if (!strcmp(o ? o : "", name)) {
				v_error(x->c, x->o, vnode(s->at, "name"), p,
					"Give each subset its own name.",
					"duplicate subset names: %s", name);
				break;
			}
		}
		v_subset_name(x, name, vnode(s->at, "name"),
			      vp(p, "spec.subsets[%zu].name", i));
		v_labels(x, &s->labels, vp(p, "spec.subsets[%zu].labels", i));
		dr_traffic_policy(x, &s->traffic_policy,
				  vp(p, "spec.subsets[%zu].trafficPolicy", i));
	}
}

/* A DestinationRule with a workloadSelector applies only in its own
 * namespace, so exportTo may name nothing else. */
static void selector_export(const struct vctx *x, const struct dr_spec *dr)
{
	const char *ns = x->o->ns ? x->o->ns : "";
	bool own = false, other = false;
	size_t i;

	if (!dr->workload_selector.at)
		return;
	for (i = 0; i < dr->export_to.n; i++) {
		const char *e = dr->export_to.v[i] ? dr->export_to.v[i] : "";

		if (!strcmp(e, ".") || !strcmp(e, ns))
			own = true;
		else
			other = true;
	}
	if (other && own)
		v_error(x->c, x->o, dr->export_to.at, "spec.exportTo",
			"Export it to \".\" only.", "destination rule with "
			"workload selector cannot have multiple entries in "
			"exportTo");
	else if (other)
		v_error(x->c, x->o, dr->export_to.at, "spec.exportTo",
			"Export it to \".\" only.", "destination rule with "
			"workload selector cannot have exportTo beyond current "
			"namespace");
}

void validate_dr(struct config *c, struct object *o)
{
	const struct dr_spec *dr = obj_dr(o);
	const struct vctx x = { c, o };
	char why[512];
	const char *err;

	if (!dr)
		return;
	if ((err = v_wildcard_domain(dr->host ? dr->host : "", why, sizeof(why))))
		v_error(c, o, vnode(dr->at, "host"), "spec.host",
			"Set host to a service name or FQDN.", "%s", err);
	dr_traffic_policy(&x, &dr->traffic_policy, "spec.trafficPolicy");
	subsets(&x, dr);
	v_export_to(c, o, &dr->export_to, false, "spec.exportTo");
	selector_export(&x, dr);
	if (dr->workload_selector.at)
		v_workload_selector(c, o, &dr->workload_selector.match_labels,
				    dr->workload_selector.at,
				    "spec.workloadSelector");
}
