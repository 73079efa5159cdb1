// SPDX-License-Identifier: Apache-2.0
#include "common.h"

#include <stdlib.h>
#include <string.h>

const char *an_quote(struct arena *a, const char *s)
{
	size_t n = s ? strlen(s) : 0, i, j = 0;
	char *out = arena_alloc(a, 2 * n + 3);

	out[j++] = '"';
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			out[j++] = '\\';
		out[j++] = s[i];
	}
	out[j++] = '"';
	return out;
}

const char *an_full_name(struct config *c, const struct object *o)
{
	const char *name = o->meta.name ? o->meta.name : "";

	if (!o->ns_given)
		return name;
	return arena_printf(&c->arena, "%s/%s", o->ns, name);
}

static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = *(const struct kv *const *)a;
	const struct kv *y = *(const struct kv *const *)b;

	return strcmp(x->key, y->key);
}

const char *an_selector_string(struct arena *a, const struct kvs *sel)
{
	const struct kv **v;
	char *out = "";
	size_t i;

	if (!sel || !sel->n)
		return "";
	v = arena_alloc(a, sel->n * sizeof(*v));
	for (i = 0; i < sel->n; i++)
		v[i] = &sel->v[i];
	qsort(v, sel->n, sizeof(*v), kv_cmp);
	for (i = 0; i < sel->n; i++)
		out = arena_printf(a, "%s%s%s=%s", out, i ? "," : "", v[i]->key,
				   v[i]->val ? v[i]->val : "");
	return out;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *an_join_sorted(struct arena *a, const char **v, size_t n,
			   const char *sep, bool dedup)
{
	char *out = "";
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), str_cmp);
	for (i = 0; i < n; i++) {
		if (dedup && i && !strcmp(v[i], v[i - 1]))
			continue;
		out = arena_printf(a, "%s%s%s", out, k++ ? sep : "", v[i]);
	}
	return out;
}

const struct ynode *an_item(const struct strs *s, size_t i)
{
	if (s->at && s->at->type == Y_SEQ && i < s->at->n)
		return s->at->items[i];
	return s->at;
}

const struct ynode *an_meta_name(const struct object *o)
{
	const struct ynode *n = ynode_get(ynode_get(o->doc, "metadata"), "name");

	return n ? n : o->doc;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

bool an_hosts_overlap(const char *a, const char *b)
{
	bool wa = a[0] == '*', wb = b[0] == '*';

	if (wa && wb)
		return strlen(a) < strlen(b) ? has_suffix(b + 1, a + 1) :
					       has_suffix(a + 1, b + 1);
	if (wa)
		return has_suffix(b, a + 1);
	if (wb)
		return has_suffix(a, b + 1);
	return !strcmp(a, b);
}

/* The exportTo scopes Istio files a service's host under: "*" for an
 * empty list, "." as the owner's namespace, any other name as is. */
static bool in_scope(const struct service *s, const char *scope)
{
	const struct strs *e = s->export_to;
	size_t i;

	if (!e || !e->n)
		return !strcmp(scope, "*");
	for (i = 0; i < e->n; i++) {
		if (!strcmp(e->v[i], scope) ||
		    (!strcmp(e->v[i], ".") && !strcmp(s->ns, scope)))
			return true;
	}
	return false;
}

/* Istio files both kinds in one map where the Service, added last, wins.
 * The FQDN a service is filed under: SE hosts resolve in the SE's ns. */
static const struct service *scoped(const struct registry *r,
				    const char *scope, const char *fqdn)
{
	const struct service *found = NULL;
	size_t i, n;
	void *const *v = registry_fqdn_services(r, fqdn, &n);

	for (i = 0; i < n; i++) {
		const struct service *s = v[i];

		if (!in_scope(s, scope))
			continue;
		if (!s->se)
			return s;
		found = s;
	}
	return found;
}

static const struct service *wildcard(const struct registry *r,
				      const char *ns, const char *host)
{
	const char *h = host[0] == '*' ? host + 1 : host;
	size_t i;

	for (i = 0; i < r->wild_ses.n; i++) {
		const struct service *s = r->wild_ses.v[i];

		if (!in_scope(s, "*") && !in_scope(s, ns))
			continue;
		if (has_suffix(h, s->host + 1))
			return s;
	}
	return NULL;
}

const struct service *an_visible_service(struct config *c,
					 const struct registry *r,
					 const char *ns,
					 const struct strs *export_to,
					 const char *host)
{
	const char *fqdn;
	const struct service *s;
	size_t i;

	if (!host)
		host = "";
	/* Istio expands even the empty host, so it is simply not found */
	fqdn = *host ? registry_fqdn(&c->arena, r, host, ns) :
		       arena_printf(&c->arena, ".%s.svc.%s", ns, r->domain);
	if ((s = scoped(r, "*", fqdn)))
		return s;
	if (!export_to || !export_to->n) {
		if ((s = scoped(r, ns, fqdn)))
			return s;
	}
	for (i = 0; export_to && i < export_to->n; i++) {
		const char *e = export_to->v[i];

		if ((s = scoped(r, strcmp(e, ".") ? e : ns, fqdn)))
			return s;
	}
	return wildcard(r, ns, host);
}

bool an_workloads_known(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->objs[i]->kind == K_POD ||
		    c->objs[i]->kind == K_WORKLOAD_ENTRY)
			return true;
	return false;
}

