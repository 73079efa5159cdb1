/* SPDX-License-Identifier: Apache-2.0 */
/* Typed Istio and Kubernetes objects, field for field as in istio/api. The
 * schema tables in user/config/kinds/ map YAML onto these; every struct (and
 * every element of a LIST or map) starts with `at`, the node it came from,
 * which is NULL when the field was not written. Names follow the proto. */
#ifndef IM_TYPES_H
#define IM_TYPES_H

#include "schema.h"

/* ---- shared pieces ---- */

struct selector { const struct ynode *at; struct kvs match_labels; };
/* ServiceEntry/WorkloadEntry selector: {labels: {...}} */
struct wl_selector { const struct ynode *at; struct kvs labels; };
struct target_ref {
	const struct ynode *at;
	const char *group, *kind, *name, *namespace_;
};
struct port_selector { const struct ynode *at; struct opt_i64 number; };

/* StringMatch: exactly one of exact/prefix/regex; none = "present". */
struct string_match {
	const struct ynode *at;
	const char *key; /* set when the match is a map value (headers) */
	const char *exact, *prefix, *regex;
};

/* ---- security.istio.io: PeerAuthentication ---- */

enum mtls_mode { MTLS_UNSET, MTLS_DISABLE, MTLS_PERMISSIVE, MTLS_STRICT };
extern const char *const mtls_mode_names[];

struct mtls { const struct ynode *at; struct opt_enum mode; };
struct port_mtls { const struct ynode *at; const char *key; struct opt_enum mode; };

struct pa_spec {
	const struct ynode *at;
	struct selector selector;
	struct mtls mtls;
	LIST(struct port_mtls) port_level_mtls; /* key = port number text */
};

/* ---- security.istio.io: AuthorizationPolicy ---- */

enum ap_action { AP_ALLOW, AP_DENY, AP_AUDIT, AP_CUSTOM };
extern const char *const ap_action_names[];

struct ap_source {
	const struct ynode *at;
	struct strs principals, not_principals;
	struct strs request_principals, not_request_principals;
	struct strs namespaces, not_namespaces;
	struct strs service_accounts, not_service_accounts;
	struct strs ip_blocks, not_ip_blocks;
	struct strs remote_ip_blocks, not_remote_ip_blocks;
	struct strs trust_domains, not_trust_domains;
};
struct ap_operation {
	const struct ynode *at;
	struct strs hosts, not_hosts, ports, not_ports;
	struct strs methods, not_methods, paths, not_paths;
};
struct ap_from { const struct ynode *at; struct ap_source source; };
struct ap_to { const struct ynode *at; struct ap_operation operation; };
struct ap_condition {
	const struct ynode *at;
	const char *key;
	struct strs values, not_values;
};
struct ap_rule {
	const struct ynode *at;
	LIST(struct ap_from) from;
	LIST(struct ap_to) to;
	LIST(struct ap_condition) when;
};
struct ap_provider { const struct ynode *at; const char *name; };

struct ap_spec {
	const struct ynode *at;
	struct selector selector;
	struct target_ref target_ref;
	LIST(struct target_ref) target_refs;
	struct opt_enum action; /* unset = ALLOW */
	struct ap_provider provider;
	LIST(struct ap_rule) rules; /* rules.at == NULL: no rules at all */
};

/* RequestAuthentication: only what the analyzers need */
struct ra_spec {
	const struct ynode *at;
	struct selector selector;
	LIST(struct target_ref) target_refs;
	const struct ynode *jwt_rules;
};

/* ---- networking.istio.io: VirtualService ---- */

struct destination {
	const struct ynode *at;
	const char *host, *subset;
	struct port_selector port;
};
struct header_ops {
	const struct ynode *at;
	struct kvs set, add;
	struct strs remove;
};
struct headers { const struct ynode *at; struct header_ops request, response; };

