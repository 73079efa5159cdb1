// SPDX-License-Identifier: Apache-2.0
/* The service registry: what istiod's Kubernetes and ServiceEntry registries
 * would hold for the loaded objects. Analyzers and the resolved model both
 * read it, so a host means the same thing everywhere. */
#include "registry.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CLUSTER_DOMAIN "cluster.local"

/* Istio's protocol.Parse: case-insensitive, anything else unsupported. */
static const char *parse_protocol(const char *s, size_t len)
{
	static const char *const known[] = {
		"TCP", "UDP", "GRPC", "GRPC-Web", "HTTP", "HTTP_PROXY", "HTTP2",
		"HTTPS", "TLS", "Mongo", "Redis", "MySQL",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == len && !strncasecmp(s, known[i], len))
			return known[i];
	return "UNSUPPORTED";
}

const char *registry_port_protocol(const char *app_protocol, const char *name,
				   const char *protocol)
{
	const char *p = name, *dash;

	if (protocol && !strcasecmp(protocol, "UDP"))
		return "UDP";
	if (app_protocol) {
		/* Kubernetes' standard appProtocol names */
		if (!strcmp(app_protocol, "kubernetes.io/h2c"))
			return "HTTP2";
		if (!strcmp(app_protocol, "kubernetes.io/ws") ||
		    !strcmp(app_protocol, "kubernetes.io/wss"))
			return "HTTP";
		p = app_protocol;
	}
	if (!p)
		return "UNSUPPORTED";
	/* checked before the prefix split: it contains a dash itself */
	if (!strncasecmp(p, "grpc-web", 8))
		return "GRPC-Web";
	dash = strchr(p, '-');
	return parse_protocol(p, dash ? (size_t)(dash - p) : strlen(p));
}

bool registry_exported_to(const struct strs *export_to, const char *owner_ns,
			  const char *ns)
{
	size_t i;

	if (!export_to || !export_to->n)
		return true;
	for (i = 0; i < export_to->n; i++) {
		const char *e = export_to->v[i];

		if (!strcmp(e, "*") || !strcmp(e, ns) ||
		    (!strcmp(e, ".") && !strcmp(owner_ns, ns)))
			return true;
	}
	return false;
}

/* Moves a malloc'd array into the arena. */
static void *arena_move(struct arena *a, void *p, size_t n)
{
	void *q = arena_alloc(a, n ? n : 1);

	if (n)
		memcpy(q, p, n);
	free(p);
	return q;
}

static struct service *add_svc(struct registry *r, size_t *cap)
{
	if (r->n_svcs == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		r->svcs = realloc(r->svcs, *cap * sizeof(*r->svcs));
		if (!r->svcs)
			abort();
	}
	memset(&r->svcs[r->n_svcs], 0, sizeof(*r->svcs));
	return &r->svcs[r->n_svcs++];
}

static struct workload *add_wl(struct registry *r, size_t *cap)
{
	if (r->n_wls == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		r->wls = realloc(r->wls, *cap * sizeof(*r->wls));
		if (!r->wls)
			abort();
	}
	memset(&r->wls[r->n_wls], 0, sizeof(*r->wls));
	return &r->wls[r->n_wls++];
}

/* networking.istio.io/exportTo: "ns1,ns2,." */
static const struct strs *svc_export_to(struct config *c, const struct object *o)
{
	const char *v = kvs_get(&o->meta.annotations, "networking.istio.io/exportTo");
	struct strs *e;
	const char *p;

	if (!v || !*v)
		return NULL;
	e = arena_alloc(&c->arena, sizeof(*e));
	e->v = arena_alloc(&c->arena, (strlen(v) / 2 + 2) * sizeof(*e->v));
	for (p = v; ; ) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		e->v[e->n++] = arena_strndup(&c->arena, p, len);
		if (!comma)
			break;
		p = comma + 1;
	}
	return e;
}

static void add_k8s_service(struct registry *r, size_t *cap, struct config *c,
			    struct object *o)
{
	const struct k8s_service_spec *sp = obj_svc(o);
	struct service *s = add_svc(r, cap);
	size_t i;

