// SPDX-License-Identifier: Apache-2.0
#include "mesh.h"

#include <stdlib.h>
#include <string.h>

#include "kinds.h"

void mesh_defaults(struct mesh_config *m)
{
	memset(m, 0, sizeof(*m));
	m->trust_domain = "cluster.local";
	m->root_namespace = "istio-system";
	m->outbound_traffic_policy.mode = (struct opt_enum){ false, OUT_ALLOW_ANY };
	m->enable_auto_mtls = (struct opt_bool){ false, true };
}

/* Fields left out keep their defaults: decode into a scratch struct and
 * copy over only what was written. */
static void mesh_merge(struct mesh_config *dst, const struct mesh_config *src)
{
	if (src->trust_domain)
		dst->trust_domain = src->trust_domain;
	if (src->root_namespace)
		dst->root_namespace = src->root_namespace;
	if (src->access_log_file)
		dst->access_log_file = src->access_log_file;
	if (src->access_log_encoding)
		dst->access_log_encoding = src->access_log_encoding;
	if (src->outbound_traffic_policy.mode.set)
		dst->outbound_traffic_policy = src->outbound_traffic_policy;
	if (src->enable_auto_mtls.set)
		dst->enable_auto_mtls = src->enable_auto_mtls;
	if (src->default_config.at)
		dst->default_config = src->default_config;
	if (src->extension_providers.v)
		dst->extension_providers = src->extension_providers;
	if (src->default_providers.at)
		dst->default_providers = src->default_providers;
	if (src->connect_timeout.set)
		dst->connect_timeout = src->connect_timeout;
	if (src->path_normalization.normalization.set)
		dst->path_normalization = src->path_normalization;
	dst->at = src->at;
}

void mesh_load_node(struct config *c, struct object *o, const struct ynode *n,
		    const char *path)
{
	struct decode_ctx dc = { &c->arena, &c->diag, o };
	struct mesh_config m;

	if (!n)
		return;
	memset(&m, 0, sizeof(m));
	if (o)
		o->kind = K_MESH_CONFIG;
	if (c->mesh_obj || (c->mesh.at && !o))
		diag_add(&c->diag, "IM0105", SEV_WARNING, o, n, path,
			 "keep one MeshConfig in the inputs",
			 "a second MeshConfig was given; its fields override the "
			 "first one's");
	if (schema_decode(&dc, &schema_mesh_config, n, &m, path)) {
		if (o)
			o->invalid = true;
		return;
	}
	mesh_merge(&c->mesh, &m);
	c->root_ns = c->mesh.root_namespace;
	if (o) {
		o->spec = arena_alloc(&c->arena, sizeof(m));
		memcpy(o->spec, &m, sizeof(m));
		c->mesh_obj = o;
	}
}

void mesh_load_text(struct config *c, struct object *o, const struct ynode *s)
{
	struct ydocs docs = { 0 };

	/* a block scalar's text starts on the line after the indicator */
	ydoc_parse_at(&c->arena, &c->diag, s->file, s->str, s->len, s->line,
		      &docs);
	if (docs.n)
		mesh_load_node(c, o, docs.docs[0], "data.mesh");
	free(docs.docs);
}

int config_load_mesh_file(struct config *c, const char *path)
{
	struct ydocs docs = { 0 };
	int rc = ydoc_parse_file(&c->arena, &c->diag, path, &docs);

	if (docs.n) {
		mesh_load_node(c, NULL, docs.docs[0], "");
	} else if (!rc) {
		/* said for object files too; an empty --mesh-config file
		 * used to leave the defaults in place without a word */
		struct finding *f = diag_add(&c->diag, "IM0010", SEV_WARNING,
					     NULL, NULL, NULL, NULL,
					     "mesh config file holds no MeshConfig; "
					     "Istio's defaults apply");

		f->file = arena_strdup(&c->arena, path);
		f->line = f->col = 1;
	}
	free(docs.docs);
	return rc;
}

bool mesh_auto_allocate(const struct config *c)
{
	const char *v = kvs_get(&c->mesh.default_config.proxy_metadata,
				"ISTIO_META_DNS_AUTO_ALLOCATE");

	return v && !strcmp(v, "true");
}

const struct extension_provider *mesh_provider(const struct config *c,
					       const char *name)
{
	size_t i;

	for (i = 0; i < c->mesh.extension_providers.n; i++)
		if (!strcmp(c->mesh.extension_providers.v[i].name, name))
			return &c->mesh.extension_providers.v[i];
	return NULL;
}