struct http_match {
	const struct ynode *at;
	const char *name;
	struct string_match uri, scheme, method, authority;
	LIST(struct string_match) headers;         /* key = header name */
	LIST(struct string_match) without_headers;
	LIST(struct string_match) query_params;
	struct opt_i64 port;
	struct kvs source_labels;
	struct strs gateways;
	struct opt_bool ignore_uri_case;
	const char *source_namespace, *stat_prefix;
};
struct http_route_dest {
	const struct ynode *at;
	struct destination destination;
	struct opt_i64 weight;
	struct headers headers;
};
struct http_redirect {
	const struct ynode *at;
	const char *uri, *authority, *scheme;
	struct opt_i64 port, redirect_code;
	struct opt_enum derive_port;
};
struct http_body { const struct ynode *at; const char *string, *bytes; };
struct http_direct_response {
	const struct ynode *at;
	struct opt_i64 status;
	struct http_body body;
};
struct delegate { const struct ynode *at; const char *name, *namespace_; };
struct regex_rewrite { const struct ynode *at; const char *match, *rewrite; };
struct http_rewrite {
	const struct ynode *at;
	const char *uri, *authority;
	struct regex_rewrite uri_regex_rewrite;
};
struct retries {
	const struct ynode *at;
	struct opt_i64 attempts;
	struct opt_dur per_try_timeout, backoff;
	const char *retry_on;
	struct opt_bool retry_remote_localities, retry_ignore_previous_hosts;
};
struct percent { const struct ynode *at; struct opt_f64 value; };
struct fault_delay {
	const struct ynode *at;
	struct opt_dur fixed_delay, exponential_delay;
	struct percent percentage;
	struct opt_i64 percent; /* deprecated */
};
struct fault_abort {
	const struct ynode *at;
	struct opt_i64 http_status;
	const char *grpc_status, *http2_error;
	struct percent percentage;
};
struct fault { const struct ynode *at; struct fault_delay delay; struct fault_abort abort; };
struct mirror_policy {
	const struct ynode *at;
	struct destination destination;
	struct percent percentage;
};
struct cors_policy { const struct ynode *at; const struct ynode *raw; };

struct http_route {
	const struct ynode *at;
	const char *name;
	LIST(struct http_match) match;
	LIST(struct http_route_dest) route;
	struct http_redirect redirect;
	struct http_direct_response direct_response;
	struct delegate delegate;
	struct http_rewrite rewrite;
	struct opt_dur timeout;
	struct retries retries;
	struct fault fault;
	struct destination mirror;
	struct percent mirror_percentage;
	struct opt_i64 mirror_percent; /* deprecated */
	LIST(struct mirror_policy) mirrors;
	const struct ynode *cors_policy;
	struct headers headers;
};

struct l4_match { /* TCP and TLS route matches */
	const struct ynode *at;
	struct strs destination_subnets, sni_hosts;
	struct opt_i64 port;
	struct kvs source_labels;
	struct strs gateways;
	const char *source_namespace, *source_subnet;
};
struct route_dest {
	const struct ynode *at;
	struct destination destination;
	struct opt_i64 weight;
};
struct l4_route {
	const struct ynode *at;
	LIST(struct l4_match) match;
	LIST(struct route_dest) route;
};

struct vs_spec {
	const struct ynode *at;
	struct strs hosts, gateways, export_to;
	LIST(struct http_route) http;
	LIST(struct l4_route) tls;
	LIST(struct l4_route) tcp;
};

/* ---- networking.istio.io: DestinationRule ---- */

enum lb_simple {
	LB_UNSPECIFIED, LB_LEAST_CONN, LB_RANDOM, LB_PASSTHROUGH, LB_ROUND_ROBIN,
	LB_LEAST_REQUEST,
};
extern const char *const lb_simple_names[];
enum tls_mode { TLS_DISABLE, TLS_SIMPLE, TLS_MUTUAL, TLS_ISTIO_MUTUAL };
extern const char *const tls_mode_names[];
enum h2_upgrade { H2_DEFAULT, H2_DO_NOT_UPGRADE, H2_UPGRADE };
extern const char *const h2_upgrade_names[];

