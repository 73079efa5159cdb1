// SPDX-License-Identifier: Apache-2.0
/* networking.istio.io DestinationRule */
#include "../kinds.h"

extern const struct schema schema_port_selector;

static const char *const proxy_protocol_names[] = { "V1", "V2", NULL };

static const struct field f_lw[] = {
	{ "", F_UINT, offsetof(struct locality_weight, weight), NULL, NULL },
};
static SCHEMA(s_lw, struct locality_weight, f_lw);

static const struct field f_distribute[] = {
	FLD(struct locality_distribute, "from", F_STR, from),
	FSUB(struct locality_distribute, "to", F_MAP, to, s_lw),
};
static SCHEMA(s_distribute, struct locality_distribute, f_distribute);

static const struct field f_failover[] = {
	FLD(struct locality_failover, "from", F_STR, from),
	FLD(struct locality_failover, "to", F_STR, to),
};
static SCHEMA(s_failover, struct locality_failover, f_failover);

static const struct field f_locality[] = {
	FSUB(struct locality_lb, "distribute", F_LIST, distribute, s_distribute),
	FSUB(struct locality_lb, "failover", F_LIST, failover, s_failover),
	FLD(struct locality_lb, "failoverPriority", F_STRS, failover_priority),
	FLD(struct locality_lb, "enabled", F_BOOL, enabled),
};
static SCHEMA(s_locality, struct locality_lb, f_locality);

static const struct field f_cookie[] = {
	FLD(struct http_cookie, "name", F_STR, name),
	FLD(struct http_cookie, "path", F_STR, path),
	FLD(struct http_cookie, "ttl", F_DUR, ttl),
};
static SCHEMA(s_cookie, struct http_cookie, f_cookie);

static const struct field f_chash[] = {
	FLD(struct consistent_hash, "httpHeaderName", F_STR, http_header_name),
	FSUB(struct consistent_hash, "httpCookie", F_OBJ, http_cookie, s_cookie),
	FLD(struct consistent_hash, "useSourceIp", F_BOOL, use_source_ip),
	FLD(struct consistent_hash, "httpQueryParameterName", F_STR, http_query_parameter_name),
	FLD(struct consistent_hash, "ringHash", F_ANY, ring_hash),
	FLD(struct consistent_hash, "maglev", F_ANY, maglev),
	FLD(struct consistent_hash, "minimumRingSize", F_UINT, minimum_ring_size),
};
static SCHEMA(s_chash, struct consistent_hash, f_chash);

static const struct field f_warmup[] = {
	FLD(struct warmup, "duration", F_DUR, duration),
	FLD(struct warmup, "minimumPercent", F_DOUBLE, minimum_percent),
	FLD(struct warmup, "aggression", F_DOUBLE, aggression),
};
static SCHEMA(s_warmup, struct warmup, f_warmup);

static const struct field f_lb[] = {
	FENUM(struct load_balancer, "simple", simple, lb_simple_names),
	FSUB(struct load_balancer, "consistentHash", F_OBJ, consistent_hash, s_chash),
	FSUB(struct load_balancer, "localityLbSetting", F_OBJ, locality_lb_setting, s_locality),
	FLD(struct load_balancer, "warmupDurationSecs", F_DUR, warmup_duration_secs),
	FSUB(struct load_balancer, "warmup", F_OBJ, warmup, s_warmup),
};
static SCHEMA(s_lb, struct load_balancer, f_lb);

static const struct field f_keepalive[] = {
	FLD(struct tcp_keepalive, "probes", F_UINT, probes),
	FLD(struct tcp_keepalive, "time", F_DUR, time),
	FLD(struct tcp_keepalive, "interval", F_DUR, interval),
};
static SCHEMA(s_keepalive, struct tcp_keepalive, f_keepalive);

static const struct field f_tcp[] = {
	FLD(struct tcp_pool, "maxConnections", F_INT, max_connections),
	FLD(struct tcp_pool, "connectTimeout", F_DUR, connect_timeout),
	FSUB(struct tcp_pool, "tcpKeepalive", F_OBJ, tcp_keepalive, s_keepalive),
	FLD(struct tcp_pool, "maxConnectionDuration", F_DUR, max_connection_duration),
	FLD(struct tcp_pool, "idleTimeout", F_DUR, idle_timeout),
};
static SCHEMA(s_tcp, struct tcp_pool, f_tcp);

static const struct field f_http[] = {
	FLD(struct http_pool, "http1MaxPendingRequests", F_INT, http1_max_pending_requests),
	FLD(struct http_pool, "http2MaxRequests", F_INT, http2_max_requests),
	FLD(struct http_pool, "maxRequestsPerConnection", F_INT, max_requests_per_connection),
	FLD(struct http_pool, "maxRetries", F_INT, max_retries),
	FLD(struct http_pool, "idleTimeout", F_DUR, idle_timeout),
	FENUM(struct http_pool, "h2UpgradePolicy", h2_upgrade_policy, h2_upgrade_names),
	FLD(struct http_pool, "useClientProtocol", F_BOOL, use_client_protocol),
	FLD(struct http_pool, "maxConcurrentStreams", F_INT, max_concurrent_streams),
	FLD(struct http_pool, "http2KeepAlive", F_ANY, http2_keep_alive),
};
static SCHEMA(s_http, struct http_pool, f_http);

