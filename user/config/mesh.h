/* SPDX-License-Identifier: Apache-2.0 */
/* Istio MeshConfig: where it is read from and what it defaults to. */
#ifndef IM_MESH_H
#define IM_MESH_H

#include "object.h"

/* Istio's defaults: trustDomain cluster.local, rootNamespace istio-system,
 * outboundTrafficPolicy ALLOW_ANY, enableAutoMtls true. */
void mesh_defaults(struct mesh_config *m);
/* Decodes a MeshConfig map found at <n> (path names it in findings) into
 * c->mesh, over the defaults; <o> is the object it came from (may be NULL). */
void mesh_load_node(struct config *c, struct object *o, const struct ynode *n,
		    const char *path);
/* The same for YAML held in a string scalar (ConfigMap data.mesh). */
void mesh_load_text(struct config *c, struct object *o, const struct ynode *s);

bool mesh_auto_allocate(const struct config *c); /* ISTIO_META_DNS_AUTO_ALLOCATE */
const struct extension_provider *mesh_provider(const struct config *c,
					       const char *name);

#endif