struct locality_weight { const struct ynode *at; const char *key; struct opt_i64 weight; };
struct locality_distribute {
	const struct ynode *at;
	const char *from;
	LIST(struct locality_weight) to;
};
struct locality_failover { const struct ynode *at; const char *from, *to; };
struct locality_lb {
	const struct ynode *at;
	LIST(struct locality_distribute) distribute;
	LIST(struct locality_failover) failover;
	struct strs failover_priority;
	struct opt_bool enabled;
};
struct http_cookie {
	const struct ynode *at;
	const char *name, *path;
	struct opt_dur ttl;
};
struct consistent_hash {
	const struct ynode *at;
	const char *http_header_name, *http_query_parameter_name;
	struct http_cookie http_cookie;
	struct opt_bool use_source_ip;
	const struct ynode *ring_hash, *maglev;
	struct opt_i64 minimum_ring_size;
};
struct warmup {
	const struct ynode *at;
	struct opt_dur duration;
	struct opt_f64 minimum_percent, aggression;
};
struct load_balancer {
	const struct ynode *at;
	struct opt_enum simple;
	struct consistent_hash consistent_hash;
	struct locality_lb locality_lb_setting;
	struct opt_dur warmup_duration_secs;
	struct warmup warmup;
};
struct tcp_keepalive {
	const struct ynode *at;
	struct opt_i64 probes;
	struct opt_dur time, interval;
};
struct tcp_pool {
	const struct ynode *at;
	struct opt_i64 max_connections;
	struct opt_dur connect_timeout, max_connection_duration, idle_timeout;
	struct tcp_keepalive tcp_keepalive;
};
struct http_pool {
	const struct ynode *at;
	struct opt_i64 http1_max_pending_requests, http2_max_requests;
	struct opt_i64 max_requests_per_connection, max_retries;
	struct opt_i64 max_concurrent_streams;
	struct opt_dur idle_timeout;
	const struct ynode *http2_keep_alive;
	struct opt_enum h2_upgrade_policy;
	struct opt_bool use_client_protocol;
};
struct connection_pool { const struct ynode *at; struct tcp_pool tcp; struct http_pool http; };
struct outlier_detection {
	const struct ynode *at;
	struct opt_bool split_external_local_origin_errors;
	struct opt_i64 consecutive_local_origin_failures;
	struct opt_i64 consecutive_gateway_errors, consecutive_5xx_errors;
	struct opt_i64 consecutive_errors; /* deprecated */
	struct opt_dur interval, base_ejection_time;
	struct opt_i64 max_ejection_percent, min_health_percent;
};
struct client_tls {
	const struct ynode *at;
	struct opt_enum mode;
	const char *client_certificate, *private_key, *ca_certificates;
	const char *credential_name, *sni, *ca_crl;
	struct strs subject_alt_names;
	struct opt_bool insecure_skip_verify;
};
struct port_traffic_policy {
	const struct ynode *at;
	struct port_selector port;
	struct load_balancer load_balancer;
	struct connection_pool connection_pool;
	struct outlier_detection outlier_detection;
	struct client_tls tls;
};
struct tunnel { const struct ynode *at; const char *protocol, *target_host; struct opt_i64 target_port; };
struct proxy_protocol { const struct ynode *at; struct opt_enum version; };
struct retry_budget { const struct ynode *at; struct opt_f64 percent; struct opt_i64 min_retry_concurrency; };
struct traffic_policy {
	const struct ynode *at;
	struct load_balancer load_balancer;
	struct connection_pool connection_pool;
	struct outlier_detection outlier_detection;
	struct client_tls tls;
	LIST(struct port_traffic_policy) port_level_settings;
	struct tunnel tunnel;
	struct proxy_protocol proxy_protocol;
	struct retry_budget retry_budget;
};
struct subset {
	const struct ynode *at;
	const char *name;
	struct kvs labels;
	struct traffic_policy traffic_policy;
};
struct dr_spec {
	const struct ynode *at;
	const char *host;
	struct traffic_policy traffic_policy;
	LIST(struct subset) subsets;
	struct strs export_to;
	struct selector workload_selector;
};

/* ---- networking.istio.io: ServiceEntry and WorkloadEntry ---- */

enum se_location { SE_MESH_EXTERNAL, SE_MESH_INTERNAL };
extern const char *const se_location_names[];
enum se_resolution { RES_NONE, RES_STATIC, RES_DNS, RES_DNS_ROUND_ROBIN, RES_DYNAMIC_DNS };
extern const char *const se_resolution_names[];

struct svc_port {
	const struct ynode *at;
	struct opt_i64 number, target_port;
	const char *protocol, *name;
};
struct port_number { const struct ynode *at; const char *key; struct opt_i64 number; };
struct we_spec {
	const struct ynode *at;
	const char *address, *network, *locality, *service_account;
	LIST(struct port_number) ports; /* key = port name */
	struct kvs labels;
	struct opt_i64 weight;
};
struct se_status_addr { const struct ynode *at; const char *host, *value; };
struct se_status { const struct ynode *at; LIST(struct se_status_addr) addresses; };
struct se_spec {
	const struct ynode *at;
	struct strs hosts, addresses, export_to, subject_alt_names;
	LIST(struct svc_port) ports;
	struct opt_enum location, resolution;
	LIST(struct we_spec) endpoints;
	struct wl_selector workload_selector;
};

/* ---- telemetry.istio.io: Telemetry ---- */

