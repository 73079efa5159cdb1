// SPDX-License-Identifier: Apache-2.0
/* AuthorizationPolicies that apply to one workload, in evaluation order, and
 * the TCP form of each rule (semantics section 2): on a non-HTTP port Envoy
 * cannot see HTTP attributes, so istiod drops an ALLOW rule that uses one
 * (narrower) and strips them from DENY/AUDIT/CUSTOM rules (wider). */
#include <string.h>

#include "model.h"
#include "objindex.h"

const char *const l4_fate_names[] = { "as-written", "dropped", "stripped",
				      NULL };

/* Evaluation order of the actions, by enum ap_action. */
static const enum ap_action eval_order[] = { AP_CUSTOM, AP_DENY, AP_ALLOW,
					     AP_AUDIT };

/* ---- HTTP-only fields ---- */

struct field_set {
	const char *names[12];
	size_t n;
};

static void note_field(struct field_set *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->names[i], name))
			return;
	if (fs->n < sizeof(fs->names) / sizeof(fs->names[0]))
		fs->names[fs->n++] = name;
}

static void note_strs(struct field_set *fs, const struct strs *s,
		      const char *name)
{
	if (s->n)
		note_field(fs, name);
}

/* Conditions Envoy's TCP RBAC filter cannot evaluate. */
static bool when_is_http(const char *key)
{
	return key && !strncmp(key, "request.", 8);
}

static size_t source_l4_count(const struct ap_source *s)
{
	return s->principals.n + s->not_principals.n + s->namespaces.n +
	       s->not_namespaces.n + s->service_accounts.n +
	       s->not_service_accounts.n + s->ip_blocks.n + s->not_ip_blocks.n +
	       s->remote_ip_blocks.n + s->not_remote_ip_blocks.n +
	       s->trust_domains.n + s->not_trust_domains.n;
}

static bool source_http(const struct ap_source *s, struct field_set *fs)
{
	note_strs(fs, &s->request_principals, "requestPrincipals");
	note_strs(fs, &s->not_request_principals, "notRequestPrincipals");
	return s->request_principals.n || s->not_request_principals.n;
}

static bool operation_http(const struct ap_operation *o, struct field_set *fs)
{
	note_strs(fs, &o->hosts, "hosts");
	note_strs(fs, &o->not_hosts, "notHosts");
	note_strs(fs, &o->methods, "methods");
	note_strs(fs, &o->not_methods, "notMethods");
	note_strs(fs, &o->paths, "paths");
	note_strs(fs, &o->not_paths, "notPaths");
	return o->hosts.n || o->not_hosts.n || o->methods.n ||
	       o->not_methods.n || o->paths.n || o->not_paths.n;
}

static const char *join_fields(struct arena *a, const struct field_set *fs)
{
	char buf[256] = "";
	size_t i;

	if (!fs->n)
		return NULL;
	for (i = 0; i < fs->n; i++) {
		if (i)
			strncat(buf, ", ", sizeof(buf) - strlen(buf) - 1);
		strncat(buf, fs->names[i], sizeof(buf) - strlen(buf) - 1);
	}
	return arena_strdup(a, buf);
}

/* ---- the TCP form of a rule ---- */

static void strip_from(struct arena *a, const struct ap_rule *in,
		       struct ap_rule_eff *out, struct field_set *fs)
{
	size_t i;

	if (!in->from.n)
		return;
	out->l4.from.v = arena_alloc(a, in->from.n * sizeof(*in->from.v));
	for (i = 0; i < in->from.n; i++) {
		struct ap_source *s = &out->l4.from.v[i].source;

		out->l4.from.v[i] = in->from.v[i];
		if (!source_http(s, fs))
			continue;
		memset(&s->request_principals, 0, sizeof(s->request_principals));
		memset(&s->not_request_principals, 0,
		       sizeof(s->not_request_principals));
		if (!source_l4_count(s))
			out->widened_to_all = true;
	}
}

static void strip_to(struct arena *a, const struct ap_rule *in,
		     struct ap_rule_eff *out, struct field_set *fs)
{
	size_t i;

	if (!in->to.n)
		return;
	out->l4.to.v = arena_alloc(a, in->to.n * sizeof(*in->to.v));
	for (i = 0; i < in->to.n; i++) {
		struct ap_operation *o = &out->l4.to.v[i].operation;

		out->l4.to.v[i] = in->to.v[i];
		if (!operation_http(o, fs))
			continue;
		memset(&o->hosts, 0, sizeof(o->hosts));
		memset(&o->not_hosts, 0, sizeof(o->not_hosts));
		memset(&o->methods, 0, sizeof(o->methods));
		memset(&o->not_methods, 0, sizeof(o->not_methods));
		memset(&o->paths, 0, sizeof(o->paths));
		memset(&o->not_paths, 0, sizeof(o->not_paths));
		if (!o->ports.n && !o->not_ports.n)
			out->widened_to_all = true;
	}
}

static void strip_when(struct arena *a, const struct ap_rule *in,
		       struct ap_rule_eff *out, struct field_set *fs)
{
	size_t i, n = 0;

	if (!in->when.n)
		return;
	out->l4.when.v = arena_alloc(a, in->when.n * sizeof(*in->when.v));
	for (i = 0; i < in->when.n; i++) {
		if (when_is_http(in->when.v[i].key)) {
			note_field(fs, "when request.*");
			continue;
		}
		out->l4.when.v[n++] = in->when.v[i];
	}
	out->l4.when.n = n;
}