	s->obj = o;
	s->name = o->meta.name;
	s->ns = o->ns;
	s->host = arena_printf(&c->arena, "%s.%s.svc.%s", o->meta.name, o->ns,
			       r->domain);
	s->export_to = svc_export_to(c, o);
	if (!sp)
		return;
	s->selector = &sp->selector;
	if (sp->cluster_ip && strcasecmp(sp->cluster_ip, "None"))
		s->vip = sp->cluster_ip;
	s->ports = arena_alloc(&c->arena, (sp->ports.n + 1) * sizeof(*s->ports));
	for (i = 0; i < sp->ports.n; i++) {
		const struct k8s_port *kp = &sp->ports.v[i];
		struct svc_port_info *pi = &s->ports[s->n_ports++];

		pi->port = (uint32_t)kp->port.v;
		pi->name = kp->name;
		if (kp->target_port && isdigit((unsigned char)kp->target_port[0]))
			pi->target_port = (uint32_t)strtoul(kp->target_port,
							    NULL, 10);
		pi->protocol = registry_port_protocol(kp->app_protocol,
						      kp->name, kp->protocol);
	}
}

static void fill_se_ports(struct service *s, struct config *c,
			  const struct se_spec *se)
{
	size_t i;

	s->ports = arena_alloc(&c->arena, (se->ports.n + 1) * sizeof(*s->ports));
	for (i = 0; i < se->ports.n; i++) {
		const struct svc_port *sp = &se->ports.v[i];
		struct svc_port_info *pi = &s->ports[s->n_ports++];

		pi->port = (uint32_t)sp->number.v;
		pi->target_port = (uint32_t)sp->target_port.v;
		pi->name = sp->name;
		pi->protocol = sp->protocol ?
			parse_protocol(sp->protocol, strlen(sp->protocol)) :
			"UNSUPPORTED";
	}
}

/* The address the control plane allocated to <host>, if any. */
static const char *se_status_addr(const struct object *o, const char *host)
{
	const struct se_status *st = o->status_typed;
	size_t i;

	if (!st)
		return NULL;
	for (i = 0; i < st->addresses.n; i++)
		if (st->addresses.v[i].host && st->addresses.v[i].value &&
		    !strcmp(st->addresses.v[i].host, host))
			return st->addresses.v[i].value;
	return NULL;
}

/* One service per host, as istiod's ServiceEntry registry does. */
static void add_service_entry(struct registry *r, size_t *cap,
			      struct config *c, struct object *o)
{
	const struct se_spec *se = obj_se(o);
	size_t h;

	for (h = 0; se && h < se->hosts.n; h++) {
		struct service *s = add_svc(r, cap);

		s->obj = o;
		s->se = se;
		s->host = se->hosts.v[h];
		s->name = s->host;
		s->ns = o->ns;
		s->external = !se->location.set ||
			      se->location.v == SE_MESH_EXTERNAL;
		s->export_to = &se->export_to;
		if (se->workload_selector.at)
			s->selector = &se->workload_selector.labels;
		s->vip = se->addresses.n ? se->addresses.v[0] :
					   se_status_addr(o, s->host);
		fill_se_ports(s, c, se);
	}
}

/* The first valid Node of each name, so that every Pod finds its Node
 * without a scan of all objects. */
static void index_nodes(struct hmap *nodes, struct config *c)
{
	hmap_init(nodes, &c->arena);
	for_each_obj(c, o, K_NODE) {
		void **slot;

		if (!o->meta.name)
			continue;
		slot = hmap_slot(nodes, o->meta.name);
		if (!*slot)
			*slot = o;
	}
}

static const struct kvs *node_labels(const struct hmap *nodes,
				     const char *node)
{
	const struct object *o = node ? hmap_get(nodes, node) : NULL;

	return o ? &o->meta.labels : NULL;
}

static const char *status_str(const struct object *o, const char *key)
{
	const struct ynode *n = ynode_get(o->status, key);

	return n && n->type == Y_SCALAR ? n->str : NULL;
}

