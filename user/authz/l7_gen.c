// SPDX-License-Identifier: Apache-2.0
/*
 * Building one L7 generation (see l7.h) from the resolved model: for each
 * local workload with an IPv4 address, its enforced policies as written
 * (HTTP fields kept: on a port judged per request nothing is reduced),
 * each value classified once here so a request only compares bytes.
 * AUDIT and dry-run policies never change a verdict and are left out.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "l7_int.h"

_Static_assert((int)L7F_HTTP == (int)L7_HTTP &&
	       (int)L7F_HTTP2 == (int)L7_HTTP2, "one numbering");

static struct l7_pats pats(struct arena *a, const struct strs *s, bool path)
{
	struct l7_pats out = { arena_alloc(a, (s->n + 1) * sizeof(*out.v)),
			       s->n };
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct l7_pat *p = &out.v[i];
		const char *v = s->v[i];
		size_t l = strlen(v);

		p->s = v;
		p->len = l;
		if (!strcmp(v, "*"))
			p->kind = PK_ANY;
		else if (path && (strstr(v, "{*}") || strstr(v, "{**}")))
			p->kind = PK_TEMPLATE;
		else if (l && v[l - 1] == '*')
			p->kind = PK_PREFIX, p->len = l - 1;
		else if (v[0] == '*')
			p->kind = PK_SUFFIX, p->s = v + 1, p->len = l - 1;
		else
			p->kind = PK_EXACT;
		p->s = arena_strndup(a, p->s, p->len);
	}
	return out;
}

/* "a.b.c.d[/len]"; false for anything else (IPv6 included). */
static bool cidr4(const char *s, uint32_t *ip, uint32_t *mask)
{
	char buf[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen = 32;
	char *end;

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (slash) {
		plen = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || plen > 32)
			return false;
	}
	if (inet_pton(AF_INET, buf, ip) != 1)
		return false;
	*mask = plen ? htonl(~0U << (32 - plen)) : 0;
	*ip &= *mask;
	return true;
}

static struct l7_nets nets(struct arena *a, const struct strs *s)
{
	struct l7_nets out = { .set = s->n > 0 };
	size_t i;

	out.v = arena_alloc(a, (s->n + 1) * sizeof(*out.v));
	for (i = 0; i < s->n; i++)
		if (cidr4(s->v[i], &out.v[out.n].ip, &out.v[out.n].mask))
			out.n++;
	return out;
}

/* serviceAccounts "ns/sa" or "sa" (the policy's namespace) as "NS/SA". */
static struct l7_pats sas(struct arena *a, const struct strs *s,
			  const char *pol_ns)
{
	struct l7_pats out = { arena_alloc(a, (s->n + 1) * sizeof(*out.v)),
			       s->n };
	size_t i;

	for (i = 0; i < s->n; i++) {
		const char *v = s->v[i];

		out.v[i].s = strchr(v, '/') ? arena_strdup(a, v)
					    : arena_printf(a, "%s/%s", pol_ns, v);
		out.v[i].len = strlen(out.v[i].s);
		out.v[i].kind = PK_EXACT;
	}
	return out;
}

static void copy_src(struct arena *a, const struct ap_source *s,
		     const char *pol_ns, struct l7_src *o)
{
	o->princ = pats(a, &s->principals, false);
	o->notprinc = pats(a, &s->not_principals, false);
	o->sa = sas(a, &s->service_accounts, pol_ns);
	o->notsa = sas(a, &s->not_service_accounts, pol_ns);
	o->td = pats(a, &s->trust_domains, false);
	o->nottd = pats(a, &s->not_trust_domains, false);
	o->ns = pats(a, &s->namespaces, false);
	o->notns = pats(a, &s->not_namespaces, false);
	o->reqp = pats(a, &s->request_principals, false);
	o->notreqp = pats(a, &s->not_request_principals, false);
	o->ip = nets(a, &s->ip_blocks);
	o->notip = nets(a, &s->not_ip_blocks);
	o->rip = nets(a, &s->remote_ip_blocks);
	o->notrip = nets(a, &s->not_remote_ip_blocks);
}

static void copy_op(struct arena *a, const struct ap_operation *s,
		    struct l7_op *o)
{
	o->hosts = pats(a, &s->hosts, false);
	o->nothosts = pats(a, &s->not_hosts, false);
	o->ports = pats(a, &s->ports, false);
	o->notports = pats(a, &s->not_ports, false);
	o->methods = pats(a, &s->methods, false);
	o->notmethods = pats(a, &s->not_methods, false);
	o->paths = pats(a, &s->paths, true);
	o->notpaths = pats(a, &s->not_paths, true);
}

static const struct {
	const char *key;
	enum l7_ckey ck;
} ckeys[] = {
	{ "source.ip", CK_SRC_IP },
	{ "remote.ip", CK_REMOTE_IP },
	{ "destination.ip", CK_DST_IP },
	{ "source.namespace", CK_SRC_NS },
	{ "source.principal", CK_SRC_PRINC },
	{ "destination.port", CK_DST_PORT },
	/* no TLS SNI on the tunnelled request, no JWT (no
	 * RequestAuthentication here): absent, as for an
	 * unauthenticated request */
	{ "connection.sni", CK_ABSENT },
	{ "request.auth.principal", CK_ABSENT },
	{ "request.auth.audiences", CK_ABSENT },
	{ "request.auth.presenter", CK_ABSENT },
};

static enum l7_ckey ckey_of(const char *k, const char **hdr, size_t *hl)
{
	size_t i, n = strlen(k);