void authz_reduce_rule(struct arena *a, const struct ap_rule *rule,
		       enum ap_action action, struct ap_rule_eff *out)
{
	struct field_set fs = { .n = 0 };

	out->rule = rule;
	out->l4 = *rule;
	out->widened_to_all = false;
	strip_from(a, rule, out, &fs);
	strip_to(a, rule, out, &fs);
	strip_when(a, rule, out, &fs);
	out->http_fields = join_fields(a, &fs);
	if (!fs.n) {
		out->fate = L4_AS_WRITTEN;
		out->l4 = *rule;
	} else if (action == AP_ALLOW) {
		/* istiod returns the generator error for ALLOW: rule gone */
		out->fate = L4_DROPPED;
		out->widened_to_all = false;
		memset(&out->l4, 0, sizeof(out->l4));
	} else {
		out->fate = L4_STRIPPED;
	}
}

/* ---- which policies apply ---- */

static bool ref_targets(const struct registry *r, const struct target_ref *t,
			const char *pol_ns, const struct workload *w)
{
	const char *ns = t->namespace_ ? t->namespace_ : pol_ns;
	size_t i, n;
	void *const *svcs;

	if (!w || !t->name || !t->kind)
		return false;
	/* Gateways are not workloads of this dataplane */
	if (strcmp(t->kind, "Service") && strcmp(t->kind, "ServiceEntry"))
		return false;
	svcs = registry_ns_services(r, ns, &n);
	for (i = 0; i < n; i++) {
		const struct service *s = svcs[i];

		if (!s->obj || strcmp(s->obj->kind_name, t->kind) ||
		    !s->obj->meta.name || strcmp(s->obj->meta.name, t->name))
			continue;
		if (registry_selects(s, w))
			return true;
	}
	return false;
}

static bool ap_has_refs(const struct ap_spec *p)
{
	return p->target_ref.at || p->target_refs.n;
}

static bool ap_by_refs(const struct registry *r, const struct object *o,
		       const struct workload *w)
{
	const struct ap_spec *p = obj_ap(o);
	size_t i;

	if (p->target_ref.at && ref_targets(r, &p->target_ref, o->ns, w))
		return true;
	for (i = 0; i < p->target_refs.n; i++)
		if (ref_targets(r, &p->target_refs.v[i], o->ns, w))
			return true;
	return false;
}

static bool ap_applies(const struct config *c, const struct registry *r,
		       const struct object *o, const char *ns,
		       const struct kvs *labels, const struct workload *w)
{
	const struct ap_spec *p = obj_ap(o);

	if (strcmp(o->ns, ns) && strcmp(o->ns, c->root_ns))
		return false;
	if (ap_has_refs(p))
		return ap_by_refs(r, o, w);
	return labels_match(&p->selector.match_labels, labels);
}

static enum ap_action ap_action_of(const struct ap_spec *p)
{
	return p->action.set ? (enum ap_action)p->action.v : AP_ALLOW;
}

static void fill_ap(struct arena *a, const struct config *c,
		    const struct object *o, struct ap_eff *e)
{
	const struct ap_spec *p = obj_ap(o);
	const char *dry = kvs_get(&o->meta.annotations, "istio.io/dry-run");
	size_t i;

	e->obj = o;
	e->spec = p;
	e->action = ap_action_of(p);
	e->dry_run = dry && !strcmp(dry, "true");
	e->mesh_wide = !strcmp(o->ns, c->root_ns);
	e->by_target_ref = ap_has_refs(p);
	e->allow_nothing = e->action == AP_ALLOW && !p->rules.v;
	e->n_rules = p->rules.n;
	e->rules = arena_alloc(a, (p->rules.n + 1) * sizeof(*e->rules));
	for (i = 0; i < p->rules.n; i++) {
		authz_reduce_rule(a, &p->rules.v[i], e->action, &e->rules[i]);
		e->rules[i].index = i;
	}
}

void resolve_authz(const struct config *c, const struct registry *r,
		   struct arena *a, const char *ns, const struct kvs *labels,
		   const struct workload *w, struct authz_eff *out)
{
	static const struct kvs no_labels;
	struct obj_iter it;
	const struct object *o;
	size_t k;

	memset(out, 0, sizeof(*out));
	if (!labels)
		labels = &no_labels;
	/* ap_applies: policies of other namespaces never do */
	obj_iter_ns(&it, c, K_AUTHORIZATION_POLICY, ns, c->root_ns);
	while ((o = obj_iter_next(&it)))
		out->n += !o->invalid && ap_applies(c, r, o, ns, labels, w);
	out->v = arena_alloc(a, (out->n + 1) * sizeof(*out->v));
	out->n = 0;
	for (k = 0; k < 4; k++) {
		obj_iter_ns(&it, c, K_AUTHORIZATION_POLICY, ns, c->root_ns);
		while ((o = obj_iter_next(&it))) {
			struct ap_eff *e;

			if (o->invalid ||
			    ap_action_of(obj_ap(o)) != eval_order[k] ||
			    !ap_applies(c, r, o, ns, labels, w))
				continue;
			e = &out->v[out->n++];
			fill_ap(a, c, o, e);
			out->n_action[e->action]++;
			if (e->action == AP_ALLOW && !e->dry_run)
				out->has_allow = true;
		}
	}
}