enum workload_mode { WM_CLIENT_AND_SERVER, WM_CLIENT, WM_SERVER };
extern const char *const workload_mode_names[];
enum metric_name {
	MET_ALL_METRICS, MET_REQUEST_COUNT, MET_REQUEST_DURATION, MET_REQUEST_SIZE,
	MET_RESPONSE_SIZE, MET_TCP_OPENED_CONNECTIONS, MET_TCP_CLOSED_CONNECTIONS,
	MET_TCP_SENT_BYTES, MET_TCP_RECEIVED_BYTES, MET_GRPC_REQUEST_MESSAGES,
	MET_GRPC_RESPONSE_MESSAGES,
};
extern const char *const metric_names[];
enum tag_op { TAG_UPSERT, TAG_REMOVE };
extern const char *const tag_op_names[];

struct provider_ref { const struct ynode *at; const char *name; };
struct mode_match { const struct ynode *at; struct opt_enum mode; };
struct metric_selector {
	const struct ynode *at;
	struct opt_enum metric, mode;
	const char *custom_metric;
};
struct tag_override { const struct ynode *at; const char *key; struct opt_enum operation; const char *value; };
struct metrics_override {
	const struct ynode *at;
	struct metric_selector match;
	struct opt_bool disabled;
	LIST(struct tag_override) tag_overrides;
};
struct metrics {
	const struct ynode *at;
	/* written as [] when providers.v != NULL && providers.n == 0 */
	LIST(struct provider_ref) providers;
	LIST(struct metrics_override) overrides;
	struct opt_dur reporting_interval;
};
struct tracing {
	const struct ynode *at;
	struct mode_match match;
	LIST(struct provider_ref) providers;
	const struct ynode *custom_tags;
	struct opt_f64 random_sampling_percentage;
	struct opt_bool disable_span_reporting, use_request_id_for_trace_sampling;
	struct opt_bool enable_istio_tags;
};
struct access_log_filter { const struct ynode *at; const char *expression; };
struct access_logging {
	const struct ynode *at;
	struct mode_match match;
	LIST(struct provider_ref) providers;
	struct opt_bool disabled;
	struct access_log_filter filter;
};
struct telemetry_spec {
	const struct ynode *at;
	struct selector selector;
	struct target_ref target_ref;
	LIST(struct target_ref) target_refs;
	LIST(struct tracing) tracing;
	LIST(struct metrics) metrics;
	LIST(struct access_logging) access_logging;
};

/* ---- Kubernetes core: Service, Pod, Namespace, Node ---- */

struct k8s_port {
	const struct ynode *at;
	const char *name, *protocol, *app_protocol, *target_port;
	struct opt_i64 port, node_port;
};
struct k8s_service_spec {
	const struct ynode *at;
	struct kvs selector;
	LIST(struct k8s_port) ports;
	const char *cluster_ip, *type, *external_name;
	struct strs cluster_ips;
};
struct pod_spec {
	const struct ynode *at;
	const char *service_account_name, *node_name;
};

/* ---- Istio MeshConfig (the parts a dataplane acts on) ---- */

enum outbound_mode { OUT_REGISTRY_ONLY, OUT_ALLOW_ANY, OUT_ALLOW_ANY_DYNAMIC_DNS };
extern const char *const outbound_mode_names[];
/* pathNormalization.normalization; DEFAULT behaves as BASE */
enum path_norm { PN_DEFAULT, PN_NONE, PN_BASE, PN_MERGE_SLASHES,
		 PN_DECODE_AND_MERGE_SLASHES };
extern const char *const path_norm_names[];

struct mesh_zipkin { const struct ynode *at; const char *service; struct opt_i64 port, max_tag_length; };
struct extension_provider {
	const struct ynode *at;
	const char *name;
	struct mesh_zipkin zipkin;
	const struct ynode *prometheus, *envoy_file_access_log, *lightstep;
	const struct ynode *opentelemetry, *envoy_ext_authz_http, *envoy_ext_authz_grpc;
	const struct ynode *stackdriver, *datadog, *skywalking, *envoy_otel_als;
};
struct proxy_config {
	const struct ynode *at;
	struct opt_bool hold_application_until_proxy_starts;
	struct kvs proxy_metadata;
	const struct ynode *tracing;
};
struct default_providers {
	const struct ynode *at;
	struct strs metrics, tracing, access_logging;
};
struct mesh_config {
	const struct ynode *at;
	const char *trust_domain, *root_namespace, *access_log_file;
	const char *access_log_encoding;
	struct { const struct ynode *at; struct opt_enum mode; } outbound_traffic_policy;
	struct opt_bool enable_auto_mtls;
	struct proxy_config default_config;
	LIST(struct extension_provider) extension_providers;
	struct default_providers default_providers;
	struct opt_dur connect_timeout;
	struct { const struct ynode *at; struct opt_enum normalization; }
		path_normalization;
};

#endif
