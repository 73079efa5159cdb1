// SPDX-License-Identifier: Apache-2.0
/* Telemetry: Istio's ValidateTelemetry. accessLogging filter expressions are
 * CEL; they are not compiled here (a bad one only fails in the proxy). */
#include <stdio.h>
#include <string.h>

#include "common.h"

/* validateTelemetryProviders: one error for the first empty name */
static void providers(struct config *c, struct object *o,
		      const struct provider_ref *v, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ynode_is_null(v[i].at) || !v[i].name || !*v[i].name) {
			v_error(c, o, v[i].at, path,
				"name a provider from meshConfig.extensionProviders",
				"providers.name may not be empty");
			return;
		}
}

static void tag_override(struct config *c, struct object *o,
			 const struct tag_override *t, const char *path)
{
	bool upsert = !t->operation.set || t->operation.v == TAG_UPSERT;
	bool has_value = t->value && *t->value;

	if (!*t->key)
		v_warn(c, o, t->at, path, "give the tag a name",
		       "tagOverrides.name may not be empty");
	if (upsert && !has_value)
		v_error(c, o, t->at, path,
			"set value to a CEL expression, e.g. request.host",
			"tagOverrides.value must be set when operation is UPSERT");
	else if (!upsert && has_value)
		v_error(c, o, t->at, path,
			"remove value, or use operation: UPSERT",
			"tagOverrides.value may only be set when operation is UPSERT");
}

static void overrides(struct config *c, struct object *o,
		      const struct metrics *m, const char *mpath)
{
	char path[128], tpath[192];
	size_t i, j;

	for (i = 0; i < m->overrides.n; i++) {
		const struct metrics_override *ov = &m->overrides.v[i];

		snprintf(path, sizeof(path), "%s.overrides[%zu]", mpath, i);
		if (ynode_is_null(ov->at)) {
			v_error(c, o, ov->at, path, "remove the null entry",
				"tagOverrides may not be null");
			continue;
		}
		for (j = 0; j < ov->tag_overrides.n; j++) {
			const struct tag_override *t = &ov->tag_overrides.v[j];

			snprintf(tpath, sizeof(tpath), "%s.tagOverrides[%.40s]",
				 path, t->key);
			tag_override(c, o, t, tpath);
		}
		if (ov->match.custom_metric && !*ov->match.custom_metric)
			v_error(c, o, ynode_get(ov->match.at, "customMetric"),
				path, "name the custom metric, or use metric: instead",
				"customMetric may not be empty");
	}
}

static void metrics(struct config *c, struct object *o,
		    const struct telemetry_spec *s)
{
	char path[64];
	size_t i;

	for (i = 0; i < s->metrics.n; i++) {
		snprintf(path, sizeof(path), "spec.metrics[%zu]", i);
		providers(c, o, s->metrics.v[i].providers.v,
			  s->metrics.v[i].providers.n, path);
		overrides(c, o, &s->metrics.v[i], path);
	}
}

static const char *tag_field(const struct ynode *tag, const char *type,
			     const char *field, bool *present)
{
	const struct ynode *t = ynode_get(tag, type);
	const struct ynode *f = ynode_get(t, field);

	*present = t != NULL;
	return f && f->type == Y_SCALAR ? f->str : "";
}

/* customTags: name -> {literal: {value}} | {header: {name}} |
 * {environment: {name}} */
static void custom_tags(struct config *c, struct object *o,
			const struct ynode *tags, const char *path)
{
	size_t i;
	bool is;

	if (!tags || tags->type != Y_MAP)
		return;
	for (i = 0; i < tags->n; i++) {
		const struct ypair *p = &tags->pairs[i];

		if (p->key->type == Y_SCALAR && !*p->key->str)
			v_error(c, o, p->key, path, "give the tag a name",
				"tag name may not be empty");
		if (ynode_is_null(p->val)) {
			v_error(c, o, p->key, path, "add literal, header or environment",
				"tag '%s' may not have a nil value",
				p->key->str ? p->key->str : "");
			continue;
		}
		if (!*tag_field(p->val, "literal", "value", &is) && is)
			v_error(c, o, p->val, path, "set literal.value",
				"literal tag value may not be empty");
		if (!*tag_field(p->val, "header", "name", &is) && is)
			v_error(c, o, p->val, path, "set header.name",
				"header tag name may not be empty");
		if (!*tag_field(p->val, "environment", "name", &is) && is)
			v_error(c, o, p->val, path, "set environment.name",
				"environment tag name may not be empty");
	}
}

static void tracing(struct config *c, struct object *o,
		    const struct telemetry_spec *s)
{
	char path[64];
	size_t i;

	if (s->tracing.n > 1)
		v_warn(c, o, s->tracing.v[1].at, "spec.tracing",
		       "merge the entries into one",
		       "multiple tracing is not currently supported");
	for (i = 0; i < s->tracing.n; i++) {
		const struct tracing *t = &s->tracing.v[i];

		snprintf(path, sizeof(path), "spec.tracing[%zu]", i);
		if (t->providers.n > 1)
			v_warn(c, o, t->providers.v[1].at, path,
			       "keep one provider", "multiple providers is not "
			       "currently supported");
		providers(c, o, t->providers.v, t->providers.n, path);
		if (t->random_sampling_percentage.set &&
		    (t->random_sampling_percentage.v < 0 ||
		     t->random_sampling_percentage.v > 100))
			v_error(c, o, ynode_get(t->at, "randomSamplingPercentage"),
				path, "use a percentage from 0 to 100",
				"randomSamplingPercentage must be in range [0.0, 100.0]");
		custom_tags(c, o, t->custom_tags, path);
	}
}

static void access_logging(struct config *c, struct object *o,
			   const struct telemetry_spec *s)
{
	char path[64];
	size_t i;

	for (i = 0; i < s->access_logging.n; i++) {
		snprintf(path, sizeof(path), "spec.accessLogging[%zu]", i);
		providers(c, o, s->access_logging.v[i].providers.v,
			  s->access_logging.v[i].providers.n, path);
	}
}

void validate_telemetry(struct config *c, struct object *o)
{
	const struct telemetry_spec *s = obj_tel(o);

	v_metadata(c, o);
	v_target_refs(c, o, &s->selector, &s->target_ref, s->target_refs.v,
		      s->target_refs.n);
	v_workload_selector(c, o, &s->selector.match_labels, s->selector.at,
			    "spec.selector");
	metrics(c, o, s);
	tracing(c, o, s);
	access_logging(c, o, s);
}
