// SPDX-License-Identifier: Apache-2.0
/*
 * A subset's load-balancer policy, outlier parameters and locality
 * priorities and weights, as istiod would hand them to Envoy for a client
 * on this node (semantics page, "outlierDetection" and "Locality LB"):
 *   - `distribute` (no outlierDetection needed): each locality the client's
 *     entry names gets its weight, shared by its endpoints in proportion to
 *     theirs; localities it does not name get nothing;
 *   - otherwise, only with outlierDetection: priorities by how much of the
 *     locality matches the client's (P0 same subzone ... P3 other region,
 *     P4 a region the client's `failover` rule does not send to), made
 *     consecutive as istiod does;
 *   - `failoverPriority` (also only with outlierDetection): by how long a
 *     prefix of its entries the endpoint matches the client's values, and
 *     by locality within that only when `failover` is set too. The tables
 *     are per node: the client's value is the one every local workload
 *     has; from the first entry they differ on, the entries are left out
 *     with a note.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

/* Weight of one `distribute` point: the kernel reads weights as integers,
 * so a locality's share is spread over its endpoints at this resolution. */
#define CT_LOC_SCALE 1000

static enum im_lb lb_of(const struct lb_eff *lb)
{
	if (lb->hash)
		return IM_LB_RANDOM;	/* no header affinity at L4 */
	switch (lb->simple) {
	case LB_ROUND_ROBIN:
		return IM_LB_ROUND_ROBIN;
	case LB_RANDOM:
	case LB_PASSTHROUGH:
		return IM_LB_RANDOM;
	default:
		return IM_LB_LEAST_REQUEST;
	}
}

static uint8_t pct(uint32_t v)
{
	return v > 100 ? 100 : (uint8_t)v;
}

/* Without the split, local-origin failures feed both the 5xx and the
 * gateway counters: the lower threshold ejects first. */
static uint32_t local_threshold(const struct outlier_eff *o)
{
	uint32_t a = o->consecutive_5xx, b = o->consecutive_gateway;

	if (o->split_local_origin)
		return o->consecutive_local_origin;
	if (!a || (b && b < a))
		return b;
	return a;
}

uint32_t ct_connect_ms(int64_t ns)
{
	int64_t ms = ns > 0 ? (ns + 999999) / 1000000 : CT_CONNECT_MS;

	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

void ct_subset_policy(const struct policy_eff *pol, struct im_subset *sub)
{
	const struct outlier_eff *o = &pol->outlier;

	sub->lb = (uint8_t)lb_of(&pol->lb);
	sub->connect_ms = ct_connect_ms(pol->pool.connect_timeout_ns);
	if (!o->enabled)
		return;
	sub->flags |= IM_SUB_OUTLIER;
	sub->consec_fail = local_threshold(o);
	sub->base_eject_ms = (uint32_t)(o->base_ejection_ns / 1000000);
	sub->interval_ms = (uint32_t)(o->interval_ns / 1000000);
	sub->max_eject_pct = pct(o->max_ejection_percent);
	sub->min_health_pct = pct(o->min_health_percent);
}

/* ---- locality text ---- */

/* Segment <i> (0 region, 1 zone, 2 subzone) of <loc> into <buf>. */
static const char *seg(const char *loc, int i, char *buf, size_t n)
{
	const char *p = loc ? loc : "", *e;
	size_t l;

	for (; i > 0 && p; i--) {
		p = strchr(p, '/');
		if (p)
			p++;
	}
	if (!p)
		return "";
	e = strchr(p, '/');
	l = e ? (size_t)(e - p) : strlen(p);
	if (l >= n)
		l = n - 1;
	memcpy(buf, p, l);
	buf[l] = 0;
	return buf;
}

bool ct_locality_match(const char *loc, const char *rule)
{
	char a[128], b[128];
	int i;

	for (i = 0; i < 3; i++) {
		const char *r = seg(rule, i, b, sizeof(b));

		if (!strcmp(r, "*") || (i > 0 && !*r))
			continue;
		if (strcmp(seg(loc, i, a, sizeof(a)), r))
			return false;
	}
	return true;
}

unsigned int ct_failover_prio(const char *client, const char *ep,
			      const struct locality_lb *setting)
{
	char a[128], b[128];
	unsigned int p;
	size_t i;

	for (p = 0; p < 3; p++)
		if (strcmp(seg(client, (int)p, a, sizeof(a)),
			   seg(ep, (int)p, b, sizeof(b))))
			break;
	p = 3 - p;	/* 3 segments equal: 0 ... region differs: 3 */
	if (p < 3 || !setting)
		return p;
	seg(client, 0, a, sizeof(a));
	for (i = 0; i < setting->failover.n; i++) {
		const struct locality_failover *f = &setting->failover.v[i];

		if (f->from && !strcmp(f->from, a))
			return f->to && !strcmp(f->to, seg(ep, 0, b, sizeof(b)))
			       ? 3 : 4;
	}
	return 3;
}

/* ---- distribute ---- */

static const char *loc_of(const struct ct_lb_ep *x)
{
	return x->e && x->e->locality ? x->e->locality : "";
}

/* Locality numbers within the subset, in order of first appearance. */
static void number_localities(struct ct_lb_ep *v, size_t n)
{
	uint8_t next = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && strcmp(loc_of(&v[j]), loc_of(&v[i])); j++)
			;
		v[i].ep.loc = j < i ? v[j].ep.loc : next++;
	}
}