bool an_services_known(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->objs[i]->kind == K_SERVICE)
			return true;
	return false;
}

bool an_k8s_host(const char *host)
{
	if (!host || !*host)
		return false;
	if (host[0] != '*' && !strchr(host, '.'))
		return true;
	return has_suffix(host, ".svc.cluster.local");
}

const struct object *an_find(const struct config *c, const char *kind_name,
			     const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct object *o = c->objs[i];

		if (o->kind_name && !strcmp(o->kind_name, kind_name) &&
		    o->meta.name && !strcmp(o->meta.name, name) &&
		    !strcmp(o->ns, ns))
			return o;
	}
	return NULL;
}

static void visit(struct config *c, struct object *vs, an_dest_fn fn, void *ctx,
		  const struct destination *d, const struct ynode *fallback,
		  const char *path, bool mirror)
{
	const struct ynode *host = ynode_get(d->at, "host");
	struct an_dest ad = { d, host ? host : d->at ? d->at : fallback, path,
			      mirror };

	fn(c, vs, &ad, ctx);
}

static void each_l4(struct config *c, struct object *vs, an_dest_fn fn,
		    void *ctx, const char *kind, const struct l4_route *rt,
		    size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < rt[i].route.n; j++)
			visit(c, vs, fn, ctx, &rt[i].route.v[j].destination,
			      rt[i].route.v[j].at,
			      arena_printf(&c->arena,
					   "spec.%s[%zu].route[%zu].destination",
					   kind, i, j), false);
}

void an_each_destination(struct config *c, struct object *vs, an_dest_fn fn,
			 void *ctx)
{
	const struct vs_spec *v = obj_vs(vs);
	size_t i, j;

	if (!v)
		return;
	each_l4(c, vs, fn, ctx, "tcp", v->tcp.v, v->tcp.n);
	each_l4(c, vs, fn, ctx, "tls", v->tls.v, v->tls.n);
	for (i = 0; i < v->http.n; i++)
		for (j = 0; j < v->http.v[i].route.n; j++)
			visit(c, vs, fn, ctx, &v->http.v[i].route.v[j].destination,
			      v->http.v[i].route.v[j].at,
			      arena_printf(&c->arena,
					   "spec.http[%zu].route[%zu].destination",
					   i, j), false);
	for (i = 0; i < v->http.n; i++) {
		const struct http_route *h = &v->http.v[i];

		if (h->mirror.at)
			visit(c, vs, fn, ctx, &h->mirror, h->mirror.at,
			      arena_printf(&c->arena, "spec.http[%zu].mirror", i),
			      true);
		for (j = 0; j < h->mirrors.n; j++)
			visit(c, vs, fn, ctx, &h->mirrors.v[j].destination,
			      h->mirrors.v[j].at,
			      arena_printf(&c->arena,
					   "spec.http[%zu].mirrors[%zu].destination",
					   i, j), true);
	}
}
