// SPDX-License-Identifier: Apache-2.0
/* Mesh-wide and telemetry pitfalls (IM1080..IM1099): metric labels that
 * read "unknown", sampling and providers that silently fall back, and
 * applications that start before the mesh is ready for them. */
#include <stdio.h>
#include <string.h>

#include "../config/mesh.h"
#include "pitfalls.h"

/* Providers Istio's default MeshConfig defines. */
static bool builtin_provider(const char *name)
{
	return !strcmp(name, "prometheus") || !strcmp(name, "envoy") ||
	       !strcmp(name, "stackdriver");
}

static void check_provider(struct pit *p, const struct object *o,
			   const struct provider_ref *pr, const char *path)
{
	bool given = p->c->mesh.at != NULL;

	if (!pr->name || builtin_provider(pr->name) ||
	    mesh_provider(p->c, pr->name))
		return;
	diag_add(&p->c->diag, "IM1082", given ? SEV_WARNING : SEV_INFO, o,
		 pit_at(pr->at, "name"), path,
		 arena_printf(&p->c->arena, "define extensionProviders: [{name: "
			      "%s, ...}] in the MeshConfig%s", pr->name,
			      given ? "" : " (and pass it with --mesh-config)"),
		 "provider \"%s\" is not among the MeshConfig's "
		 "extensionProviders%s: Istio skips it, so this telemetry is "
		 "silently not produced", pr->name, given ? "" :
		 " (no MeshConfig was given; Istio's default defines only "
		 "prometheus, envoy and stackdriver)");
}

static void check_tag(struct pit *p, const struct object *o,
		      const struct tag_override *t, const char *path)
{
	if (!t->value || !strstr(t->value, "request.headers[") ||
	    strstr(t->value, "has("))
		return;
	diag_add(&p->c->diag, "IM1080", SEV_INFO, o, pit_at(t->at, "value"),
		 path, arena_printf(&p->c->arena, "write \"has(%s) ? %s : "
				    "'none'\", or make sure every caller sends "
				    "the header", t->value, t->value),
		 "label %s reads a request header that callers may not send; "
		 "when it is absent the expression fails and the label is "
		 "\"unknown\", mixing those requests together", t->key);
}

static void check_metrics(struct pit *p, const struct object *o,
			  const struct metrics *m, size_t i)
{
	char path[96];
	size_t j, k;

	for (j = 0; j < m->providers.n; j++) {
		snprintf(path, sizeof(path), "spec.metrics[%zu].providers[%zu]", i, j);
		check_provider(p, o, &m->providers.v[j], path);
	}
	for (j = 0; j < m->overrides.n; j++)
		for (k = 0; k < m->overrides.v[j].tag_overrides.n; k++) {
			const struct tag_override *t =
				&m->overrides.v[j].tag_overrides.v[k];

			snprintf(path, sizeof(path), "spec.metrics[%zu].overrides"
				 "[%zu].tagOverrides.%s", i, j, t->key);
			check_tag(p, o, t, path);
		}
}

static void check_tracing(struct pit *p, const struct object *o,
			  const struct tracing *t, size_t i)
{
	const struct ynode *mesh_tr = p->c->mesh.default_config.tracing;
	char path[96];
	size_t j;

	for (j = 0; j < t->providers.n; j++) {
		snprintf(path, sizeof(path), "spec.tracing[%zu].providers[%zu]", i, j);
		check_provider(p, o, &t->providers.v[j], path);
	}
	if (t->random_sampling_percentage.set || ynode_get(mesh_tr, "sampling") ||
	    (t->disable_span_reporting.set && t->disable_span_reporting.v))
		return;
	snprintf(path, sizeof(path), "spec.tracing[%zu]", i);
	diag_add(&p->c->diag, "IM1081", SEV_INFO, o, t->at, path,
		 "set randomSamplingPercentage to the share you want traced",
		 "randomSamplingPercentage is not set and the MeshConfig sets "
		 "no sampling: Istio then samples 1%% of requests, not all");
}

static void check_telemetry(struct pit *p, const struct object *o)
{
	const struct telemetry_spec *t = obj_tel(o);
	char path[96];
	size_t i, j;

	for (i = 0; i < t->metrics.n; i++)
		check_metrics(p, o, &t->metrics.v[i], i);
	for (i = 0; i < t->tracing.n; i++)
		check_tracing(p, o, &t->tracing.v[i], i);
	for (i = 0; i < t->access_logging.n; i++)
		for (j = 0; j < t->access_logging.v[i].providers.n; j++) {
			snprintf(path, sizeof(path), "spec.accessLogging[%zu]"
				 ".providers[%zu]", i, j);
			check_provider(p, o, &t->access_logging.v[i].providers.v[j],
				       path);
		}
}

static void check_hold(struct pit *p)
{
	const struct mesh_config *m = &p->c->mesh;
	const struct opt_bool *h = &m->default_config.hold_application_until_proxy_starts;

	if (h->set && h->v)
		return;
	if (!m->at) {
		diag_add(&p->c->diag, "IM1090", SEV_INFO, NULL, NULL, NULL,
			 "give the MeshConfig with --mesh-config (or the istio "
			 "ConfigMap), with defaultConfig.holdApplicationUntil"
			 "ProxyStarts: true",
			 "no MeshConfig was given, so holdApplicationUntilProxy"
			 "Starts is assumed to be Istio's default, false: "
			 "applications may start before the mesh can carry "
			 "their connections, and their first calls fail");
		return;
	}
	diag_add(&p->c->diag, "IM1090", SEV_WARNING, p->c->mesh_obj,
		 m->default_config.at ? pit_at(m->default_config.at,
			"holdApplicationUntilProxyStarts") : m->at,
		 "defaultConfig.holdApplicationUntilProxyStarts",
		 "set defaultConfig.holdApplicationUntilProxyStarts: true",
		 "holdApplicationUntilProxyStarts is %s: applications may start "
		 "before the mesh can carry their connections, and their first "
		 "calls fail", h->set ? "false" : "not set (Istio's default "
		 "is false)");
}

void pit_mesh(struct pit *p)
{
	for_each_obj(p->c, o, K_TELEMETRY)
		check_telemetry(p, o);
	check_hold(p);
}
