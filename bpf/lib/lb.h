/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Choosing a subset for a route and an endpoint within a subset, as Envoy
 * would for that cluster:
 *   1. scan: which endpoints are ejected, how many hosts each priority has
 *      and how many are healthy;
 *   2. priority: each priority takes min(100, 1.4 x healthy%) of the load
 *      in order, normalised when the sum is under 100; a priority whose
 *      healthy share is below minHealthPercent is in panic and uses all of
 *      its hosts; no healthy host anywhere: panic over P0 if
 *      minHealthPercent > 0, else nothing (Envoy's 503 UH);
 *   3. host: weighted walk over the eligible endpoints of that priority, so
 *      a locality is reached in proportion to its weight; LEAST_REQUEST
 *      then draws a second host in the same locality and keeps the one
 *      with fewer active connections (power of two choices). Both draws
 *      share one walk unless the priority has several localities.
 * Ejection and active counts are per cluster: im_ep.slot's state.
 * Loops over endpoints run through bpf_loop: the verifier checks the body
 * once instead of once per iteration.
 */
#ifndef IM_BPF_LB_H
#define IM_BPF_LB_H

#include <bpf/bpf_helpers.h>

#include "lib/maps.h"
#include "lib/outlier.h"

#define IM_LOC_ANY 0xff
#define IM_OVERPROVISION 140	/* Envoy's overprovisioning factor, x100 */

/* A route's destination, chosen by weight. Returns the subset index
 * (within gen) or -1. */
static __always_inline int im_route_pick(const struct im_route *rt)
{
	__u32 i, sum = 0, r;

	if (rt->n_dst == 1)	/* the common case: no draw */
		return rt->dst[0].weight ? (int)rt->dst[0].subset : -1;
	for (i = 0; i < IM_ROUTE_DSTS; i++)
		if (i < rt->n_dst)
			sum += rt->dst[i].weight;
	if (!sum)
		return -1;
	r = bpf_get_prandom_u32() % sum;
	for (i = 0; i < IM_ROUTE_DSTS; i++) {
		if (i >= rt->n_dst)
			break;
		if (r < rt->dst[i].weight)
			return rt->dst[i].subset;
		r -= rt->dst[i].weight;
	}
	return -1;
}

/* Step 1 (bpf_loop context): hosts, healthy hosts and their weights per
 * priority, so that step 3 needs one walk instead of a sum and a walk. */
struct im_lb_scan {
	__u64 now;			/* 0: the subset never ejects */
	__u64 healthy;			/* bit i: endpoint i not ejected */
	__u32 base;			/* absolute index of endpoint 0 */
	__u32 wall[IM_MAX_PRIO];	/* summed weights, all hosts */
	__u32 wgood[IM_MAX_PRIO];	/* summed weights, healthy hosts */
	__u16 total[IM_MAX_PRIO];
	__u16 good[IM_MAX_PRIO];
	__u8 loc[IM_MAX_PRIO];		/* locality of its first host */
	__u8 mixed;			/* bit p: P<p> has several localities */
	__u8 pad[7];
};

static long im_lb_scan_step(__u32 i, void *data)
{
	struct im_lb_scan *s = data;
	__u32 idx = s->base + i, p;
	struct im_ep *ep = bpf_map_lookup_elem(&im_ep_v2, &idx);

	if (!ep)
		return 1;
	p = ep->prio & (IM_MAX_PRIO - 1);
	if (!s->total[p])
		s->loc[p] = ep->loc;
	else if (s->loc[p] != ep->loc)
		s->mixed |= 1 << p;
	s->total[p]++;
	s->wall[p] += ep->weight;
	if (!im_slot_ejected(ep->slot, s->now)) {
		s->good[p]++;
		s->wgood[p] += ep->weight;
		s->healthy |= 1ULL << (i & 63);
	}
	return 0;
}

/* Step 2: the priority to use, or -1; <*panic> when it is in panic. */
static __always_inline int im_lb_prio(const struct im_lb_scan *s,
				      __u8 min_health, bool *panic)
{
	__u32 health[IM_MAX_PRIO], sum = 0, left = 100, load, r, p;
	__u32 loaded = 0;

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

/* Step 3: weighted walks over the eligible endpoints (bpf_loop context),
 * two draws at once: r[d] is draw d's position in the summed weights,
 * pick[d] its endpoint number (-1 until found). r[0] == ~0 only sums. */
struct im_lb_walk {
	__u64 elig;			/* bit i: endpoint i may be chosen */
	__u32 base;
	__u32 r[2];
	__u32 sum;
	__s32 pick[2];
	__u8 prio;
	__u8 loc;			/* IM_LOC_ANY, or this locality only */
	__u8 pad[2];
};

static long im_lb_walk_step(__u32 i, void *data)
{
	struct im_lb_walk *w = data;
	__u32 idx = w->base + i;
	struct im_ep *ep;

	if (!((w->elig >> (i & 63)) & 1))
		return 0;
	ep = bpf_map_lookup_elem(&im_ep_v2, &idx);
	if (!ep)
		return 1;
	if (ep->prio != w->prio || (w->loc != IM_LOC_ANY && ep->loc != w->loc))
		return 0;
	w->sum += ep->weight;
	if (w->pick[0] < 0 && w->r[0] < w->sum)
		w->pick[0] = i;
	if (w->pick[1] < 0 && w->r[1] < w->sum)
		w->pick[1] = i;
	return w->pick[0] >= 0 && w->pick[1] >= 0;
}

/* One walk for draw 0 (and draw 1 unless pick[1] is preset). */
static __always_inline void im_lb_walk(struct im_lb_walk *w, __u32 n)
{
	w->sum = 0;
	w->pick[0] = -1;
	bpf_loop(n, im_lb_walk_step, w, 0);
}

static __always_inline __u32 im_lb_rr_next(__u32 subset)
{
	__u32 *pos = bpf_map_lookup_elem(&im_rr, &subset);

	return pos ? (*pos)++ : bpf_get_prandom_u32();
}

static __always_inline __u32 im_ep_active(__u32 idx)
{
	struct im_ep *ep = bpf_map_lookup_elem(&im_ep_v2, &idx);
	struct im_ep_state *st;

	if (!ep)
		return ~0U;
	st = im_slot_state(ep->slot);
	return st ? st->active : 0;
}

/* LEAST_REQUEST's second host when P<prio> has several localities: a
 * draw in the locality of <first>, which needs its summed weight first. */
static __always_inline int im_lb_second(struct im_lb_walk *w, __u32 n,
					int first)
{
	__u32 idx = w->base + (first & (IM_SUBSET_EPS - 1));
	struct im_ep *ep = bpf_map_lookup_elem(&im_ep_v2, &idx);

	if (!ep)
		return -1;
	w->loc = ep->loc;
	w->r[0] = ~0U;
	w->pick[1] = 0;
	im_lb_walk(w, n);
	if (!w->sum)
		return -1;
	w->r[0] = bpf_get_prandom_u32() % w->sum;
	im_lb_walk(w, n);
	return w->pick[0];
}

/*
 * Chooses an endpoint of subset <sub> (absolute index <subset>) in
 * generation <gen>. Returns its absolute im_ep_v2 index, or -1 when no
 * endpoint may be chosen. LEAST_REQUEST draws a second host in the same
 * locality and keeps the one with fewer active connections, the first on
 * a tie (power of two choices).
 */
static __always_inline __s64 im_lb_choose(__u32 gen, __u32 subset,
					  const struct im_subset *sub)
{
	struct im_lb_scan s = {};
	struct im_lb_walk w = { .loc = IM_LOC_ANY };
	__u32 n = sub->n_ep < IM_SUBSET_EPS ? sub->n_ep : IM_SUBSET_EPS, sum;
	bool panic, p2c = sub->lb == IM_LB_LEAST_REQUEST, mixed;
	int p, h, second;

	if (!n || sub->first_ep > IM_MAX_ENDPOINTS - n)
		return -1;
	if (sub->flags & IM_SUB_OUTLIER)
		s.now = bpf_ktime_get_ns();
	s.base = gen * IM_MAX_ENDPOINTS + sub->first_ep;
	bpf_loop(n, im_lb_scan_step, &s, 0);
	p = im_lb_prio(&s, sub->min_health_pct, &panic);
	if (p < 0)
		return -1;
	p &= IM_MAX_PRIO - 1;
	sum = panic ? s.wall[p] : s.wgood[p];
	if (!sum)
		return -1;
	mixed = (s.mixed >> p) & 1;
	w.base = s.base;
	w.prio = p;
	w.elig = panic ? ~0ULL : s.healthy;
	w.r[0] = (sub->lb == IM_LB_ROUND_ROBIN ? im_lb_rr_next(subset) :
		  bpf_get_prandom_u32()) % sum;
	w.pick[1] = 0;		/* no second draw in this walk */
	if (p2c && !mixed) {
		w.r[1] = bpf_get_prandom_u32() % sum;
		w.pick[1] = -1;
	}
	im_lb_walk(&w, n);
	h = w.pick[0];
	if (h < 0 || !p2c)
		return h < 0 ? -1 : s.base + (h & (IM_SUBSET_EPS - 1));
	second = mixed ? im_lb_second(&w, n, h) : w.pick[1];
	if (second >= 0 &&
	    im_ep_active(s.base + (second & (IM_SUBSET_EPS - 1))) <
	    im_ep_active(s.base + (h & (IM_SUBSET_EPS - 1))))
		h = second;
	return s.base + (h & (IM_SUBSET_EPS - 1));
}

#endif
