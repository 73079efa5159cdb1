// SPDX-License-Identifier: Apache-2.0
/* DestinationRule pitfalls (IM1040..IM1069): outlier ejection that cannot
 * work on the pool it is given, traffic policies that are silently ignored
 * or replaced (Istio replaces whole sections, it never merges fields), and
 * locality settings that never take effect. */
#include <stdio.h>
#include <string.h>

#include "pitfalls.h"

#define MAX_GROUP 32

/* The DestinationRules Istio merges for one host: same namespace, same
 * host, no workloadSelector; in creation order. */
struct dr_group {
	const char *fqdn;
	const struct object *v[MAX_GROUP];
	size_t n;
	const struct object *tp; /* whose top-level trafficPolicy is used */
};

/* Key of the DestinationRules of namespace <ns> for host <fqdn>; the
 * length prefix keeps any two pairs apart. */
static const char *dr_key(struct pit *p, const char *ns, const char *fqdn)
{
	return arena_printf(&p->c->arena, "%zu:%s%s", strlen(ns), ns, fqdn);
}

/* Every valid DestinationRule with a host, by namespace and FQDN, in
 * load order: a group is then one lookup instead of a scan. */
static void index_drs(struct pit *p)
{
	hmap_init(&p->drs, &p->c->arena);
	for_each_obj(p->c, o, K_DESTINATION_RULE) {
		const char *h = obj_dr(o)->host;

		if (h)
			hmap_push(&p->drs, dr_key(p, o->ns, registry_fqdn(
					  &p->c->arena, &p->reg, h, o->ns)), o);
	}
}

static void group_for(struct pit *p, const struct object *o,
		      struct dr_group *g)
{
	const char *fq = registry_fqdn(&p->c->arena, &p->reg, obj_dr(o)->host,
				       o->ns);
	size_t i, j, k, n;
	void *const *v = hmap_list(&p->drs, dr_key(p, o->ns, fq), &n);

	memset(g, 0, sizeof(*g));
	g->fqdn = fq;
	for (k = 0; k < n; k++) {
		const struct object *q = v[k];
		const struct dr_spec *d = obj_dr(q);

		if (d->workload_selector.at || g->n == MAX_GROUP)
			continue;
		for (i = g->n; i > 0 && model_older(q, g->v[i - 1]); i--)
			g->v[i] = g->v[i - 1];
		g->v[i] = q;
		g->n++;
	}
	for (j = 0; j < g->n && !g->tp; j++)
		if (obj_dr(g->v[j])->traffic_policy.at)
			g->tp = g->v[j];
}

static const char *const sections[] = { "loadBalancer", "connectionPool",
					"outlierDetection", "tls", NULL };

/* Fields written under <top> that <sub> leaves out ("tcp.maxConnections"):
 * what a replacement of <top> by <sub> loses. */
static const char *lost_fields(struct pit *p, const struct ynode *top,
			       const struct ynode *sub, const char *prefix,
			       const char *acc)
{
	size_t i;

	if (!top || top->type != Y_MAP)
		return acc;
	for (i = 0; i < top->n; i++) {
		const char *k = top->pairs[i].key->str;
		const struct ynode *v = top->pairs[i].val;
		const struct ynode *s = ynode_get(sub, k);

		if (s && v->type == Y_MAP && s->type == Y_MAP)
			acc = lost_fields(p, v, s, arena_printf(&p->c->arena,
					  "%s%s.", prefix, k), acc);
		else if (!s)
			acc = arena_printf(&p->c->arena, "%s%s%s%s", acc,
					   *acc ? ", " : "", prefix, k);
	}
	return acc;
}

static const char *keys_of(struct pit *p, const struct ynode *m)
{
	const char *acc = "";
	size_t i;

	for (i = 0; m && m->type == Y_MAP && i < m->n; i++)
		acc = arena_printf(&p->c->arena, "%s%s%s", acc, i ? ", " : "",
				   m->pairs[i].key->str);
	return acc;
}

/* ---- IM1050: a second top-level trafficPolicy for the host ---- */

static void check_shadowed(struct pit *p, const struct object *o,
			   const struct dr_group *g)
{
	const struct dr_spec *d = obj_dr(o);

	if (!d->traffic_policy.at || !g->tp || g->tp == o)
		return;
	diag_add(&p->c->diag, "IM1050", SEV_WARNING, o, d->traffic_policy.at,
		 "spec.trafficPolicy",
		 arena_printf(&p->c->arena, "move these settings into the "
			      "trafficPolicy of %s and delete this one (one "
			      "DestinationRule per host)", g->tp->resource),
		 "this trafficPolicy is ignored: %s is older and also sets a "
		 "top-level trafficPolicy for host %s, and Istio keeps only the "
		 "first; %s written here never apply (only subsets are merged)",
		 g->tp->resource, d->host, keys_of(p, d->traffic_policy.at));
}