/*
 * Istio's applyLocalityWeights for one `to` entry: the localities it
 * matches (among those no earlier entry took) share <w> in proportion to
 * their endpoints' weights; an endpoint gets its part of that share.
 * <taken> marks endpoints already given a weight.
 */
static void distribute_to(struct ct_lb_ep *v, size_t n, bool *taken,
			  const char *key, uint64_t w)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (!taken[i] && ct_locality_match(loc_of(&v[i]), key))
			total += v[i].ep.weight;
	if (!total)
		return;
	for (i = 0; i < n; i++) {
		if (taken[i] || !ct_locality_match(loc_of(&v[i]), key))
			continue;
		taken[i] = true;
		v[i].ep.weight = (uint32_t)((w * CT_LOC_SCALE * v[i].ep.weight +
					     total - 1) / total);
	}
}

static const struct locality_distribute *
distribute_for(const struct locality_lb *s, const char *client)
{
	size_t i;

	for (i = 0; i < s->distribute.n; i++)
		if (s->distribute.v[i].from &&
		    ct_locality_match(client, s->distribute.v[i].from))
			return &s->distribute.v[i];
	return NULL;
}

/* Removes endpoints not <keep>: Istio empties those localities. */
static size_t keep_only(struct ct_lb_ep *v, size_t n, const bool *keep)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (keep[i])
			v[k++] = v[i];
	return k;
}

static size_t apply_distribute(const struct locality_distribute *d,
			       struct ct_lb_ep *v, size_t n)
{
	bool *taken = calloc(n + 1, sizeof(*taken));
	size_t i;

	if (!taken)
		return 0;	/* out of memory: nothing kept, none chosen */
	for (i = 0; i < d->to.n; i++) {
		const struct locality_weight *lw = &d->to.v[i];

		if (lw->key && lw->weight.set && lw->weight.v > 0)
			distribute_to(v, n, taken, lw->key,
				      (uint64_t)lw->weight.v);
	}
	n = keep_only(v, n, taken);
	free(taken);
	number_localities(v, n);
	return n;
}

/* ---- the node's clients ---- */

int ct_client_init(struct ct_client *cl, const struct compile_in *in,
		   const char *loc)
{
	const struct model *m = in->m;
	size_t i;

	memset(cl, 0, sizeof(*cl));
	cl->locality = loc;
	cl->node = in->node;
	if (!in->node || !m->n_wls)
		return 0;
	cl->wls = calloc(m->n_wls, sizeof(*cl->wls));
	if (!cl->wls)
		return -ENOMEM;
	for (i = 0; i < m->n_wls; i++) {
		const struct workload *w = m->wls[i].wl;

		if (w && w->node && !strcmp(w->node, in->node))
			cl->wls[cl->n_wls++] = w;
	}
	return 0;
}

void ct_client_free(struct ct_client *cl)
{
	free(cl->wls);
	cl->wls = NULL;
	cl->n_wls = 0;
}

/* ---- failoverPriority ---- */

/* The value of topology key <key> for a workload at locality <loc> on
 * node <node>, as istiod adds these labels; NULL: not a topology key. */
