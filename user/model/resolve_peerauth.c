// SPDX-License-Identifier: Apache-2.0
/* Effective PeerAuthentication of one workload, as istiod's policy applier
 * computes it (semantics section 1): at most one policy per level (the
 * oldest), the most specific non-UNSET mode wins, and port-level modes come
 * from the workload-level policy only. */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "objindex.h"

const char *const pa_level_names[] = { "default", "mesh", "namespace",
				       "workload", NULL };

/* `selector: {matchLabels: {}}` is "no selector". */
static bool pa_has_selector(const struct pa_spec *p)
{
	return p->selector.match_labels.n > 0;
}

/* Level at which <o> would apply to a workload in <ns> with <labels>;
 * PA_DEFAULT when it does not apply. *root_sel marks a root-namespace
 * selector policy matching the labels: Istio drops those for PA. */
static enum pa_level pa_level_for(const struct config *c,
				  const struct object *o, const char *ns,
				  const struct kvs *labels, bool *root_sel)
{
	const struct pa_spec *p = obj_pa(o);
	bool root = !strcmp(o->ns, c->root_ns);

	*root_sel = false;
	if (pa_has_selector(p)) {
		if (!labels_match(&p->selector.match_labels, labels))
			return PA_DEFAULT;
		if (root) {
			*root_sel = true;
			return PA_DEFAULT;
		}
		return strcmp(o->ns, ns) ? PA_DEFAULT : PA_WORKLOAD;
	}
	if (!strcmp(o->ns, ns))
		return PA_NAMESPACE;
	return root ? PA_MESH : PA_DEFAULT;
}

static void push_ignored(struct arena *a, struct mtls_eff *out,
			 const struct object *o)
{
	const struct object **v = arena_alloc(a, (out->n_ignored + 1) *
					      sizeof(*v));

	if (out->n_ignored)
		memcpy(v, out->ignored, out->n_ignored * sizeof(*v));
	v[out->n_ignored++] = o;
	out->ignored = v;
}

/* Keeps the oldest policy of a level; the loser is recorded as ignored. */
static void keep_oldest(struct arena *a, struct mtls_eff *out,
			const struct object **slot, const struct object *o)
{
	if (!*slot) {
		*slot = o;
		return;
	}
	if (model_older(o, *slot)) {
		push_ignored(a, out, *slot);
		*slot = o;
	} else {
		push_ignored(a, out, o);
	}
}

static enum mtls_mode pa_mode(const struct object *o)
{
	const struct pa_spec *p = obj_pa(o);

	return p && p->mtls.mode.set ? (enum mtls_mode)p->mtls.mode.v
				     : MTLS_UNSET;
}

static void apply_level(struct mtls_eff *out, const struct object *o,
			enum pa_level level)
{
	enum mtls_mode m = pa_mode(o);

	if (m == MTLS_UNSET)
		return;
	out->mode = m;
	out->level = level;
	out->decided_by = o;
}

/* portLevelMtls keys are written as text (YAML map keys). */
static void resolve_ports(struct arena *a, struct mtls_eff *out)
{
	const struct pa_spec *p = obj_pa(out->workload);
	size_t i;

	if (!p || !p->port_level_mtls.n)
		return;
	out->ports = arena_alloc(a, p->port_level_mtls.n *
				 sizeof(*out->ports));
	for (i = 0; i < p->port_level_mtls.n; i++) {
		const struct port_mtls *pm = &p->port_level_mtls.v[i];
		struct port_mtls_eff *e = &out->ports[out->n_ports];
		char *end;
		unsigned long port = strtoul(pm->key ? pm->key : "", &end, 10);

		if (!pm->key || *end || !port || port > 65535)
			continue;
		e->port = (uint32_t)port;
		e->inherited = !pm->mode.set || pm->mode.v == MTLS_UNSET;
		e->mode = e->inherited ? out->mode : (enum mtls_mode)pm->mode.v;
		e->at = pm->at;
		out->n_ports++;
	}
}

void resolve_mtls(const struct config *c, struct arena *a, const char *ns,
		  const struct kvs *labels, struct mtls_eff *out)
{
	static const struct kvs no_labels;
	struct obj_iter it;
	const struct object *o;

	memset(out, 0, sizeof(*out));
	out->mode = MTLS_PERMISSIVE;
	if (!labels)
		labels = &no_labels;
	/* pa_level_for: a policy of any other namespace never applies */
	obj_iter_ns(&it, c, K_PEER_AUTHENTICATION, ns, c->root_ns);
	while ((o = obj_iter_next(&it))) {
		bool root_sel;

		if (o->invalid)
			continue;
		switch (pa_level_for(c, o, ns, labels, &root_sel)) {
		case PA_WORKLOAD:
			keep_oldest(a, out, &out->workload, o);
			break;
		case PA_NAMESPACE:
			keep_oldest(a, out, &out->ns, o);
			break;
		case PA_MESH:
			keep_oldest(a, out, &out->mesh, o);
			break;
		case PA_DEFAULT:
			if (root_sel)
				push_ignored(a, out, o);
			break;
		}
	}
	apply_level(out, out->mesh, PA_MESH);
	apply_level(out, out->ns, PA_NAMESPACE);
	apply_level(out, out->workload, PA_WORKLOAD);
	resolve_ports(a, out);
}
