/* SPDX-License-Identifier: Apache-2.0 */
/* The kinds infermesh reads: API group, versions seen in the wild, the spec
 * schema and Istio's validation for each. */
#ifndef IM_KINDS_H
#define IM_KINDS_H

#include "object.h"

struct kind_info {
	enum kind kind;
	const char *group;           /* "" for Kubernetes core */
	const char *name;            /* "VirtualService" */
	const char *const *versions; /* NULL-terminated */
	const struct schema *spec;   /* NULL: spec not read */
	/* Istio's webhook/CRD checks; adds IST0106 errors (the loader then
	 * marks the object invalid) and IST0133 warnings. May be NULL. */
	void (*validate)(struct config *c, struct object *o);
};

const struct kind_info *kind_lookup(const char *group, const char *name);
const struct kind_info *kind_info_of(enum kind k);

/* Schemas, one file per kind under user/config/kinds/ */
extern const struct schema schema_meta, schema_selector, schema_target_ref;
extern const struct schema schema_pa_spec, schema_ap_spec, schema_ra_spec;
extern const struct schema schema_vs_spec, schema_dr_spec;
extern const struct schema schema_se_spec, schema_we_spec, schema_se_status;
extern const struct schema schema_telemetry_spec;
extern const struct schema schema_k8s_service_spec, schema_pod_spec;
extern const struct schema schema_mesh_config;

/* Validators, one file per kind under user/validate/ */
void validate_pa(struct config *c, struct object *o);
void validate_ap(struct config *c, struct object *o);
void validate_vs(struct config *c, struct object *o);
void validate_dr(struct config *c, struct object *o);
void validate_se(struct config *c, struct object *o);
void validate_we(struct config *c, struct object *o);
void validate_telemetry(struct config *c, struct object *o);

#endif