/* ---- IM1051/IM1052: sections replaced, not merged ---- */

static void check_subset_replaces(struct pit *p, const struct object *o,
				  const struct dr_group *g)
{
	const struct dr_spec *d = obj_dr(o);
	const struct ynode *base = g->tp ? obj_dr(g->tp)->traffic_policy.at : NULL;
	size_t i, s;
	char path[96];

	for (i = 0; base && i < d->subsets.n; i++) {
		const struct ynode *tp = d->subsets.v[i].traffic_policy.at;

		for (s = 0; tp && sections[s]; s++) {
			const struct ynode *sec = ynode_get(tp, sections[s]);
			const char *lost = lost_fields(p, ynode_get(base, sections[s]),
						       sec, "", "");

			if (!sec || !*lost)
				continue;
			snprintf(path, sizeof(path), "spec.subsets[%zu].trafficPolicy.%s",
				 i, sections[s]);
			diag_add(&p->c->diag, "IM1051", SEV_WARNING, o, sec, path,
				 arena_printf(&p->c->arena, "repeat the fields "
					      "this subset should keep (%s) in its "
					      "%s", lost, sections[s]),
				 "subset %s's %s replaces the whole %s of %s "
				 "(Istio does not merge fields): %s no longer "
				 "apply to this subset", d->subsets.v[i].name,
				 sections[s], sections[s], g->tp->resource, lost);
		}
	}
}

static void check_port_replaces(struct pit *p, const struct object *o,
				const struct traffic_policy *tp, const char *where)
{
	size_t i, s;
	char path[128];

	for (i = 0; i < tp->port_level_settings.n; i++) {
		const struct port_traffic_policy *pt = &tp->port_level_settings.v[i];
		const char *lost = "";

		for (s = 0; sections[s]; s++) {
			const struct ynode *top = ynode_get(tp->at, sections[s]);
			const struct ynode *mine = ynode_get(pt->at, sections[s]);

			if (top && !mine)
				lost = arena_printf(&p->c->arena, "%s%s%s", lost,
						    *lost ? ", " : "", sections[s]);
			else if (top)
				lost = lost_fields(p, top, mine, arena_printf(
						   &p->c->arena, "%s.", sections[s]),
						   lost);
		}
		if (!*lost)
			continue;
		snprintf(path, sizeof(path), "%s.portLevelSettings[%zu]", where, i);
		diag_add(&p->c->diag, "IM1052", SEV_WARNING, o, pt->at, path,
			 "repeat in this port's entry every section and field "
			 "the port should keep",
			 "the settings for port %lld replace loadBalancer, "
			 "connectionPool, outlierDetection and tls as a whole: "
			 "%s written above fall back to Istio's defaults on "
			 "this port, not to this trafficPolicy",
			 (long long)pt->port.number.v, lost);
	}
}

/* ---- IM1040..IM1042: outlier ejection and pool size ---- */

static const char *eject_outcome(struct pit *p,
				 const struct outlier_detection *od, bool all);

static void check_pool(struct pit *p, const struct object *o,
		       const struct outlier_detection *od, const char *path,
		       const char *what, size_t n)
{
	int64_t max = od->max_ejection_percent.set ? od->max_ejection_percent.v : 10;
	/* Envoy ejects while 100 * (ejected + 1) / hosts <= max */
	int64_t k = max * (int64_t)n / 100;
	const struct ynode *at = pit_at(od->at, "maxEjectionPercent");

	if (n >= 2 && k == 0)
		diag_add(&p->c->diag, "IM1041", SEV_WARNING, o, at, path,
			 arena_printf(&p->c->arena, "set maxEjectionPercent to "
				      "at least %lld (one host in %zu)",
				      (long long)((100 + (int64_t)n - 1) / (int64_t)n), n),
			 "%s has %zu endpoints and maxEjectionPercent is "
			 "%lld%s: ejecting even one would exceed it, so outlier "
			 "detection never ejects anything", what, n,
			 (long long)max, od->max_ejection_percent.set ? "" :
			 " (Istio's default)");
	else if (n >= 1 && n <= 2 && k >= 1)
		diag_add(&p->c->diag, "IM1040", SEV_WARNING, o, at, path,
			 "add endpoints to this pool, or raise the consecutive "
			 "error thresholds so that a busy GPU is not taken for "
			 "a broken one",
			 "%s has only %zu endpoint%s and maxEjectionPercent "
			 "%lld: a few 5xx under load %s", what, n,
			 n > 1 ? "s" : "", (long long)max,
			 eject_outcome(p, od, k >= (int64_t)n));
}

/* What ejecting a small pool leads to. With everything ejected, Envoy's
 * panic threshold (minHealthPercent) decides between failing and serving
 * from the ejected hosts anyway. */