	if (!strncmp(k, "request.headers[", 16) && n > 17 && k[n - 1] == ']') {
		*hdr = k + 16;
		*hl = n - 17;
		return CK_HEADER;
	}
	if (!strncmp(k, "request.auth.claims[", 20))
		return CK_ABSENT;
	for (i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++)
		if (!strcmp(k, ckeys[i].key))
			return ckeys[i].ck;
	return CK_UNKNOWN;
}

static void copy_cond(struct arena *a, const struct ap_condition *w,
		      struct l7_cond *o)
{
	const char *hdr = NULL;
	size_t hl = 0;

	o->key = ckey_of(w->key ? w->key : "", &hdr, &hl);
	if (hdr) {
		o->hdr = arena_strndup(a, hdr, hl);
		o->hdr_len = hl;
	}
	o->vals = pats(a, &w->values, false);
	o->notvals = pats(a, &w->not_values, false);
	o->nets = nets(a, &w->values);
	o->notnets = nets(a, &w->not_values);
}

static void copy_rule(struct arena *a, const struct ap_eff *p, size_t k,
		      struct l7_rule *o)
{
	const struct ap_rule *r = p->rules[k].rule;
	size_t i;

	o->name = arena_printf(a, "%s/%s[%zu]", p->obj->ns,
			       p->obj->meta.name ? p->obj->meta.name : "",
			       p->rules[k].index);
	o->n_from = r->from.n;
	o->from = arena_alloc(a, (r->from.n + 1) * sizeof(*o->from));
	for (i = 0; i < r->from.n; i++)
		copy_src(a, &r->from.v[i].source, p->obj->ns, &o->from[i]);
	o->n_to = r->to.n;
	o->to = arena_alloc(a, (r->to.n + 1) * sizeof(*o->to));
	for (i = 0; i < r->to.n; i++)
		copy_op(a, &r->to.v[i].operation, &o->to[i]);
	o->n_when = r->when.n;
	o->when = arena_alloc(a, (r->when.n + 1) * sizeof(*o->when));
	for (i = 0; i < r->when.n; i++)
		copy_cond(a, &r->when.v[i], &o->when[i]);
}

static bool judged(const struct ap_eff *p)
{
	return !p->dry_run && p->action != AP_AUDIT;
}

static void copy_pols(struct arena *a, const struct authz_eff *ae,
		      struct l7_wl *w)
{
	size_t i, k;

	w->pols = arena_alloc(a, (ae->n + 1) * sizeof(*w->pols));
	w->has_allow = ae->has_allow;
	for (i = 0; i < ae->n; i++) {
		const struct ap_eff *p = &ae->v[i];
		struct l7_pol *o;

		if (!judged(p))
			continue;
		o = &w->pols[w->n_pols++];
		o->action = p->action;
		o->n_rules = p->n_rules;
		o->rules = arena_alloc(a, (p->n_rules + 1) * sizeof(*o->rules));
		for (k = 0; k < p->n_rules; k++)
			copy_rule(a, p, k, &o->rules[k]);
	}
}

static void copy_ports(struct arena *a, const struct model *m,
		       const struct model_workload *mw, struct l7_wl *w)
{
	struct l7_port_eff few[32], *v = few;
	size_t i, n = model_l7_ports(m, mw, few, 32);

	if (n > 32) {
		v = arena_alloc(a, n * sizeof(*v));
		n = model_l7_ports(m, mw, v, n);
	}
	w->ports = arena_alloc(a, (n + 1) * sizeof(*w->ports));
	for (i = 0; i < n; i++)
		w->ports[i] = (struct l7_wport){ (uint16_t)v[i].port,
						 (enum l7_proto)v[i].family };
	w->n_ports = n;
}

static bool placed(const struct workload *w, const char *node)
{
	return !node || (w->node && !strcmp(w->node, node));
}

static int by_ip(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct l7_wl *)a)->ip);
	uint32_t y = ntohl(((const struct l7_wl *)b)->ip);

	return x < y ? -1 : x > y;
}

const struct l7_wl *l7_wl_find(const struct l7_gen *g, uint32_t ip)
{
	struct l7_wl key = { .ip = ip };

	return bsearch(&key, g->wls, g->n_wls, sizeof(key), by_ip);
}

struct l7_gen *l7_gen_new(const struct model *m, const char *node)
{
	struct l7_gen *g = calloc(1, sizeof(*g));
	size_t i;

	if (!g)
		return NULL;
	g->refs = 1;
	g->norm = (enum path_norm)m->c->mesh.path_normalization.normalization.v;
	g->wls = arena_alloc(&g->arena, (m->n_wls + 1) * sizeof(*g->wls));
	for (i = 0; i < m->n_wls; i++) {
		const struct model_workload *mw = &m->wls[i];
		struct l7_wl *w = &g->wls[g->n_wls];

		if (!placed(mw->wl, node) || !mw->wl->address ||
		    inet_pton(AF_INET, mw->wl->address, &w->ip) != 1)
			continue;
		if (l7_wl_find(g, w->ip))
			continue;	/* one address, one workload */
		copy_pols(&g->arena, &mw->authz, w);
		copy_ports(&g->arena, m, mw, w);
		g->n_wls++;
		qsort(g->wls, g->n_wls, sizeof(*g->wls), by_ip);
	}
	return g;
}

struct l7_gen *l7_gen_ref(struct l7_gen *g)
{
	if (g)
		__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	return g;
}

void l7_gen_put(struct l7_gen *g)
{
	if (!g || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL))
		return;
	arena_free(&g->arena);
	free(g);
}

enum l7_proto l7_port(const struct l7_gen *g, uint32_t wl_ip, uint16_t port)
{
	const struct l7_wl *w = g ? l7_wl_find(g, wl_ip) : NULL;
	size_t i;

	for (i = 0; w && i < w->n_ports; i++)
		if (w->ports[i].port == port)
			return w->ports[i].proto;
	return L7_NONE;
}
