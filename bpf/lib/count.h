/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Active-connection counts (im_ep_state.active) that never leak, never go
 * below zero and never wrap. A socket's claim on its endpoint is the
 * COUNTED bit of its record (im_sock_st, dies with the socket): whoever
 * sets the bit adds 1 first, whoever clears it subtracts 1 after, so the
 * count is never below the number of counted sockets. The bit is changed
 * by compare-and-swap only, because the agent's recount
 * (bpf/recount.bpf.c) works on the same records while sockops runs.
 * Every loop is bounded: a socket's record has at most two writers (its
 * own sockops callback, under the socket lock, and the recount), so a
 * swap that loses IM_CAS_TRIES times in a row gives up rather than spin.
 */
#ifndef IM_BPF_COUNT_H
#define IM_BPF_COUNT_H

#include <bpf/bpf_helpers.h>

#include "lib/maps.h"

#define IM_CAS_TRIES 8
#define IM_U32_MAX 0xffffffffU

/* One load, never merged with another or re-read by the compiler. */
#define IM_LOAD(x) (*(volatile typeof(x) *)&(x))

/* active + 1 unless it would wrap. Returns whether it was added. */
static __always_inline bool im_active_inc(struct im_ep_state *st)
{
	__u32 old;
	int i;

	for (i = 0; i < IM_CAS_TRIES; i++) {
		old = IM_LOAD(st->active);
		if (old == IM_U32_MAX)
			return false;
		if (__sync_val_compare_and_swap(&st->active, old, old + 1) ==
		    old)
			return true;
	}
	return false;
}

/* active - 1 unless it is 0 already. */
static __always_inline void im_active_dec(struct im_ep_state *st)
{
	__u32 old;
	int i;

	for (i = 0; i < IM_CAS_TRIES; i++) {
		old = IM_LOAD(st->active);
		if (!old)
			return;
		if (__sync_val_compare_and_swap(&st->active, old, old - 1) ==
		    old)
			return;
	}
}

/* flags: <clear> off and <set> on, if none of <must_not> is on and all
 * of <must> are. Returns the flags it replaced, or -1 if the condition
 * did not hold (or the swap kept losing). */
static __always_inline long im_flags_swap(__u32 *flags, __u32 must,
					  __u32 must_not, __u32 set,
					  __u32 clear)
{
	__u32 old;
	int i;

	for (i = 0; i < IM_CAS_TRIES; i++) {
		old = IM_LOAD(*flags);
		if ((old & must) != must || (old & must_not))
			return -1;
		if (__sync_val_compare_and_swap(flags, old,
						(old & ~clear) | set) == old)
			return old;
	}
	return -1;
}

/* The socket's connection counts on <st> from now on (if it did not):
 * add first, then claim; undo the add if the claim fails. */
static __always_inline bool im_count_claim(struct im_sock_info *si,
					   struct im_ep_state *st, __u32 must)
{
	if (!im_active_inc(st))
		return false;
	if (im_flags_swap(&si->flags, must, IM_SOCK_COUNTED | IM_SOCK_DONE,
			  IM_SOCK_ESTAB | IM_SOCK_COUNTED, 0) >= 0)
		return true;
	im_active_dec(st);
	return false;
}

/* The socket's connection is over: release, then subtract. */
static __always_inline void im_count_release(struct im_sock_info *si,
					     struct im_ep_state *st)
{
	long old = im_flags_swap(&si->flags, 0, 0, IM_SOCK_DONE,
				 IM_SOCK_ESTAB | IM_SOCK_COUNTED);

	if (old >= 0 && (old & IM_SOCK_COUNTED) && st)
		im_active_dec(st);
}

/* The slot's state, if it still belongs to the host connect4 chose (a
 * freed slot has a new epoch: the socket then charges nothing). */
static __always_inline struct im_ep_state *
im_sock_state(const struct im_sock_info *si)
{
	__u32 slot = si->slot;
	struct im_ep_state *st = bpf_map_lookup_elem(&im_ep_state, &slot);

	return st && st->epoch == si->epoch ? st : NULL;
}

/* enum im_count_mode, as the agent set it. */
static __always_inline __u32 im_count_mode(void)
{
	__u32 zero = 0;
	struct im_count *c = bpf_map_lookup_elem(&im_count, &zero);

	return c ? c->mode : IM_COUNT_NORMAL;
}

#endif
