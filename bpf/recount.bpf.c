// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's recount of active connections (user/dataplane/reconcile.c
 * runs it once at start): the counts are rebuilt from the balanced
 * sockets that exist, found by walking every TCP socket (a tcp iterator,
 * run once per network namespace) for its record in im_sock_st.
 * Connections that closed while no sockops program was attached (the
 * agent was stopped) left their 1 in the count with no record to take it
 * back; after the recount they are gone.
 *
 *   pass 1 (im_pass = 1, sockops in RECOUNT mode): every record gives
 *          its claim back (COUNTED off, active - 1). Afterwards active
 *          holds only the leaked connections, and nothing adds to it.
 *   zero   (im_recount_zero): active = 0 in every slot.
 *   pass 2 (im_pass = 2, sockops NORMAL again): every socket that is
 *          ESTABLISHED and whose connection was not seen ending claims
 *          (active + 1, COUNTED on); a record whose socket left
 *          ESTABLISHED unseen is closed (DONE).
 * The compare-and-swap rules of lib/count.h make each step safe while
 * sockops runs on the same records.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/config.h"
#include "lib/maps.h"
#include "lib/count.h"

#define IM_TCP_ESTABLISHED 1

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the agent before each run. */
__u32 im_pass;

/* What the last runs did, for the agent's log and the tests. */
__u64 im_released;	/* pass 1: claims given back */
__u64 im_leaked;	/* zero: connections counted that no socket held */
__u64 im_claimed;	/* pass 2: established connections counted */
__u64 im_closed;	/* pass 2: records of connections that ended unseen */

static __always_inline void im_pass1(struct im_sock_info *si)
{
	long old = im_flags_swap(&si->flags, IM_SOCK_COUNTED, 0, 0,
				 IM_SOCK_COUNTED);
	struct im_ep_state *st;

	if (old < 0)
		return;
	st = im_sock_state(si);
	if (st)
		im_active_dec(st);
	im_released++;
}

static __always_inline void im_pass2(__u8 state, struct im_sock_info *si)
{
	struct im_ep_state *st;

	if (state != IM_TCP_ESTABLISHED) {
		/* it was up and is no longer: it ended while sockops was
		 * away (a socket still in SYN_SENT has no ESTAB) */
		if (im_flags_swap(&si->flags, IM_SOCK_ESTAB, IM_SOCK_DONE,
				  IM_SOCK_DONE, IM_SOCK_ESTAB) >= 0)
			im_closed++;
		return;
	}
	st = im_sock_state(si);
	if (st && im_count_claim(si, st, 0))
		im_claimed++;
}

SEC("iter/tcp")
int im_recount(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct im_sock_info *si;
	struct tcp_sock *tp;

	if (!skc)
		return 0;	/* the end of the walk */
	tp = bpf_skc_to_tcp_sock(skc);	/* no time-wait or request socks */
	if (!tp)
		return 0;
	si = bpf_sk_storage_get(&im_sock_st, tp, 0, 0);
	if (!si)
		return 0;	/* not balanced by connect4 */
	if (im_pass == 1)
		im_pass1(si);
	else if (im_pass == 2)
		im_pass2(tp->inet_conn.icsk_inet.sk.__sk_common.skc_state, si);
	return 0;
}

static long im_zero_slot(__u32 i, void *data)
{
	struct im_ep_state *st = bpf_map_lookup_elem(&im_ep_state, &i);

	if (st)
		im_leaked += __sync_lock_test_and_set(&st->active, 0);
	return 0;
}

/* Between the passes nothing changes active (no socket is COUNTED and
 * sockops in RECOUNT mode adds nothing): what is left there leaked. */
SEC("syscall")
int im_recount_zero(void *ctx)
{
	bpf_loop(IM_MAX_EP_STATE, im_zero_slot, NULL, 0);
	return 0;
}
