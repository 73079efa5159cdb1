// SPDX-License-Identifier: Apache-2.0
/* Schemas shared by several kinds, and the enum name tables (proto order:
 * the index is the proto enum number). */
#include "../kinds.h"

const char *const mtls_mode_names[] = { "UNSET", "DISABLE", "PERMISSIVE", "STRICT", NULL };
const char *const ap_action_names[] = { "ALLOW", "DENY", "AUDIT", "CUSTOM", NULL };
const char *const lb_simple_names[] = { "UNSPECIFIED", "LEAST_CONN", "RANDOM",
	"PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST", NULL };
const char *const tls_mode_names[] = { "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL", NULL };
const char *const h2_upgrade_names[] = { "DEFAULT", "DO_NOT_UPGRADE", "UPGRADE", NULL };
const char *const se_location_names[] = { "MESH_EXTERNAL", "MESH_INTERNAL", NULL };
const char *const se_resolution_names[] = { "NONE", "STATIC", "DNS",
	"DNS_ROUND_ROBIN", "DYNAMIC_DNS", NULL };
const char *const workload_mode_names[] = { "CLIENT_AND_SERVER", "CLIENT", "SERVER", NULL };
const char *const metric_names[] = { "ALL_METRICS", "REQUEST_COUNT",
	"REQUEST_DURATION", "REQUEST_SIZE", "RESPONSE_SIZE",
	"TCP_OPENED_CONNECTIONS", "TCP_CLOSED_CONNECTIONS", "TCP_SENT_BYTES",
	"TCP_RECEIVED_BYTES", "GRPC_REQUEST_MESSAGES", "GRPC_RESPONSE_MESSAGES", NULL };
const char *const tag_op_names[] = { "UPSERT", "REMOVE", NULL };
const char *const outbound_mode_names[] = { "REGISTRY_ONLY", "ALLOW_ANY",
	"ALLOW_ANY_DYNAMIC_DNS", NULL };
const char *const path_norm_names[] = { "DEFAULT", "NONE", "BASE",
	"MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES", NULL };

static const struct field f_meta[] = {
	FLD(struct meta, "name", F_STR, name),
	FLD(struct meta, "namespace", F_STR, namespace_),
	FLD(struct meta, "generateName", F_STR, generate_name),
	FLD(struct meta, "creationTimestamp", F_STR, creation_timestamp),
	FLD(struct meta, "labels", F_KVS, labels),
	FLD(struct meta, "annotations", F_KVS, annotations),
};
SCHEMA_OPEN(schema_meta, struct meta, f_meta);

static const struct field f_selector[] = {
	FLD(struct selector, "matchLabels", F_KVS, match_labels),
};
SCHEMA(schema_selector, struct selector, f_selector);

static const struct field f_target_ref[] = {
	FLD(struct target_ref, "group", F_STR, group),
	FLD(struct target_ref, "kind", F_STR, kind),
	FLD(struct target_ref, "name", F_STR, name),
	FLD(struct target_ref, "namespace", F_STR, namespace_),
};
SCHEMA(schema_target_ref, struct target_ref, f_target_ref);
