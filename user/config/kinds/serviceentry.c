// SPDX-License-Identifier: Apache-2.0
/* networking.istio.io ServiceEntry and WorkloadEntry */
#include "../kinds.h"

static const struct field f_port[] = {
	FLD(struct svc_port, "number", F_UINT, number),
	FLD(struct svc_port, "protocol", F_STR, protocol),
	FLD(struct svc_port, "name", F_STR, name),
	FLD(struct svc_port, "targetPort", F_UINT, target_port),
};
static SCHEMA(s_port, struct svc_port, f_port);

static const struct field f_port_number[] = {
	{ "", F_UINT, offsetof(struct port_number, number), NULL, NULL },
};
static SCHEMA(s_port_number, struct port_number, f_port_number);

static const struct field f_we[] = {
	FLD(struct we_spec, "address", F_STR, address),
	FSUB(struct we_spec, "ports", F_MAP, ports, s_port_number),
	FLD(struct we_spec, "labels", F_KVS, labels),
	FLD(struct we_spec, "network", F_STR, network),
	FLD(struct we_spec, "locality", F_STR, locality),
	FLD(struct we_spec, "weight", F_UINT, weight),
	FLD(struct we_spec, "serviceAccount", F_STR, service_account),
};
SCHEMA(schema_we_spec, struct we_spec, f_we);

static const struct field f_wl_sel[] = {
	FLD(struct wl_selector, "labels", F_KVS, labels),
};
static SCHEMA(s_wl_sel, struct wl_selector, f_wl_sel);

static const struct field f_se[] = {
	FLD(struct se_spec, "hosts", F_STRS, hosts),
	FLD(struct se_spec, "addresses", F_STRS, addresses),
	FSUB(struct se_spec, "ports", F_LIST, ports, s_port),
	FENUM(struct se_spec, "location", location, se_location_names),
	FENUM(struct se_spec, "resolution", resolution, se_resolution_names),
	FSUB(struct se_spec, "endpoints", F_LIST, endpoints, schema_we_spec),
	FSUB(struct se_spec, "workloadSelector", F_OBJ, workload_selector, s_wl_sel),
	FLD(struct se_spec, "exportTo", F_STRS, export_to),
	FLD(struct se_spec, "subjectAltNames", F_STRS, subject_alt_names),
};
SCHEMA(schema_se_spec, struct se_spec, f_se);

static const struct field f_st_addr[] = {
	FLD(struct se_status_addr, "host", F_STR, host),
	FLD(struct se_status_addr, "value", F_STR, value),
};
static SCHEMA_OPEN(s_st_addr, struct se_status_addr, f_st_addr);

static const struct field f_status[] = {
	FSUB(struct se_status, "addresses", F_LIST, addresses, s_st_addr),
};
SCHEMA_OPEN(schema_se_status, struct se_status, f_status);
