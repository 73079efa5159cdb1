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
 *     consecutive as istiod does.
 */
#include <stdio.h>
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

void ct_subset_policy(const struct policy_eff *pol, struct im_subset *sub)
{
	const struct outlier_eff *o = &pol->outlier;

	sub->lb = (uint8_t)lb_of(&pol->lb);
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
	bool taken[IM_SUBSET_EPS * 4] = { false };
	size_t i;

	if (n > sizeof(taken) / sizeof(taken[0]))
		return n;	/* over the limit anyway: compile fails */
	for (i = 0; i < d->to.n; i++) {
		const struct locality_weight *lw = &d->to.v[i];

		if (lw->key && lw->weight.set && lw->weight.v > 0)
			distribute_to(v, n, taken, lw->key,
				      (uint64_t)lw->weight.v);
	}
	n = keep_only(v, n, taken);
	number_localities(v, n);
	return n;
}

/* ---- failover priorities ---- */

static void apply_failover(const struct locality_lb *s, const char *client,
			   struct ct_lb_ep *v, size_t n)
{
	unsigned int raw[5] = { 0 }, map[5], next = 0, p;
	size_t i;

	for (i = 0; i < n; i++) {
		p = ct_failover_prio(client, loc_of(&v[i]), s);
		v[i].ep.prio = (uint8_t)p;
		raw[p] = 1;
	}
	for (p = 0; p < 5; p++)	/* consecutive, as istiod renumbers */
		map[p] = raw[p] ? next++ : 0;
	for (i = 0; i < n; i++)
		v[i].ep.prio = (uint8_t)map[v[i].ep.prio];
}

/* Said once per service: failoverPriority (priorities by endpoint labels)
 * is not compiled; apply_failover orders by locality only. */
void ct_locality_note(struct tables *t, const char *host,
		      const struct policy_eff *pol)
{
	const struct locality_lb *s = pol ? pol->locality.setting : NULL;
	char buf[512];
	size_t i;

	if (!s || !s->failover_priority.n || !pol->locality.enabled ||
	    !pol->locality.failover_active)
		return;
	snprintf(buf, sizeof(buf), "%s: localityLbSetting.failoverPriority is "
		 "not enforced in the kernel yet; endpoints are ordered by "
		 "locality only", host);
	for (i = 0; i < t->n_notes; i++)
		if (!strcmp(t->notes[i], buf))
			return;
	ct_note(t, "%s", buf);
}

size_t ct_locality(const struct policy_eff *pol, const char *client,
		   struct ct_lb_ep *v, size_t n)
{
	const struct locality_lb *s = pol ? pol->locality.setting : NULL;
	const struct locality_distribute *d;
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].ep.prio = 0;
		v[i].ep.loc = 0;	/* one pool: Envoy's default */
	}
	if (!pol || !pol->locality.enabled || !client || !*client)
		return n;
	if (s && s->distribute.n) {
		d = distribute_for(s, client);
		return d ? apply_distribute(d, v, n) : n;
	}
	if (pol->locality.failover_active)
		apply_failover(s, client, v, n);
	return n;
}