static const char *eject_outcome(struct pit *p,
				 const struct outlier_detection *od, bool all)
{
	if (!all)
		return "eject one of them and move all traffic onto the "
		       "other, which then overloads";
	if (od->min_health_percent.set && od->min_health_percent.v > 0)
		return arena_printf(&p->c->arena, "eject all of them; below "
				    "minHealthPercent %lld%% Envoy then panics "
				    "and sends traffic to every endpoint, "
				    "broken ones included",
				    (long long)od->min_health_percent.v);
	return "eject all of them, and then every request fails with 503 UH";
}

static void check_min_health(struct pit *p, const struct object *o,
			     const struct outlier_detection *od, const char *path)
{
	int64_t max = od->max_ejection_percent.set ? od->max_ejection_percent.v : 10;
	int64_t min = od->min_health_percent.v;

	if (!od->min_health_percent.set || min <= 0 || min > 100 - max)
		return;
	diag_add(&p->c->diag, "IM1042", SEV_INFO, o,
		 pit_at(od->at, "minHealthPercent"), path,
		 "remove minHealthPercent, or set it above 100 - "
		 "maxEjectionPercent if panic routing is wanted",
		 "minHealthPercent %lld never takes effect: at most %lld%% of "
		 "the hosts are ejected, so at least %lld%% stay healthy and "
		 "the panic threshold is never reached", (long long)min,
		 (long long)max, (long long)(100 - max));
}

/* Without endpoints the pool size is unknown; half the pool is still a
 * lot to eject, and a canary subset of one is never ejected at all. */
static void check_pool_unknown(struct pit *p, const struct object *o,
			       const struct outlier_detection *od,
			       const char *path)
{
	if (!od->max_ejection_percent.set || od->max_ejection_percent.v < 50)
		return;
	diag_add(&p->c->diag, "IM1043", SEV_INFO, o,
		 pit_at(od->at, "maxEjectionPercent"), path,
		 "give the Services and workloads so pool sizes can be "
		 "checked, and keep maxEjectionPercent below 50 on pools of "
		 "two or fewer endpoints",
		 "maxEjectionPercent %lld lets outlier detection eject that "
		 "share of the pool at once, and no endpoints were given to "
		 "size it: on a pool of 2, one ejection moves all traffic onto "
		 "the other GPU, while a canary subset of 1 is never ejected",
		 (long long)od->max_ejection_percent.v);
}

static void check_outlier(struct pit *p, const struct object *o,
			  const struct dr_group *g)
{
	const struct dr_spec *d = obj_dr(o);
	const struct service *s = pit_service(p, d->host, o->ns);
	const struct outlier_detection *top = &d->traffic_policy.outlier_detection;
	char path[96];
	size_t i;

	if (top->at) {
		check_min_health(p, o, top, "spec.trafficPolicy.outlierDetection");
		if (!s || !pit_pool(p, s, NULL))
			check_pool_unknown(p, o, top,
					   "spec.trafficPolicy.outlierDetection");
		if (g->tp == o && s)
			check_pool(p, o, top, "spec.trafficPolicy.outlierDetection",
				   arena_printf(&p->c->arena, "service %s", d->host),
				   pit_pool(p, s, NULL));
	}
	for (i = 0; i < d->subsets.n; i++) {
		const struct subset *sb = &d->subsets.v[i];
		const struct outlier_detection *od = &sb->traffic_policy.outlier_detection;
		const struct outlier_detection *eff = od->at ? od :
			g->tp ? &obj_dr(g->tp)->traffic_policy.outlier_detection : NULL;
		const struct object *owner = od->at ? o : g->tp;

		snprintf(path, sizeof(path), "spec.subsets[%zu].trafficPolicy"
			 ".outlierDetection", i);
		if (od->at)
			check_min_health(p, o, od, path);
		if (s && eff && eff->at)
			check_pool(p, owner, eff, od->at ? path :
				   "spec.trafficPolicy.outlierDetection",
				   arena_printf(&p->c->arena, "subset %s of %s",
						sb->name, d->host),
				   pit_pool(p, s, &sb->labels));
	}
}

/* ---- IM1060/IM1061: locality ---- */

static size_t region_len(const char *loc)
{
	const char *s = strchr(loc, '/');

	return s ? (size_t)(s - loc) : strlen(loc);
}

/* A second region among the endpoints of <s>, or NULL. */
static const char *other_region(const struct pit *p, const struct service *s,
				const char **first)
{
	size_t i;

	*first = NULL;
	for (i = 0; i < s->endpoints.n; i++) {
		const struct workload *w = s->endpoints.v[i];
		const char *l = w->locality;

		if (!l)
			continue;
		if (!*first)
			*first = l;
		else if (region_len(l) != region_len(*first) ||
			 strncmp(l, *first, region_len(l)))
			return l;
	}
	return NULL;
}

