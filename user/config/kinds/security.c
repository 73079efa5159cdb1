// SPDX-License-Identifier: Apache-2.0
/* security.istio.io: PeerAuthentication, AuthorizationPolicy,
 * RequestAuthentication. */
#include "../kinds.h"

/* PeerAuthentication */
static const struct field f_mtls[] = {
	FENUM(struct mtls, "mode", mode, mtls_mode_names),
};
static SCHEMA(s_mtls, struct mtls, f_mtls);

static const struct field f_port_mtls[] = {
	FENUM(struct port_mtls, "mode", mode, mtls_mode_names),
};
static SCHEMA(s_port_mtls, struct port_mtls, f_port_mtls);

static const struct field f_pa[] = {
	FSUB(struct pa_spec, "selector", F_OBJ, selector, schema_selector),
	FSUB(struct pa_spec, "mtls", F_OBJ, mtls, s_mtls),
	FSUB(struct pa_spec, "portLevelMtls", F_MAP, port_level_mtls, s_port_mtls),
};
SCHEMA(schema_pa_spec, struct pa_spec, f_pa);

/* AuthorizationPolicy */
#define SRC(json, m) FLD(struct ap_source, json, F_STRS, m)
static const struct field f_source[] = {
	SRC("principals", principals), SRC("notPrincipals", not_principals),
	SRC("requestPrincipals", request_principals),
	SRC("notRequestPrincipals", not_request_principals),
	SRC("namespaces", namespaces), SRC("notNamespaces", not_namespaces),
	SRC("serviceAccounts", service_accounts),
	SRC("notServiceAccounts", not_service_accounts),
	SRC("ipBlocks", ip_blocks), SRC("notIpBlocks", not_ip_blocks),
	SRC("trustDomains", trust_domains), SRC("notTrustDomains", not_trust_domains),
	SRC("remoteIpBlocks", remote_ip_blocks),
	SRC("notRemoteIpBlocks", not_remote_ip_blocks),
};
static SCHEMA(s_source, struct ap_source, f_source);

#define OP(json, m) FLD(struct ap_operation, json, F_STRS, m)
static const struct field f_operation[] = {
	OP("hosts", hosts), OP("notHosts", not_hosts),
	OP("ports", ports), OP("notPorts", not_ports),
	OP("methods", methods), OP("notMethods", not_methods),
	OP("paths", paths), OP("notPaths", not_paths),
};
static SCHEMA(s_operation, struct ap_operation, f_operation);

static const struct field f_from[] = {
	FSUB(struct ap_from, "source", F_OBJ, source, s_source),
};
static SCHEMA(s_from, struct ap_from, f_from);

static const struct field f_to[] = {
	FSUB(struct ap_to, "operation", F_OBJ, operation, s_operation),
};
static SCHEMA(s_to, struct ap_to, f_to);

static const struct field f_condition[] = {
	FLD(struct ap_condition, "key", F_STR, key),
	FLD(struct ap_condition, "values", F_STRS, values),
	FLD(struct ap_condition, "notValues", F_STRS, not_values),
};
static SCHEMA(s_condition, struct ap_condition, f_condition);

static const struct field f_rule[] = {
	FSUB(struct ap_rule, "from", F_LIST, from, s_from),
	FSUB(struct ap_rule, "to", F_LIST, to, s_to),
	FSUB(struct ap_rule, "when", F_LIST, when, s_condition),
};
static SCHEMA(s_rule, struct ap_rule, f_rule);

static const struct field f_provider[] = {
	FLD(struct ap_provider, "name", F_STR, name),
};
static SCHEMA(s_provider, struct ap_provider, f_provider);

static const struct field f_ap[] = {
	FSUB(struct ap_spec, "selector", F_OBJ, selector, schema_selector),
	FSUB(struct ap_spec, "targetRef", F_OBJ, target_ref, schema_target_ref),
	FSUB(struct ap_spec, "targetRefs", F_LIST, target_refs, schema_target_ref),
	FENUM(struct ap_spec, "action", action, ap_action_names),
	FSUB(struct ap_spec, "provider", F_OBJ, provider, s_provider),
	FSUB(struct ap_spec, "rules", F_LIST, rules, s_rule),
};
SCHEMA(schema_ap_spec, struct ap_spec, f_ap);

/* RequestAuthentication: the analyzers only need to know it exists */
static const struct field f_ra[] = {
	FSUB(struct ra_spec, "selector", F_OBJ, selector, schema_selector),
	FSUB(struct ra_spec, "targetRefs", F_LIST, target_refs, schema_target_ref),
	FLD(struct ra_spec, "jwtRules", F_ANY, jwt_rules),
};
SCHEMA(schema_ra_spec, struct ra_spec, f_ra);
