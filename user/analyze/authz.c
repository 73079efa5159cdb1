// SPDX-License-Identifier: Apache-2.0
/* Istio's authz.AuthorizationPoliciesAnalyzer: a policy whose selector
 * matches no workload (IST0127) protects nothing, and a source namespace
 * pattern that matches no Namespace (IST0101) never matches a peer. */
#include "common.h"

#include <string.h>
#include <strings.h>

static bool any_workload(const struct registry *r, const struct kvs *sel,
			 const char *ns)
{
	size_t i, n = r->n_wls;
	void *const *wls = ns ? registry_selector_candidates(r, ns, sel, &n) :
			   NULL;

	for (i = 0; i < n; i++) {
		const struct workload *w = wls ? wls[i] : &r->wls[i];

		/* ServiceEntry inline endpoints are not mesh workloads */
		if (w->obj->kind == K_SERVICE_ENTRY)
			continue;
		if (!sel || labels_match(sel, w->labels))
			return true;
	}
	return false;
}

static void no_workloads(struct config *c, struct object *o, const char *labels)
{
	const struct ap_spec *ap = obj_ap(o);

	diag_add(&c->diag, "IST0127", SEV_WARNING, o,
		 ap->selector.at ? ap->selector.at : an_meta_name(o),
		 ap->selector.at ? "spec.selector.matchLabels" : "metadata.namespace",
		 ap->selector.at ?
			 "fix spec.selector.matchLabels to match the labels of "
			 "the pods this policy should protect" :
			 "move the policy to the namespace of the workloads it "
			 "should protect",
		 "No matching workloads for this resource with the following "
		 "labels: %s", labels);
}

static void check_workloads(struct config *c, const struct registry *r,
			    struct object *o)
{
	const struct ap_spec *ap = obj_ap(o);
	const struct kvs *sel = ap->selector.at ? &ap->selector.match_labels : NULL;
	const char *s = an_selector_string(&c->arena, sel);

	if (!strcmp(o->ns, c->root_ns)) {
		/* mesh-wide: a selector may match a workload anywhere */
		if (sel && !any_workload(r, sel, NULL))
			no_workloads(c, o, s);
		return;
	}
	/* targetRefs bind to gateways/waypoints, not to pods */
	if (!sel && (ap->target_ref.at || ap->target_refs.n))
		return;
	if (!any_workload(r, sel, o->ns))
		no_workloads(c, o, s);
}

/* Istio's namespace patterns: "*", "prefix*", "*suffix" or exact. */
static bool ns_match(const char *ns, const char *exp)
{
	size_t n = strlen(ns), m = strlen(exp);

	if (!strcmp(exp, "*"))
		return true;
	if (m && exp[0] == '*')
		return n >= m - 1 && !strcmp(ns + n - (m - 1), exp + 1);
	if (m && exp[m - 1] == '*')
		return !strncmp(ns, exp, m - 1);
	return !strcasecmp(ns, exp);
}

static bool ns_exists(struct config *c, const char *exp)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->objs[i]->kind == K_NAMESPACE && c->objs[i]->meta.name &&
		    ns_match(c->objs[i]->meta.name, exp))
			return true;
	return false;
}

static void check_ns_list(struct config *c, struct object *o,
			  const struct strs *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (ns_exists(c, l->v[i]))
			continue;
		diag_add(&c->diag, "IST0101", SEV_ERROR, o, an_item(l, i),
			 arena_printf(&c->arena, "%s[%zu]", path, i),
			 "use the name of an existing namespace (or a pattern "
			 "matching one), or create the namespace",
			 "Referenced namespace not found: %s",
			 an_quote(&c->arena, l->v[i]));
	}
}

static void check_namespaces(struct config *c, struct object *o)
{
	const struct ap_spec *ap = obj_ap(o);
	size_t i, j;

	for (i = 0; i < ap->rules.n; i++) {
		for (j = 0; j < ap->rules.v[i].from.n; j++) {
			const struct ap_source *s = &ap->rules.v[i].from.v[j].source;
			const char *p = arena_printf(&c->arena,
				"spec.rules[%zu].from[%zu].source", i, j);

			check_ns_list(c, o, &s->namespaces,
				      arena_printf(&c->arena, "%s.namespaces", p));
			check_ns_list(c, o, &s->not_namespaces,
				      arena_printf(&c->arena, "%s.notNamespaces", p));
		}
	}
}

static bool have_kind(const struct config *c, enum kind k)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->objs[i]->kind == k)
			return true;
	return false;
}

void analyze_authz_policies(struct config *c)
{
	bool wl = an_workloads_known(c), nss = have_kind(c, K_NAMESPACE);
	struct registry r;

	registry_build_all(&r, c);
	for_each_any(c, o, K_AUTHORIZATION_POLICY) {
		if (wl)
			check_workloads(c, &r, o);
		if (nss)
			check_namespaces(c, o);
	}
}