static void check_failover(struct pit *p, const struct service *s)
{
	const char *a, *b = other_region(p, s, &a);
	const struct object *tp = NULL;
	struct dr_group g;
	const struct locality_lb *ll;

	size_t n;
	void *const *drs;

	if (!b)
		return;
	/* the first DestinationRule of its namespace for the host */
	drs = hmap_list(&p->drs, dr_key(p, s->ns, s->host), &n);
	if (n) {
		group_for(p, drs[0], &g);
		tp = g.tp ? g.tp : drs[0];
	}
	if (tp && obj_dr(tp)->traffic_policy.outlier_detection.at)
		return;
	ll = tp ? &obj_dr(tp)->traffic_policy.load_balancer.locality_lb_setting : NULL;
	if (ll && (ll->distribute.n || (ll->enabled.set && !ll->enabled.v)))
		return;
	diag_add(&p->c->diag, "IM1060", SEV_WARNING, tp ? tp : s->obj,
		 tp ? obj_dr(tp)->traffic_policy.at :
		      pit_at(s->obj->meta.at, "name"), NULL,
		 "add an outlierDetection to the DestinationRule of this host "
		 "(it is what turns locality priorities and failover on)",
		 "%s has endpoints in %.*s and %.*s but no outlierDetection: "
		 "Istio then gives every locality the same priority, so callers "
		 "cross regions all the time and never fail over when a "
		 "locality goes bad", s->name, (int)region_len(a), a,
		 (int)region_len(b), b);
}

static bool locality_matches(const char *pat, const char *loc)
{
	for (;;) {
		size_t pl = strcspn(pat, "/"), ll = strcspn(loc, "/");

		if (pl == 1 && *pat == '*')
			return true;
		if (pl != ll || strncmp(pat, loc, pl))
			return !*pat && !*loc;
		pat += pl + (pat[pl] == '/');
		loc += ll + (loc[ll] == '/');
		if (!*pat)
			return !*loc;
		if (!*loc)
			return !strcmp(pat, "*");
	}
}

/* The distinct localities of the loaded workloads. */
struct localities {
	const char **v;
	size_t n;
};

static void collect_localities(struct pit *p, struct localities *l)
{
	struct hmap seen;
	size_t i;

	hmap_init(&seen, &p->c->arena);
	l->n = 0;
	l->v = arena_alloc(&p->c->arena, (p->reg.n_wls + 1) * sizeof(*l->v));
	for (i = 0; i < p->reg.n_wls; i++) {
		const char *loc = p->reg.wls[i].locality;
		void **slot = loc ? hmap_slot(&seen, loc) : NULL;

		if (slot && !*slot) {
			*slot = (void *)loc;
			l->v[l->n++] = loc;
		}
	}
}

static void check_distribute(struct pit *p, const struct object *o,
			     const struct localities *locs)
{
	const struct locality_lb *ll =
		&obj_dr(o)->traffic_policy.load_balancer.locality_lb_setting;
	size_t i, j;
	bool hit;

	for (i = 0; locs->n && i < ll->distribute.n; i++) {
		const char *from = ll->distribute.v[i].from;

		for (j = 0, hit = false; from && j < locs->n; j++)
			hit |= locality_matches(from, locs->v[j]);
		if (!from || hit)
			continue;
		diag_add(&p->c->diag, "IM1061", SEV_WARNING, o,
			 pit_at(ll->distribute.v[i].at, "from"),
			 "spec.trafficPolicy.loadBalancer.localityLbSetting"
			 ".distribute", "write a locality that clients run in "
			 "(region/zone/*)",
			 "distribute from \"%s\" matches the locality of no "
			 "loaded workload: no client uses these weights", from);
	}
}

void pit_policy(struct pit *p)
{
	struct localities locs;
	struct dr_group g;
	size_t i;

	index_drs(p);
	collect_localities(p, &locs);
	for_each_obj(p->c, o, K_DESTINATION_RULE) {
		const struct dr_spec *d = obj_dr(o);
		char where[64];

		if (!d->host)
			continue;
		group_for(p, o, &g);
		if (!d->workload_selector.at) {
			check_shadowed(p, o, &g);
			check_subset_replaces(p, o, &g);
			check_outlier(p, o, &g);
		}
		check_port_replaces(p, o, &d->traffic_policy, "spec.trafficPolicy");
		for (i = 0; i < d->subsets.n; i++) {
			snprintf(where, sizeof(where), "spec.subsets[%zu]"
				 ".trafficPolicy", i);
			check_port_replaces(p, o, &d->subsets.v[i].traffic_policy,
					    where);
		}
		check_distribute(p, o, &locs);
	}
	for (i = 0; i < p->reg.n_svcs; i++)
		if (!p->reg.svcs[i].se)
			check_failover(p, &p->reg.svcs[i]);
}
