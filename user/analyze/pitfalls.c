// SPDX-License-Identifier: Apache-2.0
/* infermesh's own findings (IM1xxx): seed pitfalls and silent behaviour.
 * This file runs the topics and holds the helpers they share. */
#include "pitfalls.h"

#include <stdio.h>
#include <string.h>

static void index_inference(struct pit *p);

void analyze_pitfalls(struct config *c)
{
	struct pit p = { .c = c };

	registry_build(&p.reg, c);
	index_inference(&p);
	pit_routes(&p);
	pit_authz(&p);
	pit_mtls(&p);
	pit_policy(&p);
	pit_egress(&p);
	pit_mesh(&p);
}

const struct service *pit_service(struct pit *p, const char *host,
				  const char *ns)
{
	return registry_service(&p->reg,
				registry_fqdn(&p->c->arena, &p->reg, host, ns));
}

size_t pit_pool(const struct pit *p, const struct service *s,
		const struct kvs *subset)
{
	size_t i, n = 0;

	for (i = 0; s && i < s->endpoints.n; i++) {
		const struct workload *w = s->endpoints.v[i];

		if (!subset || labels_match(subset, w->labels))
			n++;
	}
	return n;
}

size_t pit_selected(const struct pit *p, const char *ns, const struct kvs *sel,
		    const struct workload **out, size_t max)
{
	static const struct kvs none;
	size_t i, n = 0, n_wls;
	void *const *wls = registry_selector_candidates(&p->reg, ns, sel,
							&n_wls);

	for (i = 0; i < n_wls; i++) {
		const struct workload *w = wls[i];

		if (w->obj->kind == K_SERVICE_ENTRY)
			continue;
		if (!labels_match(sel ? sel : &none, w->labels ? w->labels : &none))
			continue;
		if (n < max)
			out[n] = w;
		n++;
	}
	return n;
}

static bool has_word(const char *s, const char *const *words)
{
	for (; s && *words; words++)
		if (strstr(s, *words))
			return true;
	return false;
}

bool pit_inference_path(const char *s)
{
	static const char *const w[] = { "predict", "infer", "generate",
					 "stream", "completions", NULL };

	return has_word(s, w);
}

bool pit_streaming_path(const char *s)
{
	static const char *const w[] = { "stream", "generate", NULL };

	return has_word(s, w);
}

static const char *uri_text(const struct string_match *m)
{
	return m->prefix ? m->prefix : m->exact ? m->exact : m->regex;
}

static bool route_matches_inference(const struct http_route *r)
{
	size_t j;

	for (j = 0; j < r->match.n; j++)
		if (pit_inference_path(uri_text(&r->match.v[j].uri)))
			return true;
	return false;
}

/* The FQDNs routes with an inference path send to, once for all the
 * pit_inference_host questions. */
static void index_inference(struct pit *p)
{
	size_t i, k;

	hmap_init(&p->inference, &p->c->arena);
	for_each_obj(p->c, o, K_VIRTUAL_SERVICE) {
		const struct vs_spec *vs = obj_vs(o);

		for (i = 0; i < vs->http.n; i++) {
			const struct http_route *r = &vs->http.v[i];

			if (!route_matches_inference(r))
				continue;
			for (k = 0; k < r->route.n; k++) {
				const char *h = r->route.v[k].destination.host;

				if (h)
					*hmap_slot(&p->inference, registry_fqdn(
						&p->c->arena, &p->reg, h,
						o->ns)) = o;
			}
		}
	}
}

/* Namespace of a mesh-internal FQDN "name.ns.svc.<domain>", else NULL. */
static const char *fqdn_ns(struct pit *p, const char *fqdn)
{
	const char *a = strchr(fqdn, '.'), *b = a ? strchr(a + 1, '.') : NULL;

	if (!b || strncmp(b, ".svc.", 5))
		return NULL;
	return arena_strndup(&p->c->arena, a + 1, (size_t)(b - a - 1));
}

bool pit_host_aps(struct pit *p, const char *fqdn, struct obj_iter *it)
{
	const struct service *s = registry_service(&p->reg, fqdn);
	const char *ns = s ? s->ns : fqdn_ns(p, fqdn);

	/* pit_ap_selects_host: only policies of that namespace or the root */
	if (!ns)
		return false;
	obj_iter_ns(it, p->c, K_AUTHORIZATION_POLICY, ns, p->c->root_ns);
	return true;
}

/* Kubernetes convention when no workload is loaded: a service's pods carry
 * app=<service name>, which is how the seed writes its selectors. */
bool pit_ap_selects_host(struct pit *p, const struct object *o,
			 const char *fqdn)
{
	const struct ap_spec *ap = obj_ap(o);
	const struct service *s = registry_service(&p->reg, fqdn);
	const char *ns = s ? s->ns : fqdn_ns(p, fqdn), *app;
	bool root = !strcmp(o->ns, p->c->root_ns);
	size_t i;

	if (!ns || (strcmp(ns, o->ns) && !root))
		return false;
	if (!ap->selector.match_labels.n)
		return !ap->target_ref.at && !ap->target_refs.n;
	if (s && s->endpoints.n) {
		for (i = 0; i < s->endpoints.n; i++) {
			const struct workload *w = s->endpoints.v[i];

			if (labels_match(&ap->selector.match_labels, w->labels))
				return true;
		}
		return false;
	}
	app = kvs_get(&ap->selector.match_labels, "app");
	return app && ap->selector.match_labels.n == 1 &&
	       !strcmp(registry_fqdn(&p->c->arena, &p->reg, app, ns), fqdn);
}

static bool ap_names_inference(const struct ap_spec *ap)
{
	size_t i, j, k;

	for (i = 0; i < ap->rules.n; i++)
		for (j = 0; j < ap->rules.v[i].to.n; j++) {
			const struct strs *ps =
				&ap->rules.v[i].to.v[j].operation.paths;

			for (k = 0; k < ps->n; k++)
				if (pit_inference_path(ps->v[k]))
					return true;
		}
	return false;
}

bool pit_inference_host(struct pit *p, const char *fqdn)
{
	struct obj_iter it;
	const struct object *o;

	if (hmap_get(&p->inference, fqdn))
		return true;
	if (!pit_host_aps(p, fqdn, &it))
		return false;
	while ((o = obj_iter_next(&it))) {
		const struct ap_spec *ap = obj_ap(o);

		if (o->invalid)
			continue;
		if ((!ap->action.set || ap->action.v == AP_ALLOW) &&
		    ap->selector.match_labels.n && ap_names_inference(ap) &&
		    pit_ap_selects_host(p, o, fqdn))
			return true;
	}
	return false;
}

const char *pit_dur(struct pit *p, int64_t ns)
{
	if (ns % 1000000000 == 0)
		return arena_printf(&p->c->arena, "%llds",
				    (long long)(ns / 1000000000));
	if (ns % 1000000 == 0)
		return arena_printf(&p->c->arena, "%lldms",
				    (long long)(ns / 1000000));
	return arena_printf(&p->c->arena, "%gs", (double)ns / 1e9);
}

const struct ynode *pit_at(const struct ynode *m, const char *key)
{
	const struct ynode *n = ynode_get(m, key);

	return n ? n : m;
}

const struct ynode *pit_item(const struct strs *s, size_t i)
{
	if (s->at && s->at->type == Y_SEQ && i < s->at->n)
		return s->at->items[i];
	return s->at;
}