static const char *topo_value(const char *key, const char *loc,
			      const char *node, char *buf, size_t n)
{
	static const char *const segs[] = {
		"topology.kubernetes.io/region", "topology.kubernetes.io/zone",
		"topology.istio.io/subzone",
	};
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(key, segs[i]))
			return seg(loc, i, buf, n);
	if (!strcmp(key, "kubernetes.io/hostname"))
		return node ? node : "";
	if (!strcmp(key, "topology.istio.io/cluster"))
		return "";	/* one cluster: every endpoint is in it */
	return NULL;
}

/* Key <key> of workload <w> (locality <loc>): network, labels, "" when
 * absent (Istio compares absent as the empty value). */
static const char *wl_value(const struct workload *w, const char *key)
{
	const char *v;

	if (!w)
		return "";
	if (!strcmp(key, "topology.istio.io/network") && w->we &&
	    w->we->network && *w->we->network)
		return w->we->network;
	v = kvs_get(w->labels, key);
	return v ? v : "";
}

/* Entry <e> of failoverPriority split into its key and, for "key=value",
 * the value the endpoint must have (else NULL). */
static const char *fp_key(const char *e, char *buf, size_t n,
			  const char **want)
{
	const char *eq = strchr(e, '=');
	size_t l;

	*want = NULL;
	if (!eq)
		return e;
	l = (size_t)(eq - e);
	if (l >= n)
		l = n - 1;
	memcpy(buf, e, l);
	buf[l] = 0;
	*want = eq + 1;
	return buf;
}

/*
 * The client's value of entry <e> (in <buf>): node-level for the topology
 * keys, else the one every local workload has ("" when there are none).
 * NULL when they differ; <a>, <b> then name two that do.
 */
static const char *client_value(const struct ct_client *cl, const char *e,
				char *buf, size_t n,
				const struct workload **a,
				const struct workload **b)
{
	const char *key = fp_key(e, buf, n, &e), *v = NULL, *x;
	size_t i;

	*a = *b = NULL;
	if (e)
		return e;	/* key=value: the value is given */
	x = topo_value(key, cl->locality, cl->node, buf, n);
	if (x)
		return x;
	for (i = 0; i < cl->n_wls; i++) {
		x = wl_value(cl->wls[i], key);
		if (v && strcmp(v, x)) {
			*b = cl->wls[i];
			return NULL;
		}
		if (!v) {
			v = x;
			*a = cl->wls[i];
		}
	}
	return v ? v : "";
}

/* How many leading entries of failoverPriority the local clients agree
 * on; <a>, <b> name two that differ on the next one. */
static size_t fp_agreed(const struct locality_lb *s,
			const struct ct_client *cl,
			const struct workload **a, const struct workload **b)
{
	char buf[256];
	size_t k;

	for (k = 0; k < s->failover_priority.n; k++) {
		const char *e = s->failover_priority.v[k];

		if (!e || !client_value(cl, e, buf, sizeof(buf), a, b))
			break;
	}
	return k;
}

/* Istio's priority from the first <k> entries: <k> minus how many of them
 * in a row the endpoint <x> has the client's value for. */
static unsigned int fp_prio(const struct locality_lb *s, size_t k,
			    const struct ct_client *cl,
			    const struct ct_lb_ep *x)
{
	const struct workload *w = x->e ? x->e->wl : NULL, *a, *b;
	char kb[256], tb[128], cb[256];
	const char *e, *key, *want, *ev;
	size_t j;

	for (j = 0; j < k; j++) {
		e = s->failover_priority.v[j];
		want = client_value(cl, e, cb, sizeof(cb), &a, &b);
		key = fp_key(e, kb, sizeof(kb), &ev);
		ev = topo_value(key, loc_of(x), w ? w->node : NULL, tb,
				sizeof(tb));
		if (!ev)
			ev = wl_value(w, key);
		if (!want || strcmp(ev, want))
			break;
	}
	return (unsigned int)(k - j);
}

/* ---- failover priorities ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Priorities <raw> made consecutive, as istiod renumbers; the kernel has
 * IM_MAX_PRIO levels, the lowest take the rest. */
