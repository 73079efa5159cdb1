/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Local-origin outlier detection, Envoy's rules as Istio configures them,
 * per cluster: the state is the host's slot in that subset (im_ep.slot),
 * so the same address in two subsets is two hosts, as in Envoy.
 * Consecutive connect failures eject an endpoint for baseEjectionTime x k
 * (k = back-off counter, +1 per ejection, -1 per healthy interval), capped
 * at max(im_max_eject_ns, base), only while 100 * (ejected + 1) / total <=
 * maxEjectionPercent. There is no sweep timer: an endpoint is ejected while
 * now < ejected_until, which selection checks, so it returns on its own;
 * its entry in the cluster's list (im_cl_ej) expires at the same time.
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

/* Hosts of a cluster ejected at <now>, and a free entry of its list for
 * one more (IM_CL_EJECT: none free). A fixed number of steps, whatever
 * the cluster's size. */
static __always_inline __u32 im_ej_live(const struct im_cl_ej *l, __u64 now,
					__u32 *free)
{
	__u32 i, n = 0;

	*free = IM_CL_EJECT;
	for (i = 0; i < IM_CL_EJECT; i++) {
		if (now < l->e[i].until)
			n++;
		else if (*free == IM_CL_EJECT)
			*free = i;
	}
	return n;
}

/* The back-off counter for a new ejection: one step off per interval the
 * endpoint has been back, then one on for this ejection. */
static __always_inline __u32 im_eject_k(const struct im_ep_state *st,
					const struct im_host *h, __u64 now)
{
	__u64 ticks, interval = h->interval_ms * IM_NS_PER_MS;
	__u32 k = st->eject_k;

	if (k && interval && now > st->ejected_until) {
		ticks = (now - st->ejected_until) / interval;
		k = ticks >= k ? 0 : k - (__u32)ticks;
	}
	return k + 1;
}

/* Ejects the host in slot <slot>: its state says until when, and entry
 * <i> of its cluster's list counts it meanwhile. */
static __always_inline void im_eject(struct im_ep_state *st,
				     const struct im_host *h,
				     struct im_cl_ej *l, __u32 i,
				     __u32 slot, __u64 now)
{
	__u64 base = h->base_eject_ms * IM_NS_PER_MS;
	__u64 cap = im_max_eject_ns > base ? im_max_eject_ns : base;
	__u32 k = im_eject_k(st, h, now);
	__u64 dur = base * k, until;

	until = now + (dur < cap ? dur : cap);
	st->eject_k = k;
	st->ejected_until = until;
	st->consec_fail = 0;	/* Envoy resets the counters on return */
	__sync_fetch_and_add(&st->ejections, 1);
	i &= IM_CL_EJECT - 1;
	l->e[i].slot = slot;
	l->e[i].prio = h->prio;
	l->e[i].until = until;
	if (l->until_max < until)
		l->until_max = until;
}

/*
 * A connect to the host connect4 chose (slot <slot>, owned by <epoch>
 * then) failed locally: refused or timed out, seen by sockops on a
 * direct socket or by the agent's proxy on a captured call
 * (bpf/outcome.bpf.c). Count it against the host in that cluster, and
 * eject it when the cluster's consecutiveLocalOriginFailures is reached
 * and maxEjectionPercent allows: 100 * (ejected + 1) <= max * hosts, as
 * current Envoy applies it (no "at least one"). A slot freed since
 * (epoch moved on) counts nowhere. The settings come by the slot
 * (im_host), which keeps its cluster across table switches.
 * Returns enum im_outcome_ret.
 */
static __always_inline int im_outlier_fail(__u32 slot, __u32 epoch)
{
	struct im_ep_state *st = im_slot_state(slot);
	struct im_cl_ej *l;
	struct im_host *h;
	__u32 n, live, free;
	__u64 now;

	if (!st || st->epoch != epoch)
		return IM_OUTCOME_STALE;
	__sync_fetch_and_add(&st->fails, 1);
	n = __sync_fetch_and_add(&st->consec_fail, 1) + 1;
	h = bpf_map_lookup_elem(&im_host, &slot);
	if (!h || !(h->flags & IM_SUB_OUTLIER) || !h->consec_fail ||
	    n < h->consec_fail)
		return IM_OUTCOME_COUNTED;
	now = bpf_ktime_get_ns();
	/* chosen in panic while ejected: it stays as it is */
	if (now < st->ejected_until)
		return IM_OUTCOME_COUNTED;
	l = bpf_map_lookup_elem(&im_cl_ej, &h->cluster);
	if (!l)		/* no list: never eject uncounted */
		return IM_OUTCOME_COUNTED;
	live = im_ej_live(l, now, &free);
	if (free >= IM_CL_EJECT ||
	    100 * (live + 1) > (__u32)h->max_eject_pct * h->n_ep)
		return IM_OUTCOME_COUNTED;
	im_eject(st, h, l, free, slot, now);
	return IM_OUTCOME_EJECTED;
}

/* The connection is up: one more established, and a success resets the
 * consecutive count. */
static __always_inline void im_outlier_success(struct im_ep_state *st)
{
	__sync_fetch_and_add(&st->conns, 1);
	st->consec_fail = 0;
}

#endif
