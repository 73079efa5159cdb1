// SPDX-License-Identifier: Apache-2.0
/* Istio MeshConfig (mesh/v1alpha1/config.proto): the fields a dataplane
 * acts on are typed; the many others are accepted without a warning. */
#include "../kinds.h"

static const struct field f_zipkin[] = {
	FLD(struct mesh_zipkin, "service", F_STR, service),
	FLD(struct mesh_zipkin, "port", F_UINT, port),
	FLD(struct mesh_zipkin, "maxTagLength", F_UINT, max_tag_length),
};
static SCHEMA_OPEN(s_zipkin, struct mesh_zipkin, f_zipkin);

#define PROV(json, m) FLD(struct extension_provider, json, F_ANY, m)
static const struct field f_provider[] = {
	FLD(struct extension_provider, "name", F_STR, name),
	FSUB(struct extension_provider, "zipkin", F_OBJ, zipkin, s_zipkin),
	PROV("prometheus", prometheus),
	PROV("envoyFileAccessLog", envoy_file_access_log),
	PROV("lightstep", lightstep),
	PROV("opentelemetry", opentelemetry),
	PROV("envoyExtAuthzHttp", envoy_ext_authz_http),
	PROV("envoyExtAuthzGrpc", envoy_ext_authz_grpc),
	PROV("stackdriver", stackdriver),
	PROV("datadog", datadog),
	PROV("skywalking", skywalking),
	PROV("envoyOtelAls", envoy_otel_als),
};
static SCHEMA(s_provider, struct extension_provider, f_provider);

static const struct field f_proxy[] = {
	FLD(struct proxy_config, "holdApplicationUntilProxyStarts", F_BOOL,
	    hold_application_until_proxy_starts),
	FLD(struct proxy_config, "proxyMetadata", F_KVS, proxy_metadata),
	FLD(struct proxy_config, "tracing", F_ANY, tracing),
};
static SCHEMA_OPEN(s_proxy, struct proxy_config, f_proxy);

static const struct field f_defprov[] = {
	FLD(struct default_providers, "metrics", F_STRS, metrics),
	FLD(struct default_providers, "tracing", F_STRS, tracing),
	FLD(struct default_providers, "accessLogging", F_STRS, access_logging),
};
static SCHEMA(s_defprov, struct default_providers, f_defprov);

struct outbound_policy { const struct ynode *at; struct opt_enum mode; };
static const struct field f_outbound[] = {
	FENUM(struct outbound_policy, "mode", mode, outbound_mode_names),
};
static SCHEMA(s_outbound, struct outbound_policy, f_outbound);

struct path_normalization { const struct ynode *at; struct opt_enum normalization; };
static const struct field f_pathnorm[] = {
	FENUM(struct path_normalization, "normalization", normalization,
	      path_norm_names),
};
static SCHEMA(s_pathnorm, struct path_normalization, f_pathnorm);

static const struct field f_mesh[] = {
	FLD(struct mesh_config, "trustDomain", F_STR, trust_domain),
	FLD(struct mesh_config, "rootNamespace", F_STR, root_namespace),
	FLD(struct mesh_config, "accessLogFile", F_STR, access_log_file),
	FLD(struct mesh_config, "accessLogEncoding", F_STR, access_log_encoding),
	FSUB(struct mesh_config, "outboundTrafficPolicy", F_OBJ,
	     outbound_traffic_policy, s_outbound),
	FLD(struct mesh_config, "enableAutoMtls", F_BOOL, enable_auto_mtls),
	FSUB(struct mesh_config, "defaultConfig", F_OBJ, default_config, s_proxy),
	FSUB(struct mesh_config, "extensionProviders", F_LIST, extension_providers,
	     s_provider),
	FSUB(struct mesh_config, "defaultProviders", F_OBJ, default_providers, s_defprov),
	FLD(struct mesh_config, "connectTimeout", F_DUR, connect_timeout),
	FSUB(struct mesh_config, "pathNormalization", F_OBJ, path_normalization,
	     s_pathnorm),
};
SCHEMA_OPEN(schema_mesh_config, struct mesh_config, f_mesh);