static void annotate(struct workload *w, const struct object *o)
{
	const char *v;

	if ((v = kvs_get(&o->meta.annotations, "infermesh.io/node")))
		w->node = v;
	if ((v = kvs_get(&o->meta.annotations, "infermesh.io/cgroup")))
		w->cgroup = v;
}

static void add_pod(struct registry *r, size_t *cap,
		    const struct hmap *nodes, struct object *o)
{
	const struct pod_spec *p = obj_pod(o);
	struct workload *w = add_wl(r, cap);

	w->obj = o;
	w->name = o->meta.name;
	w->ns = o->ns;
	w->labels = &o->meta.labels;
	w->service_account = p && p->service_account_name ?
			     p->service_account_name : "default";
	w->address = status_str(o, "podIP");
	w->node = p ? p->node_name : NULL;
	w->hostname = w->node;
	w->weight = 1;
	annotate(w, o);
	w->node_labels = node_labels(nodes, p ? p->node_name : NULL);
}

static void fill_we(struct workload *w, const struct we_spec *we)
{
	w->we = we;
	w->labels = &we->labels;
	w->service_account = we->service_account ? we->service_account :
						   "default";
	w->address = we->address;
	w->locality = we->locality;
	w->weight = we->weight.set && we->weight.v ? (uint32_t)we->weight.v : 1;
}

static void add_workload_entry(struct registry *r, size_t *cap,
			       struct object *o)
{
	struct workload *w = add_wl(r, cap);
	const struct we_spec *we = obj_we(o);

	w->obj = o;
	w->name = o->meta.name;
	w->ns = o->ns;
	if (we)
		fill_we(w, we);
	annotate(w, o);
}

static void add_se_endpoints(struct registry *r, size_t *cap,
			     struct object *o)
{
	const struct se_spec *se = obj_se(o);
	size_t i;

	for (i = 0; se && i < se->endpoints.n; i++) {
		struct workload *w = add_wl(r, cap);

		w->obj = o;
		w->name = o->meta.name;
		w->ns = o->ns;
		fill_we(w, &se->endpoints.v[i]);
	}
}

