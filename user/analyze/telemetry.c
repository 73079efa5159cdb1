// SPDX-License-Identifier: Apache-2.0
/* Istio's telemetry analyzers: ProviderAnalyzer (IST0157), SelectorAnalyzer
 * (IST0101, IST0159), DefaultSelectorAnalyzer (IST0160) and
 * LightstepAnalyzer (IST0002). Telemetry resolves to one resource per
 * workload; ties or empty provider lists make the result undefined or void. */
#include "common.h"
#include "../model/objindex.h"

#include <string.h>

void analyze_telemetry_providers(struct config *c)
{
	/* with a default access-log provider, [] means "the default" */
	if (c->mesh.default_providers.access_logging.n)
		return;
	for_each_any(c, o, K_TELEMETRY) {
		const struct telemetry_spec *t = obj_tel(o);
		size_t i;

		for (i = 0; i < t->access_logging.n; i++) {
			const struct access_logging *l = &t->access_logging.v[i];

			if ((l->disabled.set && l->disabled.v) || l->providers.n)
				continue;
			diag_add(&c->diag, "IST0157", SEV_WARNING, o, l->at,
				 arena_printf(&c->arena,
					      "spec.accessLogging[%zu].providers", i),
				 "name a provider (e.g. providers: [{name: "
				 "envoy}]), set disabled: true, or configure "
				 "meshConfig.defaultProviders.accessLogging",
				 "The Telemetry %s in namespace %s with empty "
				 "providers will be ignored.", o->meta.name,
				 an_quote(&c->arena, o->ns));
		}
	}
}

static bool has_selector(const struct telemetry_spec *t)
{
	return t->selector.at && t->selector.match_labels.n;
}

static bool selects(const struct object *tel, const struct workload *w)
{
	return w->obj->kind != K_SERVICE_ENTRY && !strcmp(w->ns, tel->ns) &&
	       labels_match(&obj_tel(tel)->selector.match_labels, w->labels);
}

static void not_found(struct config *c, struct object *o)
{
	const struct telemetry_spec *t = obj_tel(o);

	diag_add(&c->diag, "IST0101", SEV_ERROR, o, t->selector.match_labels.at,
		 "spec.selector.matchLabels",
		 arena_printf(&c->arena, "fix the labels to match pods in "
			      "namespace %s, or move the Telemetry to the "
			      "namespace of the pods", o->ns),
		 "Referenced selector not found: %s",
		 an_quote(&c->arena, an_selector_string(&c->arena,
						&t->selector.match_labels)));
}

/* A Telemetry with a selector (a workload only meets those of its own
 * namespace, see selects()). */
static bool selector_tel(const struct object *o)
{
	return o->spec && has_selector(obj_tel(o));
}

/* IST0159 for each Telemetry selecting <w> when more than one does; <v>
 * has room for a name per Telemetry. */
static void conflicts(struct config *c, const struct workload *w,
		      const char **v)
{
	size_t i, n = 0, n_tel;
	void *const *tel = config_ns_objects(c, K_TELEMETRY, w->ns, &n_tel);
	const char *names;

	for (i = 0; i < n_tel; i++) {
		const struct object *o = tel[i];

		if (selector_tel(o) && selects(o, w))
			v[n++] = o->meta.name ? o->meta.name : "";
	}
	if (n < 2)
		return;
	names = an_join_sorted(&c->arena, v, n, " ", false);
	for (i = 0; i < n_tel; i++) {
		struct object *o = tel[i];

		if (!selector_tel(o) || !selects(o, w))
			continue;
		diag_add(&c->diag, "IST0159", SEV_ERROR, o,
			 obj_tel(o)->selector.match_labels.at,
			 "spec.selector.matchLabels",
			 "make the selectors disjoint, or merge these "
			 "Telemetries into one",
			 "The Telemetries [%s] in namespace %s select the same "
			 "workload pod %s, which can lead to undefined behavior.",
			 names, an_quote(&c->arena, w->ns),
			 an_quote(&c->arena, w->name));
	}
}

static bool selects_any(const struct registry *r, const struct object *tel)
{
	size_t i, n;
	void *const *wls = registry_selector_candidates(r, tel->ns,
			&obj_tel(tel)->selector.match_labels, &n);

	for (i = 0; i < n; i++)
		if (selects(tel, wls[i]))
			return true;
	return false;
}

void analyze_telemetry_selectors(struct config *c)
{
	struct registry r;
	const char **v;
	size_t i, n_tel = 0;

	if (!an_workloads_known(c))
		return;
	registry_build_all(&r, c);
	for_each_any(c, o, K_TELEMETRY) {
		n_tel++;
		if (has_selector(obj_tel(o)) && !selects_any(&r, o))
			not_found(c, o);
	}
	v = arena_alloc(&c->arena, (n_tel + 1) * sizeof(*v));
	for (i = 0; i < r.n_wls; i++)
		conflicts(c, &r.wls[i], v);
}

static bool namespace_wide(const struct telemetry_spec *t)
{
	return !t->selector.at && !t->target_ref.at && !t->target_refs.n;
}

void analyze_telemetry_default_selectors(struct config *c)
{
	const char **v = arena_alloc(&c->arena, (c->n + 1) * sizeof(*v));

	for_each_any(c, o, K_TELEMETRY) {
		const char *names;
		size_t n = 0;

		if (!namespace_wide(obj_tel(o)))
			continue;
		for_each_any(c, p, K_TELEMETRY)
			if (namespace_wide(obj_tel(p)) && !strcmp(p->ns, o->ns))
				v[n++] = p->meta.name ? p->meta.name : "";
		if (n < 2)
			continue;
		names = an_join_sorted(&c->arena, v, n, " ", false);
		diag_add(&c->diag, "IST0160", SEV_ERROR, o, an_meta_name(o),
			 "spec.selector",
			 "keep one selector-less Telemetry per namespace: merge "
			 "them, or give the others a selector",
			 "The Telemetries [%s] in namespace %s have no workload "
			 "selector, which can lead to undefined behavior.",
			 names, an_quote(&c->arena, o->ns));
	}
}

static bool lightstep_provider(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; name && i < c->mesh.extension_providers.n; i++) {
		const struct extension_provider *p =
			&c->mesh.extension_providers.v[i];

		if (p->lightstep && p->name && !strcmp(p->name, name))
			return true;
	}
	return false;
}

void analyze_telemetry_lightstep(struct config *c)
{
	for_each_any(c, o, K_TELEMETRY) {
		const struct telemetry_spec *t = obj_tel(o);
		size_t i, j;

		for (i = 0; i < t->tracing.n; i++) {
			for (j = 0; j < t->tracing.v[i].providers.n; j++) {
				const struct provider_ref *p =
					&t->tracing.v[i].providers.v[j];

				if (!lightstep_provider(c, p->name))
					continue;
				diag_add(&c->diag, "IST0002", SEV_WARNING, o, p->at,
					 arena_printf(&c->arena, "spec.tracing[%zu]"
						      ".providers[%zu]", i, j),
					 "define an opentelemetry extension "
					 "provider in meshConfig and reference it "
					 "here instead",
					 "Deprecated: The Lightstep provider %s "
					 "is deprecated, please migrate to the "
					 "OpenTelemetry provider.",
					 an_quote(&c->arena, p->name));
			}
		}
	}
}