static const struct field f_pool[] = {
	FSUB(struct connection_pool, "tcp", F_OBJ, tcp, s_tcp),
	FSUB(struct connection_pool, "http", F_OBJ, http, s_http),
};
static SCHEMA(s_pool, struct connection_pool, f_pool);

static const struct field f_outlier[] = {
	FLD(struct outlier_detection, "splitExternalLocalOriginErrors", F_BOOL,
	    split_external_local_origin_errors),
	FLD(struct outlier_detection, "consecutiveLocalOriginFailures", F_UINT,
	    consecutive_local_origin_failures),
	FLD(struct outlier_detection, "consecutiveGatewayErrors", F_UINT,
	    consecutive_gateway_errors),
	FLD(struct outlier_detection, "consecutive5xxErrors", F_UINT, consecutive_5xx_errors),
	FLD(struct outlier_detection, "consecutiveErrors", F_INT, consecutive_errors),
	FLD(struct outlier_detection, "interval", F_DUR, interval),
	FLD(struct outlier_detection, "baseEjectionTime", F_DUR, base_ejection_time),
	FLD(struct outlier_detection, "maxEjectionPercent", F_INT, max_ejection_percent),
	FLD(struct outlier_detection, "minHealthPercent", F_INT, min_health_percent),
};
static SCHEMA(s_outlier, struct outlier_detection, f_outlier);

static const struct field f_tls[] = {
	FENUM(struct client_tls, "mode", mode, tls_mode_names),
	FLD(struct client_tls, "clientCertificate", F_STR, client_certificate),
	FLD(struct client_tls, "privateKey", F_STR, private_key),
	FLD(struct client_tls, "caCertificates", F_STR, ca_certificates),
	FLD(struct client_tls, "credentialName", F_STR, credential_name),
	FLD(struct client_tls, "subjectAltNames", F_STRS, subject_alt_names),
	FLD(struct client_tls, "sni", F_STR, sni),
	FLD(struct client_tls, "insecureSkipVerify", F_BOOL, insecure_skip_verify),
	FLD(struct client_tls, "caCrl", F_STR, ca_crl),
};
static SCHEMA(s_tls, struct client_tls, f_tls);

static const struct field f_port_tp[] = {
	FSUB(struct port_traffic_policy, "port", F_OBJ, port, schema_port_selector),
	FSUB(struct port_traffic_policy, "loadBalancer", F_OBJ, load_balancer, s_lb),
	FSUB(struct port_traffic_policy, "connectionPool", F_OBJ, connection_pool, s_pool),
	FSUB(struct port_traffic_policy, "outlierDetection", F_OBJ, outlier_detection, s_outlier),
	FSUB(struct port_traffic_policy, "tls", F_OBJ, tls, s_tls),
};
static SCHEMA(s_port_tp, struct port_traffic_policy, f_port_tp);

static const struct field f_tunnel[] = {
	FLD(struct tunnel, "protocol", F_STR, protocol),
	FLD(struct tunnel, "targetHost", F_STR, target_host),
	FLD(struct tunnel, "targetPort", F_UINT, target_port),
};
static SCHEMA(s_tunnel, struct tunnel, f_tunnel);

static const struct field f_pp[] = {
	FENUM(struct proxy_protocol, "version", version, proxy_protocol_names),
};
static SCHEMA(s_pp, struct proxy_protocol, f_pp);

static const struct field f_budget[] = {
	FLD(struct retry_budget, "percent", F_DOUBLE, percent),
	FLD(struct retry_budget, "minRetryConcurrency", F_UINT, min_retry_concurrency),
};
static SCHEMA(s_budget, struct retry_budget, f_budget);

static const struct field f_tp[] = {
	FSUB(struct traffic_policy, "loadBalancer", F_OBJ, load_balancer, s_lb),
	FSUB(struct traffic_policy, "connectionPool", F_OBJ, connection_pool, s_pool),
	FSUB(struct traffic_policy, "outlierDetection", F_OBJ, outlier_detection, s_outlier),
	FSUB(struct traffic_policy, "tls", F_OBJ, tls, s_tls),
	FSUB(struct traffic_policy, "portLevelSettings", F_LIST, port_level_settings, s_port_tp),
	FSUB(struct traffic_policy, "tunnel", F_OBJ, tunnel, s_tunnel),
	FSUB(struct traffic_policy, "proxyProtocol", F_OBJ, proxy_protocol, s_pp),
	FSUB(struct traffic_policy, "retryBudget", F_OBJ, retry_budget, s_budget),
};
static SCHEMA(s_tp, struct traffic_policy, f_tp);

static const struct field f_subset[] = {
	FLD(struct subset, "name", F_STR, name),
	FLD(struct subset, "labels", F_KVS, labels),
	FSUB(struct subset, "trafficPolicy", F_OBJ, traffic_policy, s_tp),
};
static SCHEMA(s_subset, struct subset, f_subset);

static const struct field f_dr[] = {
	FLD(struct dr_spec, "host", F_STR, host),
	FSUB(struct dr_spec, "trafficPolicy", F_OBJ, traffic_policy, s_tp),
	FSUB(struct dr_spec, "subsets", F_LIST, subsets, s_subset),
	FLD(struct dr_spec, "exportTo", F_STRS, export_to),
	FSUB(struct dr_spec, "workloadSelector", F_OBJ, workload_selector, schema_selector),
};
SCHEMA(schema_dr_spec, struct dr_spec, f_dr);