/* Objects of kind <k> the registry reads, in load order. */
#define for_each_reg(c, o, k, all) \
	for (size_t _j_##o = 0; _j_##o < (c)->n; _j_##o++) \
		for (struct object *o = (c)->objs[_j_##o]; o; o = NULL) \
			if (o->kind == (k) && o->spec && (all || !o->invalid))

/* The key of a label of namespace <ns> in <buf>; like snprintf, returns
 * the length it needs. Lengths keep (ns, key, value) triples apart. */
static int label_key(char *buf, size_t size, const char *ns,
		     const struct kv *kv)
{
	return snprintf(buf, size, "%zu:%s%zu:%s%s", strlen(ns), ns,
			strlen(kv->key), kv->key, kv->val ? kv->val : "");
}

static const char *label_key_dup(struct arena *a, const char *ns,
				 const struct kv *kv)
{
	size_t n = (size_t)label_key(NULL, 0, ns, kv) + 1;
	char *k = arena_alloc(a, n);

	label_key(k, n, ns, kv);
	return k;
}

static const struct hlist *label_list(const struct registry *r,
				      const char *ns, const struct kv *kv)
{
	char buf[256], *k = buf;
	size_t n = (size_t)label_key(buf, sizeof(buf), ns, kv);
	const struct hlist *l;

	if (n >= sizeof(buf)) {
		k = malloc(n + 1);
		if (!k)
			abort();
		label_key(k, n + 1, ns, kv);
	}
	l = hmap_getn(&r->wl_label, k, n);
	if (k != buf)
		free(k);
	return l;
}

/* Pods and WorkloadEntries by each of their labels. */
static void index_labels(struct registry *r, struct config *c)
{
	size_t i, j;

	hmap_init(&r->wl_label, &c->arena);
	for (i = 0; i < r->n_wls; i++) {
		struct workload *w = &r->wls[i];

		if (w->obj->kind == K_SERVICE_ENTRY || !w->labels)
			continue;
		for (j = 0; j < w->labels->n; j++) {
			void **slot = hmap_slot(&r->wl_label, label_key_dup(
					&c->arena, w->ns, &w->labels->v[j]));
			struct hlist *l = *slot;

			if (!l)
				*slot = l = arena_alloc(&c->arena, sizeof(*l));
			/* a label written twice files the workload once */
			if (!l->n || l->v[l->n - 1] != w)
				hlist_push(&c->arena, l, w);
		}
	}
}

void *const *registry_selector_candidates(const struct registry *r,
					  const char *ns,
					  const struct kvs *sel, size_t *n)
{
	const struct hlist *best = NULL, *l;
	size_t i;

	if (!sel || !sel->n)
		return registry_ns_workloads(r, ns, n);
	for (i = 0; i < sel->n; i++) {
		l = label_list(r, ns, &sel->v[i]);
		if (!l || !best || l->n < best->n)
			best = l;
		if (!l)
			break; /* no workload carries this pair */
	}
	*n = best ? best->n : 0;
	return best ? best->v : NULL;
}

/* registry_selects over the candidates, then the inline endpoints of a
 * ServiceEntry (<inline>: by object), which the registry lists after
 * every Pod and WorkloadEntry. */
static void find_endpoints(struct registry *r, struct config *c,
			   const struct hmap *inline_eps, struct service *s)
{
	size_t i, n = 0;
	void *const *v = NULL;

	if (s->selector && s->selector->n)
		v = registry_selector_candidates(r, s->ns, s->selector, &n);
	for (i = 0; i < n; i++)
		if (registry_selects(s, v[i]))
			hlist_push(&c->arena, &s->endpoints, v[i]);
	if (!s->se)
		return;
	v = hmap_list(inline_eps, s->obj->resource, &n);
	for (i = 0; i < n; i++)
		if (registry_selects(s, v[i]))
			hlist_push(&c->arena, &s->endpoints, v[i]);
}

static void build_indexes(struct registry *r, struct config *c)
{
	struct hmap inline_eps;
	size_t i;

	hmap_init(&r->by_host, &c->arena);
	hmap_init(&r->by_fqdn, &c->arena);
	hmap_init(&r->svc_ns, &c->arena);
	hmap_init(&r->wl_ns, &c->arena);
	for (i = 0; i < r->n_svcs; i++) {
		struct service *s = &r->svcs[i];

		if (s->host) {
			hmap_push(&r->by_host, s->host, s);
			hmap_push(&r->by_fqdn, s->se ? registry_fqdn(&c->arena,
					r, s->host, s->ns) : s->host, s);
		}
		if (s->se && s->host && s->host[0] == '*')
			hlist_push(&c->arena, &r->wild_ses, s);
		hmap_push(&r->svc_ns, s->ns, s);
	}
	for (i = 0; i < r->n_wls; i++)
		hmap_push(&r->wl_ns, r->wls[i].ns, &r->wls[i]);
	index_labels(r, c);
	/* by resource name: ServiceEntries of one name share it, and
	 * registry_selects tells their endpoints apart */
	hmap_init(&inline_eps, &c->arena);
	for (i = 0; i < r->n_wls; i++)
		if (r->wls[i].obj->kind == K_SERVICE_ENTRY)
			hmap_push(&inline_eps, r->wls[i].obj->resource,
				  &r->wls[i]);
	for (i = 0; i < r->n_svcs; i++)
		find_endpoints(r, c, &inline_eps, &r->svcs[i]);
}

static void build(struct registry *r, struct config *c, bool all)
{
	size_t scap = 0, wcap = 0;
	struct hmap nodes;

	memset(r, 0, sizeof(*r));
	index_nodes(&nodes, c);
	r->domain = CLUSTER_DOMAIN;
	/* Services before ServiceEntries: a lookup of a host both define
	 * finds the Kubernetes Service, as istiod's aggregate registry does */
	for_each_reg(c, o, K_SERVICE, all)
		add_k8s_service(r, &scap, c, o);
	for_each_reg(c, o, K_SERVICE_ENTRY, all)
		add_service_entry(r, &scap, c, o);
	for_each_reg(c, o, K_POD, all)
		add_pod(r, &wcap, &nodes, o);
	for_each_reg(c, o, K_WORKLOAD_ENTRY, all)
		add_workload_entry(r, &wcap, o);
	for_each_reg(c, o, K_SERVICE_ENTRY, all)
		add_se_endpoints(r, &wcap, o);
	/* the registry lives as long as the config, like everything else */
	r->svcs = arena_move(&c->arena, r->svcs, r->n_svcs * sizeof(*r->svcs));
	r->wls = arena_move(&c->arena, r->wls, r->n_wls * sizeof(*r->wls));
	build_indexes(r, c);
}

void registry_build(struct registry *r, struct config *c)
{
	build(r, c, false);
}

void registry_build_all(struct registry *r, struct config *c)
{
	build(r, c, true);
}

const char *registry_label(const struct workload *w, const char *key)
{
	static const char *const topo[] = {
		"topology.kubernetes.io/region", "topology.kubernetes.io/zone",
		"topology.istio.io/subzone",
	};
	const char *v = w->labels ? kvs_get(w->labels, key) : NULL;
	size_t i;

	if (v)
		return v;
	if (w->hostname && !strcmp(key, "kubernetes.io/hostname"))
		return w->hostname;
	for (i = 0; w->node_labels && i < sizeof(topo) / sizeof(topo[0]); i++) {
		if (strcmp(key, topo[i]))
			continue;
		v = kvs_get(w->node_labels, key);
		/* an empty node label is no topology */
		return v && *v ? v : NULL;
	}
	return NULL;
}

bool registry_labels_match(const struct kvs *sel, const struct workload *w)
{
	size_t i;

	for (i = 0; sel && i < sel->n; i++) {
		const char *v = registry_label(w, sel->v[i].key);

		if (!v || strcmp(v, sel->v[i].val ? sel->v[i].val : ""))
			return false;
	}
	return true;
}


static bool is_ip_literal(const char *h)
{
	/* IPv6 has no dot to stop the expansion, so check it; IPv4 has dots */
	return strchr(h, ':') != NULL;
}

const char *registry_fqdn(struct arena *a, const struct registry *r,
			  const char *host, const char *ns)
{
	/* ResolveShortnameToFQDN: only a name without any dot is short;
	 * "reviews.default" is taken as written */
	if (!host || !*host || !strcmp(host, "*") || strchr(host, '.') ||
	    is_ip_literal(host) || !ns)
		return host;
	return arena_printf(a, "%s.%s.svc.%s", host, ns,
			    r && r->domain ? r->domain : CLUSTER_DOMAIN);
}

const struct service *registry_service(const struct registry *r,
				       const char *fqdn)
{
	size_t n;
	void *const *v = registry_host_services(r, fqdn, &n);

	return n ? v[0] : NULL;
}

void *const *registry_host_services(const struct registry *r,
				    const char *host, size_t *n)
{
	return hmap_list(&r->by_host, host, n);
}

void *const *registry_fqdn_services(const struct registry *r,
				    const char *fqdn, size_t *n)
{
	return hmap_list(&r->by_fqdn, fqdn, n);
}

void *const *registry_ns_services(const struct registry *r, const char *ns,
				  size_t *n)
{
	return hmap_list(&r->svc_ns, ns, n);
}

void *const *registry_ns_workloads(const struct registry *r, const char *ns,
				   size_t *n)
{
	return hmap_list(&r->wl_ns, ns, n);
}

bool registry_selects(const struct service *s, const struct workload *w)
{
	/* inline endpoints belong to their own ServiceEntry only */
	if (w->obj->kind == K_SERVICE_ENTRY)
		return w->obj == s->obj;
	if (strcmp(s->ns, w->ns))
		return false;
	/* a Service without a selector gets no endpoints from pods */
	if (!s->selector || !s->selector->n || !w->labels)
		return false;
	/* a ServiceEntry's workloadSelector also picks Pods and WEs; a
	 * Kubernetes Service selects WorkloadEntries too (istiod does) */
	return labels_match(s->selector, w->labels);
}
