/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Local-origin outlier detection, Envoy's rules as Istio configures them,
 * per cluster: the state is the host's slot in that subset (im_ep.slot),
 * so the same address in two subsets is two hosts, as in Envoy.
 * Consecutive connect failures eject an endpoint for baseEjectionTime x k
 * (k = back-off counter, +1 per ejection, -1 per healthy interval), capped
 * at max(im_max_eject_ns, base), only while 100 * (ejected + 1) / total <=
 * maxEjectionPercent. There is no sweep timer: an endpoint is ejected while
 * now < ejected_until, which selection checks, so it returns on its own.
 */
#ifndef IM_BPF_OUTLIER_H
#define IM_BPF_OUTLIER_H

#include <bpf/bpf_helpers.h>

#include "lib/maps.h"

#define IM_NS_PER_MS 1000000ULL

/* The state in slot <slot>; NULL only for a slot out of range. */
static __always_inline struct im_ep_state *im_slot_state(__u32 slot)
{
	return bpf_map_lookup_elem(&im_ep_state, &slot);
}

/* <now> 0: the subset has no outlier detection, so nothing is ejected
 * (in Envoy, dropping outlierDetection rebuilds the cluster). */
static __always_inline bool im_slot_ejected(__u32 slot, __u64 now)
{
	struct im_ep_state *st;

	if (!now)
		return false;
	st = im_slot_state(slot);
	return st && now < st->ejected_until;
}

/* Counting ejected endpoints of a subset (bpf_loop context). */
struct im_ej_count {
	__u64 now;
	__u32 base;		/* absolute index of the first endpoint */
	__u32 ejected;
};

static long im_ej_count_step(__u32 i, void *data)
{
	struct im_ej_count *c = data;
	__u32 idx = c->base + i;
	struct im_ep *ep = bpf_map_lookup_elem(&im_ep_v2, &idx);

	if (!ep)
		return 1;
	if (im_slot_ejected(ep->slot, c->now))
		c->ejected++;
	return 0;
}

/* maxEjectionPercent as current Envoy applies it (no "at least one"). */
static __always_inline bool im_eject_allowed(const struct im_subset *sub,
					     __u32 gen, __u64 now)
{
	struct im_ej_count c = { .now = now };
	__u32 n = sub->n_ep < IM_SUBSET_EPS ? sub->n_ep : IM_SUBSET_EPS;

	if (!n || sub->first_ep > IM_MAX_ENDPOINTS - n)
		return false;
	c.base = gen * IM_MAX_ENDPOINTS + sub->first_ep;
	bpf_loop(n, im_ej_count_step, &c, 0);
	return 100 * (c.ejected + 1) <= (__u32)sub->max_eject_pct * n;
}

/* The back-off counter for a new ejection: one step off per interval the
 * endpoint has been back, then one on for this ejection. */
static __always_inline __u32 im_eject_k(const struct im_ep_state *st,
					const struct im_subset *sub, __u64 now)
{
	__u64 ticks, interval = sub->interval_ms * IM_NS_PER_MS;
	__u32 k = st->eject_k;

	if (k && interval && now > st->ejected_until) {
		ticks = (now - st->ejected_until) / interval;
		k = ticks >= k ? 0 : k - (__u32)ticks;
	}
	return k + 1;
}

static __always_inline void im_eject(struct im_ep_state *st,
				     const struct im_subset *sub, __u64 now)
{
	__u64 base = sub->base_eject_ms * IM_NS_PER_MS;
	__u64 cap = im_max_eject_ns > base ? im_max_eject_ns : base;
	__u32 k = im_eject_k(st, sub, now);
	__u64 dur = base * k;

	st->eject_k = k;
	st->ejected_until = now + (dur < cap ? dur : cap);
	st->consec_fail = 0;	/* Envoy resets the counters on return */
	__sync_fetch_and_add(&st->ejections, 1);
}

/*
 * A connect from a socket connect4 sent to <si> failed locally (refused,
 * timed out): count it against the host in that cluster, and eject it
 * when the subset's consecutiveLocalOriginFailures is reached. A socket
 * whose slot has since been freed (epoch moved on) counts nowhere.
 */
static __always_inline void im_outlier_fail(const struct im_sock_info *si)
{
	struct im_ep_state *st = im_slot_state(si->slot);
	__u32 idx = si->subset, n;
	struct im_subset *sub;
	__u64 now;

	if (!st || st->epoch != si->epoch)
		return;
	__sync_fetch_and_add(&st->fails, 1);
	n = __sync_fetch_and_add(&st->consec_fail, 1) + 1;
	sub = bpf_map_lookup_elem(&im_subset, &idx);
	if (!sub || !(sub->flags & IM_SUB_OUTLIER) || !sub->consec_fail ||
	    n < sub->consec_fail)
		return;
	now = bpf_ktime_get_ns();
	if (now < st->ejected_until)
		return;		/* chosen in panic while ejected */
	if (im_eject_allowed(sub, idx / IM_MAX_SUBSETS, now))
		im_eject(st, sub, now);
}

/* The connection is up: a success resets the consecutive count. */
static __always_inline void im_outlier_success(struct im_ep_state *st)
{
	st->consec_fail = 0;
}

#endif
