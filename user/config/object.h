/* SPDX-License-Identifier: Apache-2.0 */
/* One loaded document: its kind, metadata and typed spec, plus the set of
 * all loaded objects that later stages (validation, analyzers, the resolved
 * model) read. */
#ifndef IM_OBJECT_H
#define IM_OBJECT_H

#include "types.h"

enum kind {
	K_PEER_AUTHENTICATION,
	K_AUTHORIZATION_POLICY,
	K_REQUEST_AUTHENTICATION,
	K_VIRTUAL_SERVICE,
	K_DESTINATION_RULE,
	K_SERVICE_ENTRY,
	K_WORKLOAD_ENTRY,
	K_TELEMETRY,
	K_SERVICE,
	K_POD,
	K_NAMESPACE,
	K_NODE,
	K_MESH_CONFIG, /* ConfigMap istio-system/istio, IstioOperator or a bare file */
	K_OTHER,       /* read but not acted on (Gateway, Deployment, ...) */
	K_COUNT
};

struct meta {
	const struct ynode *at;
	const char *name, *namespace_, *creation_timestamp, *generate_name;
	struct kvs labels, annotations;
};

struct object {
	enum kind kind;
	const char *kind_name;   /* as written: "VirtualService" */
	const char *api_version; /* as written */
	const struct ynode *doc; /* the whole document */
	struct meta meta;
	const char *ns;          /* namespace, defaulted when not written */
	bool ns_given;
	const char *resource;    /* "VirtualService ns/name" (as istioctl's tests) */
	bool invalid;            /* Istio would reject it: kept out of the model */
	size_t seq;              /* load order: the stand-in for creation time */
	void *spec;              /* typed by kind, see the accessors below */
	const struct ynode *status;
	void *status_typed;      /* ServiceEntry: struct se_status */
};

#define OBJ_ACCESSOR(fn, K, T) \
	static inline T *fn(const struct object *o) \
	{ return o && o->kind == K ? (T *)o->spec : (T *)0; }
OBJ_ACCESSOR(obj_pa, K_PEER_AUTHENTICATION, struct pa_spec)
OBJ_ACCESSOR(obj_ap, K_AUTHORIZATION_POLICY, struct ap_spec)
OBJ_ACCESSOR(obj_ra, K_REQUEST_AUTHENTICATION, struct ra_spec)
OBJ_ACCESSOR(obj_vs, K_VIRTUAL_SERVICE, struct vs_spec)
OBJ_ACCESSOR(obj_dr, K_DESTINATION_RULE, struct dr_spec)
OBJ_ACCESSOR(obj_se, K_SERVICE_ENTRY, struct se_spec)
OBJ_ACCESSOR(obj_we, K_WORKLOAD_ENTRY, struct we_spec)
OBJ_ACCESSOR(obj_tel, K_TELEMETRY, struct telemetry_spec)
OBJ_ACCESSOR(obj_svc, K_SERVICE, struct k8s_service_spec)
OBJ_ACCESSOR(obj_pod, K_POD, struct pod_spec)
OBJ_ACCESSOR(obj_mesh, K_MESH_CONFIG, struct mesh_config)

/* Everything one `analyze` or one agent reload reads. */
struct config {
	struct arena arena;
	struct diag diag;
	struct object **objs;
	size_t n, cap;
	const char *default_ns;     /* for objects without a namespace */
	const char *root_ns;        /* istio-system unless MeshConfig says */
	struct mesh_config mesh;    /* merged MeshConfig (defaults if none) */
	const struct object *mesh_obj;
	size_t n_files;
	/* objects by kind and namespace (user/model/objindex.c), a cache
	 * built on first use */
	struct obj_index *index;
};

void config_init(struct config *c);
void config_free(struct config *c);

/* Loads files and directories (*.yaml, *.yml, *.json, non-recursive order
 * by name, recursing into subdirectories). Findings go to c->diag. Returns
 * 0, or -1 if an input could not be read at all. */
int config_load_path(struct config *c, const char *path);
/* Loads a bare MeshConfig file (istioctl's --meshConfigFile). */
int config_load_mesh_file(struct config *c, const char *path);
/* Parses an in-memory buffer, for tests and fuzzing. */
int config_load_buffer(struct config *c, const char *name, const char *buf,
		       size_t len);
/* Runs Istio's validation on every loaded object (marks ->invalid). */
void config_validate(struct config *c);

/* Iteration helpers */
#define for_each_obj(c, o, K) \
	for (size_t _i_##o = 0; _i_##o < (c)->n; _i_##o++) \
		for (struct object *o = (c)->objs[_i_##o]; o; o = NULL) \
			if (o->kind == (K) && !o->invalid)

/* Kubernetes label selector: every key/value of <sel> is in <labels>. An
 * empty selector matches everything. */
bool labels_match(const struct kvs *sel, const struct kvs *labels);
const char *kvs_get(const struct kvs *m, const char *key);

#endif
