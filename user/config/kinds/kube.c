// SPDX-License-Identifier: Apache-2.0
/* Kubernetes core kinds: only the fields a mesh needs are read, and the
 * rest of their (large) schemas is not warned about. */
#include "../kinds.h"

static const struct field f_kport[] = {
	FLD(struct k8s_port, "name", F_STR, name),
	FLD(struct k8s_port, "protocol", F_STR, protocol),
	FLD(struct k8s_port, "appProtocol", F_STR, app_protocol),
	FLD(struct k8s_port, "targetPort", F_INTSTR, target_port),
	FLD(struct k8s_port, "port", F_UINT, port),
	FLD(struct k8s_port, "nodePort", F_UINT, node_port),
};
static SCHEMA_OPEN(s_kport, struct k8s_port, f_kport);

static const struct field f_svc[] = {
	FLD(struct k8s_service_spec, "selector", F_KVS, selector),
	FSUB(struct k8s_service_spec, "ports", F_LIST, ports, s_kport),
	FLD(struct k8s_service_spec, "clusterIP", F_STR, cluster_ip),
	FLD(struct k8s_service_spec, "clusterIPs", F_STRS, cluster_ips),
	FLD(struct k8s_service_spec, "type", F_STR, type),
	FLD(struct k8s_service_spec, "externalName", F_STR, external_name),
};
SCHEMA_OPEN(schema_k8s_service_spec, struct k8s_service_spec, f_svc);

static const struct field f_pod[] = {
	FLD(struct pod_spec, "serviceAccountName", F_STR, service_account_name),
	FLD(struct pod_spec, "nodeName", F_STR, node_name),
};
SCHEMA_OPEN(schema_pod_spec, struct pod_spec, f_pod);
