// SPDX-License-Identifier: Apache-2.0
/* networking.istio.io VirtualService */
#include "../kinds.h"

static const char *const derive_port_names[] = { "FROM_PROTOCOL_DEFAULT",
	"FROM_REQUEST_PORT", NULL };

static const struct field f_port_sel[] = {
	FLD(struct port_selector, "number", F_UINT, number),
};
SCHEMA(schema_port_selector, struct port_selector, f_port_sel);

static const struct field f_dest[] = {
	FLD(struct destination, "host", F_STR, host),
	FLD(struct destination, "subset", F_STR, subset),
	FSUB(struct destination, "port", F_OBJ, port, schema_port_selector),
};
SCHEMA(schema_destination, struct destination, f_dest);

static const struct field f_smatch[] = {
	FLD(struct string_match, "exact", F_STR, exact),
	FLD(struct string_match, "prefix", F_STR, prefix),
	FLD(struct string_match, "regex", F_STR, regex),
};
static SCHEMA(s_smatch, struct string_match, f_smatch);

static const struct field f_hops[] = {
	FLD(struct header_ops, "set", F_KVS, set),
	FLD(struct header_ops, "add", F_KVS, add),
	FLD(struct header_ops, "remove", F_STRS, remove),
};
static SCHEMA(s_hops, struct header_ops, f_hops);

static const struct field f_headers[] = {
	FSUB(struct headers, "request", F_OBJ, request, s_hops),
	FSUB(struct headers, "response", F_OBJ, response, s_hops),
};
static SCHEMA(s_headers, struct headers, f_headers);

static const struct field f_http_match[] = {
	FLD(struct http_match, "name", F_STR, name),
	FSUB(struct http_match, "uri", F_OBJ, uri, s_smatch),
	FSUB(struct http_match, "scheme", F_OBJ, scheme, s_smatch),
	FSUB(struct http_match, "method", F_OBJ, method, s_smatch),
	FSUB(struct http_match, "authority", F_OBJ, authority, s_smatch),
	FSUB(struct http_match, "headers", F_MAP, headers, s_smatch),
	FSUB(struct http_match, "withoutHeaders", F_MAP, without_headers, s_smatch),
	FSUB(struct http_match, "queryParams", F_MAP, query_params, s_smatch),
	FLD(struct http_match, "port", F_UINT, port),
	FLD(struct http_match, "sourceLabels", F_KVS, source_labels),
	FLD(struct http_match, "gateways", F_STRS, gateways),
	FLD(struct http_match, "ignoreUriCase", F_BOOL, ignore_uri_case),
	FLD(struct http_match, "sourceNamespace", F_STR, source_namespace),
	FLD(struct http_match, "statPrefix", F_STR, stat_prefix),
};
static SCHEMA(s_http_match, struct http_match, f_http_match);

static const struct field f_http_dest[] = {
	FSUB(struct http_route_dest, "destination", F_OBJ, destination, schema_destination),
	FLD(struct http_route_dest, "weight", F_INT, weight),
	FSUB(struct http_route_dest, "headers", F_OBJ, headers, s_headers),
};
static SCHEMA(s_http_dest, struct http_route_dest, f_http_dest);

static const struct field f_redirect[] = {
	FLD(struct http_redirect, "uri", F_STR, uri),
	FLD(struct http_redirect, "authority", F_STR, authority),
	FLD(struct http_redirect, "scheme", F_STR, scheme),
	FLD(struct http_redirect, "port", F_UINT, port),
	FENUM(struct http_redirect, "derivePort", derive_port, derive_port_names),
	FLD(struct http_redirect, "redirectCode", F_UINT, redirect_code),
};
static SCHEMA(s_redirect, struct http_redirect, f_redirect);

static const struct field f_body[] = {
	FLD(struct http_body, "string", F_STR, string),
	FLD(struct http_body, "bytes", F_STR, bytes),
};
static SCHEMA(s_body, struct http_body, f_body);

static const struct field f_direct[] = {
	FLD(struct http_direct_response, "status", F_UINT, status),
	FSUB(struct http_direct_response, "body", F_OBJ, body, s_body),
};
static SCHEMA(s_direct, struct http_direct_response, f_direct);

static const struct field f_delegate[] = {
	FLD(struct delegate, "name", F_STR, name),
	FLD(struct delegate, "namespace", F_STR, namespace_),
};
static SCHEMA(s_delegate, struct delegate, f_delegate);

static const struct field f_regex_rw[] = {
	FLD(struct regex_rewrite, "match", F_STR, match),
	FLD(struct regex_rewrite, "rewrite", F_STR, rewrite),
};
static SCHEMA(s_regex_rw, struct regex_rewrite, f_regex_rw);

static const struct field f_rewrite[] = {
	FLD(struct http_rewrite, "uri", F_STR, uri),
	FLD(struct http_rewrite, "authority", F_STR, authority),
	FSUB(struct http_rewrite, "uriRegexRewrite", F_OBJ, uri_regex_rewrite, s_regex_rw),
};
static SCHEMA(s_rewrite, struct http_rewrite, f_rewrite);

