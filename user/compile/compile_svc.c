// SPDX-License-Identifier: Apache-2.0
/* Services, routes, subsets and endpoints: what connect4 needs to send a
 * connection to a service address straight to an endpoint. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

#define CT_WEIGHT_SCALE 10000	/* a route's shares, in 1/10000 */

/* ---- (service, subset, port) -> subset index ---- */

struct sub_key {
	const struct model_service *s;
	const char *name;	/* NULL: the whole service */
	uint32_t port;
	uint32_t idx;		/* subset index + 1; 0 = empty slot */
};

struct sub_map {
	struct sub_key *v;
	size_t cap, n;
};

static size_t sub_hash(const struct sub_key *k, size_t cap)
{
	size_t h = (size_t)k->s * 31 + k->port;
	const char *p;

	for (p = k->name; p && *p; p++)
		h = h * 131 + (unsigned char)*p;
	return h & (cap - 1);
}

static bool sub_eq(const struct sub_key *a, const struct sub_key *b)
{
	return a->s == b->s && a->port == b->port &&
	       (a->name == b->name ||
		(a->name && b->name && !strcmp(a->name, b->name)));
}

static struct sub_key *sub_slot(const struct sub_map *m,
				const struct sub_key *k)
{
	size_t i = sub_hash(k, m->cap);

	while (m->v[i].idx && !sub_eq(&m->v[i], k))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static int sub_put(struct sub_map *m, const struct sub_key *k)
{
	if (2 * (m->n + 1) > m->cap) {
		struct sub_map big = { .cap = m->cap ? m->cap * 2 : 64 };
		size_t i;

		big.v = calloc(big.cap, sizeof(*big.v));
		if (!big.v)
			return -ENOMEM;
		for (i = 0; i < m->cap; i++)
			if (m->v[i].idx)
				*sub_slot(&big, &m->v[i]) = m->v[i];
		big.n = m->n;
		free(m->v);
		*m = big;
	}
	*sub_slot(m, k) = *k;
	m->n++;
	return 0;
}

/* ---- lookups in the model ---- */

struct svc_ctx {
	const struct compile_in *in;
	struct tables *t;
	struct sub_map subs;
	uint32_t *svc_base;	/* svc_id of port 0 of each model service */
	struct ct_client client;	/* the node's, for locality */
};

static const struct svc_port_info *port_info(const struct service *svc,
					     uint32_t port)
{
	size_t i;

	for (i = 0; svc && i < svc->n_ports; i++)
		if (svc->ports[i].port == port)
			return &svc->ports[i];
	return NULL;
}

static uint32_t svc_id_of(const struct svc_ctx *c,
			  const struct model_service *s, uint32_t port)
{
	size_t i = s - c->in->m->svcs;

	for (size_t j = 0; s->svc && j < s->svc->n_ports; j++)
		if (s->svc->ports[j].port == port)
			return c->svc_base[i] + (uint32_t)j + 1;
	return 0;
}

/* The workload port behind service port <pi>: the WorkloadEntry's port of
 * that name, else targetPort, else the port itself. */
static uint32_t ep_port(const struct svc_port_info *pi,
			const struct workload *w)
{
	size_t i;

	if (w && w->we && pi->name)
		for (i = 0; i < w->we->ports.n; i++)
			if (w->we->ports.v[i].key && w->we->ports.v[i].number.set &&
			    !strcmp(w->we->ports.v[i].key, pi->name))
				return (uint32_t)w->we->ports.v[i].number.v;
	return pi->target_port ? pi->target_port : pi->port;
}

static const struct subset_eff *find_subset(const struct model_service *s,
					    const char *name)
{
	size_t i;

	if (!name)
		return s->n_subsets ? &s->subsets[0] : NULL;
	for (i = 1; i < s->n_subsets; i++)
		if (s->subsets[i].name && !strcmp(s->subsets[i].name, name))
			return &s->subsets[i];
	return NULL;
}

/* The policy of (subset, port): the port's own, else the one for all. */
static const struct policy_eff *find_policy(const struct subset_eff *e,
					    uint32_t port)
{
	const struct policy_eff *any = NULL;
	size_t i;

	for (i = 0; i < e->n_policies; i++) {
		if (e->policies[i].port == port)
			return &e->policies[i];
		if (!e->policies[i].port)
			any = &e->policies[i];
	}
	return any;
}

/* ---- one subset ---- */

static int collect_eps(struct svc_ctx *c, const struct subset_eff *e,
		       const struct svc_port_info *pi, struct ct_lb_ep **out,
		       size_t *n)
{
	size_t i, skipped = 0;
	uint32_t ip;

	*n = 0;
	*out = calloc(e->n_eps + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < e->n_eps; i++) {
		struct ct_lb_ep *x = &(*out)[*n];

		if (!ct_ipv4(e->eps[i].address, &ip)) {
			skipped++;
			continue;
		}
		x->e = &e->eps[i];
		x->ep.ip = ip;
		x->ep.port = htons((uint16_t)ep_port(pi, e->eps[i].wl));
		x->ep.weight = e->eps[i].weight;
		(*n)++;
	}
	if (skipped)
		ct_note(c->t, "%zu endpoint(s) of %s without an IPv4 address "
			"are left out of the kernel tables", skipped,
			pi->name ? pi->name : "a service port");
	return 0;
}

/* By priority (the kernel reads P0 first), then locality (LEAST_REQUEST
 * draws its second host within one locality, a run of endpoints), else
 * in the model's order. */
static int cmp_prio_loc(const void *a, const void *b)
{
	const struct ct_lb_ep *x = a, *y = b;

	if (x->ep.prio != y->ep.prio)
		return x->ep.prio < y->ep.prio ? -1 : 1;
	if (x->ep.loc != y->ep.loc)
		return x->ep.loc < y->ep.loc ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

static void sort_by_prio(struct ct_lb_ep *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_prio_loc);
}

static int push_eps(struct svc_ctx *c, struct im_subset *sub,
		    const struct ct_lb_ep *v, size_t n)
{
	size_t i;

	sub->first_ep = (uint32_t)c->t->n_eps;
	sub->n_ep = (uint16_t)n;
	for (i = 0; i < n; i++) {
		struct im_ep *ep = CT_PUSH(c->t, eps);
		struct ct_endpoint *ce = CT_PUSH(c->t, endpoints);

		if (!ep || !ce)
			return -ENOMEM;
		*ep = v[i].ep;
		ce->ip = v[i].ep.ip;
		ce->wl = v[i].e->wl;
		ce->locality = v[i].e->locality;
	}
	return 0;
}

/* A subset over IM_SUBSET_EPS: every object giving it an endpoint is
 * recorded (the agent rejects the new ones), and the subset stays empty,
 * so connections routed there are refused until it fits. */
static int too_many_eps(struct svc_ctx *c, const struct model_service *ds,
			const struct subset_eff *e,
			const struct svc_port_info *pi,
			const struct ct_lb_ep *v, size_t n)
{
	const char *what = arena_printf(&c->t->arena, "subset %s of %s port "
					"%u would hold %zu endpoints, the "
					"kernel tables hold %u per subset",
					e->name ? e->name : "(all)", ds->host,
					pi->port, n, IM_SUBSET_EPS);
	size_t i;
	int err = what ? 0 : -ENOMEM;

	for (i = 0; !err && i < n; i++)
		err = ct_overflow(c->t, v[i].e->wl ? v[i].e->wl->obj : NULL,
				  what);
	return err;
}

static int fill_eps(struct svc_ctx *c, const struct model_service *ds,
		    const struct subset_eff *e, const struct policy_eff *pol,
		    const struct svc_port_info *pi, struct im_subset *sub)
{
	struct ct_lb_ep *v;
	size_t n;
	int err = collect_eps(c, e, pi, &v, &n);

	if (err)
		return err;
	ct_locality_note(c->t, ds->host, pol, &c->client);
	n = ct_locality(pol, &c->client, v, n);
	if (n > IM_SUBSET_EPS) {
		err = too_many_eps(c, ds, e, pi, v, n);
		free(v);
		return err;
	}
	sort_by_prio(v, n);
	err = push_eps(c, sub, v, n);
	free(v);
	return err;
}

static int build_subset(struct svc_ctx *c, const struct model_service *ds,
			const char *name, uint32_t port, struct im_subset *sub)
{
	const struct svc_port_info *pi = port_info(ds->svc, port);
	const struct subset_eff *e = find_subset(ds, name);
	const struct policy_eff *pol;

	sub->svc_id = svc_id_of(c, ds, port);
	sub->first_ep = (uint32_t)c->t->n_eps;
	sub->connect_ms = CT_CONNECT_MS;
	if (!e) {
		ct_note(c->t, "%s has no subset %s: connections routed there "
			"are refused, as Istio answers 503", ds->host, name);
		return 0;
	}
	if (!pi) {
		ct_note(c->t, "%s has no port %u: connections routed there "
			"are refused, as Istio answers 503", ds->host, port);
		return 0;
	}
	pol = find_policy(e, port);
	if (pol)
		ct_subset_policy(pol, sub);
	return fill_eps(c, ds, e, pol, pi, sub);
}

/* The index of (ds, name, port) in the subset table, built when new. */
static int subset_index(struct svc_ctx *c, const struct model_service *ds,
			const char *name, uint32_t port, uint32_t *idx)
{
	struct sub_key k = { .s = ds, .name = name, .port = port };
	struct im_subset sub = { 0 }, *slot;
	char buf[512];
	int err;

	if (c->subs.cap && sub_slot(&c->subs, &k)->idx) {
		*idx = sub_slot(&c->subs, &k)->idx - 1;
		return 0;
	}
	err = build_subset(c, ds, name, port, &sub);
	if (err)
		return err;
	*idx = (uint32_t)c->t->n_subsets;
	slot = CT_PUSH(c->t, subsets);
	if (!slot)
		return -ENOMEM;
	k.idx = *idx + 1;
	snprintf(buf, sizeof(buf), "outbound|%u|%s|%s", port,
		 name ? name : "", ds->host);
	sub.cluster = im_cluster_id(buf);
	*slot = sub;
	err = CT_NAME(c->t, subset_names, *idx, buf);
	return err ? err : sub_put(&c->subs, &k);
}

/* ---- the route an L4 connection to (service, port) takes ---- */

/* A match that tests nothing but the port, or nothing at all. */
static bool http_match_l4(const struct http_match *mt, uint32_t port)
{
	if (mt->uri.at || mt->scheme.at || mt->method.at || mt->authority.at ||
	    mt->headers.n || mt->without_headers.n || mt->query_params.n ||
	    mt->source_labels.n || mt->gateways.n || mt->source_namespace)
		return false;
	return !mt->port.set || (uint32_t)mt->port.v == port;
}

static bool http_route_l4(const struct http_route_eff *h, uint32_t port)
{
	size_t i;

	if (h->action != RA_ROUTE)
		return false;
	if (!h->r || !h->r->match.n)
		return true;
	for (i = 0; i < h->r->match.n; i++)
		if (http_match_l4(&h->r->match.v[i], port))
			return true;
	return false;
}

static bool l4_match_l4(const struct l4_match *mt, uint32_t port)
{
	if (mt->destination_subnets.n || mt->sni_hosts.n ||
	    mt->source_labels.n || mt->gateways.n || mt->source_namespace ||
	    mt->source_subnet)
		return false;
	return !mt->port.set || (uint32_t)mt->port.v == port;
}

static bool tcp_route_l4(const struct l4_route_eff *l, uint32_t port)
{
	size_t i;

	if (!l->r || !l->r->match.n)
		return true;
	for (i = 0; i < l->r->match.n; i++)
		if (l4_match_l4(&l->r->match.v[i], port))
			return true;
	return false;
}

static bool proto_http(const char *p)
{
	return p && (!strncmp(p, "HTTP", 4) || !strncmp(p, "GRPC", 4) ||
		     !strcmp(p, "UNSUPPORTED"));
}

struct l4_choice {
	const struct dest_eff *d;
	size_t n;
	char name[256];
};

static void name_choice(const struct model_service *s, const char *kind,
			size_t i, struct l4_choice *ch)
{
	if (s->vs)
		snprintf(ch->name, sizeof(ch->name), "%s %s[%zu]",
			 s->vs->resource, kind, i);
	else
		snprintf(ch->name, sizeof(ch->name), "%s default", s->host);
}

/* HTTP ports take http routes, then tcp ones (a sniffed port may carry
 * either); other ports tcp routes only. */
static bool choose_route(const struct model_service *s,
			 const struct svc_port_info *pi, struct l4_choice *ch)
{
	size_t i;

	for (i = 0; proto_http(pi->protocol) && i < s->n_http; i++) {
		if (!http_route_l4(&s->http[i], pi->port))
			continue;
		ch->d = s->http[i].dests;
		ch->n = s->http[i].n_dests;
		name_choice(s, "http", s->http[i].index, ch);
		return true;
	}
	for (i = 0; i < s->n_tcp; i++) {
		if (!tcp_route_l4(&s->tcp[i], pi->port))
			continue;
		ch->d = s->tcp[i].dests;
		ch->n = s->tcp[i].n_dests;
		name_choice(s, "tcp", s->tcp[i].index, ch);
		return true;
	}
	return false;
}

/* The port a destination names, else the one the caller dialled. */
static uint32_t dest_port(const struct dest_eff *d,
			  const struct model_service *ds, uint32_t port)
{
	if (d->port)
		return d->port;
	if (ds->svc && ds->svc->n_ports == 1 && !port_info(ds->svc, port))
		return ds->svc->ports[0].port;
	return port;
}

static uint32_t share_weight(double share)
{
	uint32_t w = (uint32_t)(share * CT_WEIGHT_SCALE + 0.5);

	return share > 0 && !w ? 1 : w;
}

static const struct model_service *dest_service(const struct svc_ctx *c,
						const struct model_service *s,
						const char *host)
{
	if (!host)
		return NULL;
	return !strcmp(host, s->host) ? s : model_service(c->in->m, host);
}

/* The destinations of <ch> the route would hold (weight above 0). */
static size_t n_dests(const struct l4_choice *ch)
{
	size_t i, n = 0;

	for (i = 0; i < ch->n; i++)
		n += share_weight(ch->d[i].share) != 0;
	return n;
}

/* A route over IM_ROUTE_DSTS: its VirtualService is recorded (the agent
 * rejects it) and the route keeps no destination: refused until it fits. */
static int too_many_dests(struct svc_ctx *c, const struct model_service *s,
			  size_t n)
{
	const char *what = arena_printf(&c->t->arena, "a route of %s would "
					"have %zu weighted destinations, the "
					"kernel tables hold %u per route",
					s->host, n, IM_ROUTE_DSTS);

	return what ? ct_overflow(c->t, s->vs, what) : -ENOMEM;
}

static int add_dest(struct svc_ctx *c, const struct model_service *s,
		    const struct dest_eff *d, uint32_t port,
		    struct im_route *rt)
{
	const struct model_service *ds = dest_service(c, s, d->host);
	uint32_t w = share_weight(d->share), sub;
	int err;

	if (!w)
		return 0;
	if (!ds || !ds->svc) {
		ct_note(c->t, "%s: destination %s is not a known service: "
			"its share of connections is refused", s->host,
			d->host ? d->host : "(none)");
		ds = NULL;
	}
	if (rt->n_dst == IM_ROUTE_DSTS)
		return -E2BIG;	/* compile_route counted them first */
	if (ds) {
		err = subset_index(c, ds, d->subset, dest_port(d, ds, port),
				   &sub);
		if (err)
			return err;
	} else {
		sub = IM_MAX_SUBSETS;	/* no subset: connect4 refuses */
	}
	rt->dst[rt->n_dst].subset = sub;
	rt->dst[rt->n_dst++].weight = w;
	return 0;
}

static int compile_route(struct svc_ctx *c, const struct model_service *s,
			 const struct svc_port_info *pi, uint32_t *idx)
{
	struct dest_eff self = { .host = s->host, .share = 1.0 };
	struct l4_choice ch = { .d = &self, .n = 1 };
	struct im_route rt = { 0 }, *slot;
	size_t i;
	int err;

	if (!choose_route(s, pi, &ch))
		snprintf(ch.name, sizeof(ch.name), "%s port %u: no "
			 "unconditional route, the service itself", s->host,
			 pi->port);
	if (n_dests(&ch) > IM_ROUTE_DSTS)
		err = too_many_dests(c, s, n_dests(&ch));	/* no dests */
	else
		for (i = 0, err = 0; !err && i < ch.n; i++)
			err = add_dest(c, s, &ch.d[i], pi->port, &rt);
	if (err)
		return err;
	*idx = (uint32_t)c->t->n_routes;
	slot = CT_PUSH(c->t, routes);
	if (!slot)
		return -ENOMEM;
	*slot = rt;
	return CT_NAME(c->t, route_names, *idx, ch.name);
}

/* Numbers every (service, port) of the model and names it. */
static int number_services(struct svc_ctx *c)
{
	const struct model *m = c->in->m;
	uint32_t next = 0;
	char buf[512];
	size_t i, j;

	c->svc_base = calloc(m->n_svcs + 1, sizeof(*c->svc_base));
	if (!c->svc_base)
		return -ENOMEM;
	for (i = 0; i < m->n_svcs; i++) {
		const struct service *svc = m->svcs[i].svc;

		c->svc_base[i] = next;
		for (j = 0; svc && j < svc->n_ports; j++) {
			snprintf(buf, sizeof(buf), "%s:%u", m->svcs[i].host,
				 svc->ports[j].port);
			if (CT_NAME(c->t, svc_names, ++next, buf))
				return -ENOMEM;
		}
	}
	return 0;
}

static int compile_service(struct svc_ctx *c, const struct model_service *s)
{
	uint32_t vip, route;
	size_t j;
	int err;

	if (!s->svc || s->svc->external)
		return 0;	/* egress is not balanced here */
	if (!ct_ipv4(s->svc->vip, &vip)) {
		ct_note(c->t, "%s has no IPv4 service address (clusterIP): "
			"connections to it are not balanced by the kernel",
			s->host);
		return 0;
	}
	for (j = 0; j < s->svc->n_ports; j++) {
		const struct svc_port_info *pi = &s->svc->ports[j];
		struct ct_svc *e;

		err = compile_route(c, s, pi, &route);
		if (err)
			return err;
		e = CT_PUSH(c->t, svcs);
		if (!e)
			return -ENOMEM;
		e->vip = vip;
		e->port = htons((uint16_t)pi->port);
		e->v.svc_id = svc_id_of(c, s, pi->port);
		e->v.route = route;
	}
	return 0;
}

int ct_services(const struct compile_in *in, struct tables *t)
{
	struct svc_ctx c = { .in = in, .t = t };
	size_t i;
	int err = ct_client_init(&c.client, in, t->locality);

	if (!err)
		err = number_services(&c);
	for (i = 0; !err && i < in->m->n_svcs; i++)
		err = compile_service(&c, &in->m->svcs[i]);
	ct_client_free(&c.client);
	free(c.svc_base);
	free(c.subs.v);
	return err;
}
