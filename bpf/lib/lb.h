/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Choosing a subset for a route and an endpoint within a subset, as Envoy
 * would for that cluster, in a number of steps that does not grow with
 * the subset (up to IM_SUBSET_EPS endpoints):
 *   1. health: hosts per priority come from the subset (prio_end), ejected
 *      ones from the cluster's ejection list (IM_CL_EJECT entries, read
 *      only while something is ejected);
 *   2. priority: each priority takes min(100, 1.4 x healthy%) of the load
 *      in order, normalised when the sum is under 100; a priority whose
 *      healthy share is below minHealthPercent is in panic and uses all of
 *      its hosts; no healthy host anywhere: panic over P0 if
 *      minHealthPercent > 0, else nothing (Envoy's 503 UH);
 *   3. host: a weighted draw over the priority's endpoints, a binary search
 *      on their summed weights (im_ep.cum, 64 bits: IM_LB_STEPS lookups),
 *      so a locality is reached in proportion to its weight. An ejected
 *      host drawn outside panic is drawn again (IM_LB_TRIES times, which
 *      keeps the draw weighted over the healthy ones), then the next
 *      healthy one in order is taken: ejected hosts are never chosen.
 *      LEAST_REQUEST draws a second host in the first one's locality and
 *      keeps the one with fewer active connections (power of two choices).
 * Ejection and active counts are per cluster: im_ep.slot's state.
 */
#ifndef IM_BPF_LB_H
#define IM_BPF_LB_H

#include <bpf/bpf_helpers.h>

#include "lib/maps.h"
#include "lib/outlier.h"

#define IM_OVERPROVISION 140	/* Envoy's overprovisioning factor, x100 */
#define IM_LB_TRIES 4		/* draws before walking to a healthy host */

static __always_inline __u64 im_rand64(void)
{
	return (__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32();
}

/* A route's destination, chosen by weight (summed in 64 bits: no set of
 * u32 weights overflows). Returns the subset index (within gen) or -1. */
static __always_inline int im_route_pick(const struct im_route *rt)
{
	__u64 sum = 0, r;
	__u32 i;

	if (rt->n_dst == 1)	/* the common case: no draw */
		return rt->dst[0].weight ? (int)rt->dst[0].subset : -1;
	for (i = 0; i < IM_ROUTE_DSTS && i < rt->n_dst; i++)
		sum += rt->dst[i].weight;
	if (!sum)
		return -1;
	r = im_rand64() % sum;
	for (i = 0; i < IM_ROUTE_DSTS && i < rt->n_dst; i++) {
		if (r < rt->dst[i].weight)
			return rt->dst[i].subset;
		r -= rt->dst[i].weight;
	}
	return -1;
}

/* Hosts and healthy hosts per priority. */
struct im_lb_health {
	__u16 total[IM_MAX_PRIO];
	__u16 good[IM_MAX_PRIO];
};

/* Step 1. <now> 0: the subset never ejects. */
static __always_inline void im_lb_health(const struct im_subset *sub,
					 __u64 now, struct im_lb_health *h)
{
	__u16 ej[IM_MAX_PRIO] = {}, lo = 0, hi;
	struct im_cl_ej *l = NULL;
	__u32 i, p;

	if (now)
		l = bpf_map_lookup_elem(&im_cl_ej, &sub->cluster);
	if (l && now < l->until_max)
		for (i = 0; i < IM_CL_EJECT; i++)
			if (now < l->e[i].until)
				ej[l->e[i].prio & (IM_MAX_PRIO - 1)]++;
	for (p = 0; p < IM_MAX_PRIO; p++) {
		hi = sub->prio_end[p];
		h->total[p] = hi > lo ? hi - lo : 0;
		h->good[p] = h->total[p] > ej[p] ? h->total[p] - ej[p] : 0;
		if (hi > lo)
			lo = hi;
	}
}

/* Step 2: the priority to use, or -1; <*panic> when it is in panic.
 * Global (verified once on its own, like im_lb_pick): unrolled over the
 * priorities, its paths would multiply the caller's. */
__noinline int im_lb_prio(const struct im_lb_health *s, __u8 min_health,
			  bool *panic)
{
	__u32 health[IM_MAX_PRIO], sum = 0, left = 100, load, r, p;
	__u32 loaded = 0;

	if (!s || !panic)
		return -1;
	for (p = 0; p < IM_MAX_PRIO; p++) {
		health[p] = s->total[p] ?
			IM_OVERPROVISION * s->good[p] / s->total[p] : 0;
		if (health[p] > 100)
			health[p] = 100;
		loaded += health[p] != 0;
		sum += health[p];
	}
	*panic = sum == 0;
	if (!sum) {
		for (p = 0; p < IM_MAX_PRIO; p++)
			if (s->total[p] && min_health)
				return p;
		return -1;
	}
	/* one priority with healthy hosts takes all the load: no draw */
	r = loaded == 1 ? 0 : bpf_get_prandom_u32() % (sum < 100 ? sum : 100);
	for (p = 0; p < IM_MAX_PRIO; p++) {
		load = health[p] < left ? health[p] : left;
		left -= load;
		if (r < load) {
			*panic = 100 * s->good[p] <
				 (__u32)min_health * s->total[p];
			return p;
		}
		r -= load;
	}
	return -1;
}

/* Step 3: one weighted draw over endpoints [lo, hi) of a subset. */
struct im_lb_draw {
	__u64 now;		/* 0: take ejected hosts too (panic) */
	__u64 r;		/* position in the summed weights */
	__u32 base;		/* absolute index of endpoint 0 */
	__u32 lo, hi;		/* the range; the search narrows [a, b) */
	__u32 a, b;
	__u32 rr;		/* ROUND_ROBIN's subset, else ~0: random */
};

/* Binary search step (bpf_loop context): the first endpoint whose cum is
 * above r ends in a. */
static long im_lb_search_step(__u32 i, void *data)
{
	struct im_lb_draw *d = data;
	__u32 mid = d->a + (d->b - d->a) / 2, idx = d->base + mid;
	struct im_ep *ep;

	if (d->a >= d->b)
		return 1;
	ep = bpf_map_lookup_elem(&im_ep_v3, &idx);
	if (!ep)
		return 1;
	if (ep->cum > d->r)
		d->b = mid;
	else
		d->a = mid + 1;
	return 0;
}

static __always_inline __u32 im_lb_rr_next(__u32 subset)
{
	__u32 *pos = bpf_map_lookup_elem(&im_rr, &subset);

	return pos ? (*pos)++ : bpf_get_prandom_u32();
}

/* The endpoint at position r of [lo, hi) given its summed weights
 * [from, to): -1 if none. */
static __always_inline int im_lb_search(struct im_lb_draw *d, __u64 from,
					__u64 to)
{
	__u64 span = to - from;

	d->r = from + (d->rr != ~0U ? (__u64)im_lb_rr_next(d->rr) :
		       im_rand64()) % span;
	d->a = d->lo;
	d->b = d->hi;
	bpf_loop(IM_LB_STEPS, im_lb_search_step, d, 0);
	return d->a < d->hi ? (int)d->a : -1;
}

/* Walk from the last draw (bpf_loop context) to the next endpoint that
 * is healthy and has weight: ends in a, or a = hi. */
static long im_lb_next_step(__u32 i, void *data)
{
	struct im_lb_draw *d = data;
	__u32 idx;
	struct im_ep *ep;

	if (d->a >= d->hi)
		d->a = d->lo;
	idx = d->base + d->a;
	ep = bpf_map_lookup_elem(&im_ep_v3, &idx);
	if (!ep) {
		d->a = d->hi;
		return 1;
	}
	if (ep->weight && !im_slot_ejected(ep->slot, d->now))
		return 1;
	d->a++;
	if (i + 1 == d->b)	/* b: the steps allowed */
		d->a = d->hi;
	return 0;
}

static __always_inline bool im_lb_ejected(const struct im_lb_draw *d, int e)
{
	__u32 idx = d->base + (e & (IM_SUBSET_EPS - 1));
	struct im_ep *ep = bpf_map_lookup_elem(&im_ep_v3, &idx);

	return !ep || im_slot_ejected(ep->slot, d->now);
}

/* A weighted draw over [d->lo, d->hi) that never returns an ejected
 * host unless d->now is 0. Returns the endpoint within the subset, or
 * -1 when none may be chosen. <d> is on the stack (bpf_loop's context). */
static __always_inline int im_lb_pick_on(struct im_lb_draw *d)
{
	__u32 first = d->base + d->lo, last = d->base + d->hi - 1, t;
	struct im_ep *lo, *hi;
	__u64 from;
	int e = -1;

	if (d->lo >= d->hi)
		return -1;
	lo = bpf_map_lookup_elem(&im_ep_v3, &first);
	hi = bpf_map_lookup_elem(&im_ep_v3, &last);
	if (!lo || !hi)
		return -1;
	from = lo->cum - lo->weight;
	if (hi->cum <= from)
		return -1;	/* no weight in the range */
	/* one host: every draw (and the walk) can only end on it, so skip
	 * the random numbers and the search */
	if (d->hi - d->lo == 1)
		return !d->now || !im_lb_ejected(d, d->lo) ? (int)d->lo : -1;
	/* Unrolled: as a loop, clang may enter it in the middle so that its
	 * back-edge is the fall-through after a helper call, which 6.1's
	 * verifier refuses ("back-edge from insn N to N+1"; the kTLS lane). */
#pragma unroll
	for (t = 0; t < IM_LB_TRIES; t++) {
		e = im_lb_search(d, from, hi->cum);
		if (e < 0 || !d->now || !im_lb_ejected(d, e))
			return e;
	}
	/* mostly ejected: the next healthy host after the last draw */
	d->a = e;
	d->b = d->hi - d->lo;
	bpf_loop(d->b, im_lb_next_step, d, 0);
	return d->a < d->hi ? (int)d->a : -1;
}

/* im_lb_pick_on, global: the verifier checks it once instead of at each
 * of its two calls and on every path leading there. */
__noinline int im_lb_pick(struct im_lb_draw *d)
{
	struct im_lb_draw w;
	int e;

	if (!d)
		return -1;
	w = *d;
	e = im_lb_pick_on(&w);
	*d = w;
	return e;
}

static __always_inline __u32 im_ep_active(__u32 idx)
{
	struct im_ep *ep = bpf_map_lookup_elem(&im_ep_v3, &idx);
	struct im_ep_state *st;

	if (!ep)
		return ~0U;
	st = im_slot_state(ep->slot);
	return st ? st->active : 0;
}

/* LEAST_REQUEST's second draw, in the locality of endpoint <h>: the one
 * of the two with fewer active connections, <h> on a tie. */
static __always_inline int im_lb_p2c(struct im_lb_draw *d, int h)
{
	__u32 idx = d->base + (h & (IM_SUBSET_EPS - 1));
	struct im_ep *ep = bpf_map_lookup_elem(&im_ep_v3, &idx);
	int second;

	/* a locality of one host: the second draw would be <h> again */
	if (!ep || ep->loc_hi - ep->loc_lo <= 1)
		return h;
	d->lo = ep->loc_lo;
	d->hi = ep->loc_hi;
	second = im_lb_pick(d);
	if (second >= 0 &&
	    im_ep_active(d->base + (second & (IM_SUBSET_EPS - 1))) <
	    im_ep_active(idx))
		return second;
	return h;
}

/*
 * Chooses an endpoint of subset <sub> (absolute index <subset>) in
 * generation <gen>. Returns its absolute im_ep_v3 index, or -1 when no
 * endpoint may be chosen.
 */
static __always_inline __s64 im_lb_choose(__u32 gen, __u32 subset,
					  const struct im_subset *sub)
{
	struct im_lb_health s = {};
	struct im_lb_draw d = { .rr = ~0U };
	__u32 n = sub->n_ep, p;
	__u64 now = 0;
	bool panic;
	int h;

	if (!n || n > IM_SUBSET_EPS || sub->first_ep > IM_MAX_ENDPOINTS - n)
		return -1;
	if (sub->flags & IM_SUB_OUTLIER)
		now = bpf_ktime_get_ns();
	im_lb_health(sub, now, &s);
	h = im_lb_prio(&s, sub->min_health_pct, &panic);
	if (h < 0)
		return -1;
	p = h & (IM_MAX_PRIO - 1);
	d.now = panic ? 0 : now;
	d.base = gen * IM_MAX_ENDPOINTS + sub->first_ep;
	d.lo = p ? sub->prio_end[(p - 1) & (IM_MAX_PRIO - 1)] : 0;
	d.hi = sub->prio_end[p];
	if (d.hi > n)
		return -1;
	if (sub->lb == IM_LB_ROUND_ROBIN)
		d.rr = subset;
	h = im_lb_pick(&d);
	if (h < 0)
		return -1;
	if (sub->lb == IM_LB_LEAST_REQUEST)
		h = im_lb_p2c(&d, h);
	return d.base + (h & (IM_SUBSET_EPS - 1));
}

#endif