static const struct field f_retries[] = {
	FLD(struct retries, "attempts", F_INT, attempts),
	FLD(struct retries, "perTryTimeout", F_DUR, per_try_timeout),
	FLD(struct retries, "retryOn", F_STR, retry_on),
	FLD(struct retries, "retryRemoteLocalities", F_BOOL, retry_remote_localities),
	FLD(struct retries, "retryIgnorePreviousHosts", F_BOOL, retry_ignore_previous_hosts),
	FLD(struct retries, "backoff", F_DUR, backoff),
};
static SCHEMA(s_retries, struct retries, f_retries);

static const struct field f_percent[] = {
	FLD(struct percent, "value", F_DOUBLE, value),
};
SCHEMA(schema_percent, struct percent, f_percent);

static const struct field f_delay[] = {
	FLD(struct fault_delay, "fixedDelay", F_DUR, fixed_delay),
	FLD(struct fault_delay, "exponentialDelay", F_DUR, exponential_delay),
	FSUB(struct fault_delay, "percentage", F_OBJ, percentage, schema_percent),
	FLD(struct fault_delay, "percent", F_INT, percent),
};
static SCHEMA(s_delay, struct fault_delay, f_delay);

static const struct field f_abort[] = {
	FLD(struct fault_abort, "httpStatus", F_INT, http_status),
	FLD(struct fault_abort, "grpcStatus", F_STR, grpc_status),
	FLD(struct fault_abort, "http2Error", F_STR, http2_error),
	FSUB(struct fault_abort, "percentage", F_OBJ, percentage, schema_percent),
};
static SCHEMA(s_abort, struct fault_abort, f_abort);

static const struct field f_fault[] = {
	FSUB(struct fault, "delay", F_OBJ, delay, s_delay),
	FSUB(struct fault, "abort", F_OBJ, abort, s_abort),
};
static SCHEMA(s_fault, struct fault, f_fault);

static const struct field f_mirror[] = {
	FSUB(struct mirror_policy, "destination", F_OBJ, destination, schema_destination),
	FSUB(struct mirror_policy, "percentage", F_OBJ, percentage, schema_percent),
};
static SCHEMA(s_mirror, struct mirror_policy, f_mirror);

static const struct field f_http[] = {
	FLD(struct http_route, "name", F_STR, name),
	FSUB(struct http_route, "match", F_LIST, match, s_http_match),
	FSUB(struct http_route, "route", F_LIST, route, s_http_dest),
	FSUB(struct http_route, "redirect", F_OBJ, redirect, s_redirect),
	FSUB(struct http_route, "directResponse", F_OBJ, direct_response, s_direct),
	FSUB(struct http_route, "delegate", F_OBJ, delegate, s_delegate),
	FSUB(struct http_route, "rewrite", F_OBJ, rewrite, s_rewrite),
	FLD(struct http_route, "timeout", F_DUR, timeout),
	FSUB(struct http_route, "retries", F_OBJ, retries, s_retries),
	FSUB(struct http_route, "fault", F_OBJ, fault, s_fault),
	FSUB(struct http_route, "mirror", F_OBJ, mirror, schema_destination),
	FSUB(struct http_route, "mirrorPercentage", F_OBJ, mirror_percentage, schema_percent),
	FLD(struct http_route, "mirrorPercent", F_UINT, mirror_percent),
	FSUB(struct http_route, "mirrors", F_LIST, mirrors, s_mirror),
	FLD(struct http_route, "corsPolicy", F_ANY, cors_policy),
	FSUB(struct http_route, "headers", F_OBJ, headers, s_headers),
};
static SCHEMA(s_http, struct http_route, f_http);

static const struct field f_l4_match[] = {
	FLD(struct l4_match, "destinationSubnets", F_STRS, destination_subnets),
	FLD(struct l4_match, "sniHosts", F_STRS, sni_hosts),
	FLD(struct l4_match, "port", F_UINT, port),
	FLD(struct l4_match, "sourceLabels", F_KVS, source_labels),
	FLD(struct l4_match, "gateways", F_STRS, gateways),
	FLD(struct l4_match, "sourceNamespace", F_STR, source_namespace),
	FLD(struct l4_match, "sourceSubnet", F_STR, source_subnet),
};
static SCHEMA(s_l4_match, struct l4_match, f_l4_match);

static const struct field f_route_dest[] = {
	FSUB(struct route_dest, "destination", F_OBJ, destination, schema_destination),
	FLD(struct route_dest, "weight", F_INT, weight),
};
static SCHEMA(s_route_dest, struct route_dest, f_route_dest);

static const struct field f_l4_route[] = {
	FSUB(struct l4_route, "match", F_LIST, match, s_l4_match),
	FSUB(struct l4_route, "route", F_LIST, route, s_route_dest),
};
static SCHEMA(s_l4_route, struct l4_route, f_l4_route);

static const struct field f_vs[] = {
	FLD(struct vs_spec, "hosts", F_STRS, hosts),
	FLD(struct vs_spec, "gateways", F_STRS, gateways),
	FLD(struct vs_spec, "exportTo", F_STRS, export_to),
	FSUB(struct vs_spec, "http", F_LIST, http, s_http),
	FSUB(struct vs_spec, "tls", F_LIST, tls, s_l4_route),
	FSUB(struct vs_spec, "tcp", F_LIST, tcp, s_l4_route),
};
SCHEMA(schema_vs_spec, struct vs_spec, f_vs);
