// SPDX-License-Identifier: Apache-2.0
/* telemetry.istio.io Telemetry */
#include "../kinds.h"

static const struct field f_pref[] = {
	FLD(struct provider_ref, "name", F_STR, name),
};
static SCHEMA(s_pref, struct provider_ref, f_pref);

static const struct field f_mode_match[] = {
	FENUM(struct mode_match, "mode", mode, workload_mode_names),
};
static SCHEMA(s_mode_match, struct mode_match, f_mode_match);

static const struct field f_msel[] = {
	FENUM(struct metric_selector, "metric", metric, metric_names),
	FLD(struct metric_selector, "customMetric", F_STR, custom_metric),
	FENUM(struct metric_selector, "mode", mode, workload_mode_names),
};
static SCHEMA(s_msel, struct metric_selector, f_msel);

static const struct field f_tag[] = {
	FENUM(struct tag_override, "operation", operation, tag_op_names),
	FLD(struct tag_override, "value", F_STR, value),
};
static SCHEMA(s_tag, struct tag_override, f_tag);

static const struct field f_override[] = {
	FSUB(struct metrics_override, "match", F_OBJ, match, s_msel),
	FLD(struct metrics_override, "disabled", F_BOOL, disabled),
	FSUB(struct metrics_override, "tagOverrides", F_MAP, tag_overrides, s_tag),
};
static SCHEMA(s_override, struct metrics_override, f_override);

static const struct field f_metrics[] = {
	FSUB(struct metrics, "providers", F_LIST, providers, s_pref),
	FSUB(struct metrics, "overrides", F_LIST, overrides, s_override),
	FLD(struct metrics, "reportingInterval", F_DUR, reporting_interval),
};
static SCHEMA(s_metrics, struct metrics, f_metrics);

static const struct field f_tracing[] = {
	FSUB(struct tracing, "match", F_OBJ, match, s_mode_match),
	FSUB(struct tracing, "providers", F_LIST, providers, s_pref),
	FLD(struct tracing, "customTags", F_ANY, custom_tags),
	FLD(struct tracing, "randomSamplingPercentage", F_DOUBLE, random_sampling_percentage),
	FLD(struct tracing, "disableSpanReporting", F_BOOL, disable_span_reporting),
	FLD(struct tracing, "useRequestIdForTraceSampling", F_BOOL,
	    use_request_id_for_trace_sampling),
	FLD(struct tracing, "enableIstioTags", F_BOOL, enable_istio_tags),
};
static SCHEMA(s_tracing, struct tracing, f_tracing);

static const struct field f_filter[] = {
	FLD(struct access_log_filter, "expression", F_STR, expression),
};
static SCHEMA(s_filter, struct access_log_filter, f_filter);

static const struct field f_logging[] = {
	FSUB(struct access_logging, "match", F_OBJ, match, s_mode_match),
	FSUB(struct access_logging, "providers", F_LIST, providers, s_pref),
	FLD(struct access_logging, "disabled", F_BOOL, disabled),
	FSUB(struct access_logging, "filter", F_OBJ, filter, s_filter),
};
static SCHEMA(s_logging, struct access_logging, f_logging);

static const struct field f_tel[] = {
	FSUB(struct telemetry_spec, "selector", F_OBJ, selector, schema_selector),
	FSUB(struct telemetry_spec, "targetRef", F_OBJ, target_ref, schema_target_ref),
	FSUB(struct telemetry_spec, "targetRefs", F_LIST, target_refs, schema_target_ref),
	FSUB(struct telemetry_spec, "tracing", F_LIST, tracing, s_tracing),
	FSUB(struct telemetry_spec, "metrics", F_LIST, metrics, s_metrics),
	FSUB(struct telemetry_spec, "accessLogging", F_LIST, access_logging, s_logging),
};
SCHEMA(schema_telemetry_spec, struct telemetry_spec, f_tel);