static void renumber(const uint32_t *raw, struct ct_lb_ep *v, size_t n)
{
	uint32_t *u = malloc((n + 1) * sizeof(*u));
	size_t i, j, m = 0;

	if (!u)
		return;	/* out of memory: every endpoint stays P0 */
	memcpy(u, raw, n * sizeof(*u));
	qsort(u, n, sizeof(*u), cmp_u32);
	for (i = 0; i < n; i++)
		if (!m || u[m - 1] != u[i])
			u[m++] = u[i];
	for (i = 0; i < n; i++) {
		for (j = 0; j < m && u[j] != raw[i]; j++)
			;
		v[i].ep.prio = (uint8_t)(j < IM_MAX_PRIO ? j : IM_MAX_PRIO - 1);
	}
	free(u);
}

/*
 * Istio's applyFailoverPriorities then applyLocalityFailover: with
 * failoverPriority, its priority first and the locality order (only when
 * `failover` is set) within it, as priority * 5 + locality priority.
 */
static void apply_failover(const struct locality_lb *s,
			   const struct ct_client *cl,
			   struct ct_lb_ep *v, size_t n)
{
	uint32_t *raw = malloc((n + 1) * sizeof(*raw));
	const struct workload *a, *b;
	bool fp = s && s->failover_priority.n;
	size_t i, k = fp ? fp_agreed(s, cl, &a, &b) : 0;

	if (!raw)
		return;	/* out of memory: every endpoint stays P0 */
	for (i = 0; i < n; i++) {
		raw[i] = fp ? fp_prio(s, k, cl, &v[i]) * 5 : 0;
		if ((!fp || s->failover.n) && cl->locality && *cl->locality)
			raw[i] += ct_failover_prio(cl->locality, loc_of(&v[i]),
						   s);
	}
	renumber(raw, v, n);
	free(raw);
}

static const char *wl_name(const struct workload *w)
{
	return w && w->name ? w->name : "?";
}

/* Said once per service when failoverPriority cannot be compiled whole:
 * the local workloads differ on an entry's value, and the tables are per
 * node, so priorities follow the entries before it only. */
void ct_locality_note(struct tables *t, const char *host,
		      const struct policy_eff *pol,
		      const struct ct_client *cl)
{
	const struct locality_lb *s = pol ? pol->locality.setting : NULL;
	const struct workload *a, *b;
	char buf[512], kb[256];
	const char *key, *want;
	size_t i, k;

	if (!s || !s->failover_priority.n || s->distribute.n ||
	    !pol->locality.enabled || !pol->locality.failover_active)
		return;
	k = fp_agreed(s, cl, &a, &b);
	if (k == s->failover_priority.n || !s->failover_priority.v[k])
		return;
	key = fp_key(s->failover_priority.v[k], kb, sizeof(kb), &want);
	snprintf(buf, sizeof(buf), "%s: localityLbSetting.failoverPriority "
		 "'%s' and the entries after it are not enforced: the "
		 "workloads of this node differ on it (%s: '%s', %s: '%s') "
		 "and priorities are per node; endpoints are ordered by the "
		 "first %zu entr%s", host, key, wl_name(a), wl_value(a, key),
		 wl_name(b), wl_value(b, key), k, k == 1 ? "y" : "ies");
	for (i = 0; i < t->n_notes; i++)
		if (!strcmp(t->notes[i], buf))
			return;
	ct_note(t, "%s", buf);
}

size_t ct_locality(const struct policy_eff *pol, const struct ct_client *cl,
		   struct ct_lb_ep *v, size_t n)
{
	const struct locality_lb *s = pol ? pol->locality.setting : NULL;
	const struct locality_distribute *d;
	const char *client = cl ? cl->locality : NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].ep.prio = 0;
		v[i].ep.loc = 0;	/* one pool: Envoy's default */
	}
	if (!pol || !pol->locality.enabled || !cl)
		return n;
	if (s && s->failover_priority.n && !s->distribute.n) {
		/* by labels: needs no client locality */
		if (pol->locality.failover_active)
			apply_failover(s, cl, v, n);
		return n;
	}
	if (!client || !*client)
		return n;
	if (s && s->distribute.n) {
		d = distribute_for(s, client);
		return d ? apply_distribute(d, v, n) : n;
	}
	if (pol->locality.failover_active)
		apply_failover(s, cl, v, n);
	return n;
}
