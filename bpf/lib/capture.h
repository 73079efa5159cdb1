/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Outbound capture, the sockops half (the connect4 half is in
 * connect.bpf.c): a captured socket carries connect4's record in its
 * storage (im_cap_st_v2); before its SYN leaves (TCP_CONNECT_CB), its local
 * address is known and the record is published in im_cap_v2 under the
 * address the agent's listener will see after accept(). accept() cannot
 * return before the handshake the SYN starts completes, so the agent
 * never looks before the record is there. The entry goes when the agent
 * takes it, or when the socket fails to connect or leaves ESTABLISHED:
 * while the socket lives, no other socket of that namespace can hold
 * the same address towards the listener, so an entry is never another
 * socket's. Only used when the loader sets im_capture (lib/config.h).
 */
#ifndef IM_BPF_CAPTURE_H
#define IM_BPF_CAPTURE_H

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/maps.h"

static __always_inline void im_cap_key_of(struct bpf_sock_ops *skops,
					  struct im_cap_key *k)
{
	k->netns = bpf_get_netns_cookie(skops);
	k->ip = skops->local_ip4;			/* network order */
	k->port = bpf_htons((__u16)skops->local_port);	/* host order */
}

/* Publishes or withdraws a captured socket's record. Returns whether
 * <sk> is a captured socket (its connect failures are the listener's,
 * not its endpoint's). */
static __always_inline bool im_capture_sockops(struct bpf_sock_ops *skops,
					       struct bpf_sock *sk, __u32 op)
{
	struct im_capture *c = bpf_sk_storage_get(&im_cap_st_v2, sk, 0, 0);
	struct im_cap_key k = {};
	__u32 from, to;

	if (!c)
		return false;
	im_cap_key_of(skops, &k);
	if (op == BPF_SOCK_OPS_TCP_CONNECT_CB) {
		/* the agent refuses a connection it finds no record for */
		if (bpf_map_update_elem(&im_cap_v2, &k, c, BPF_ANY))
			im_count_drop(IM_DROP_CAPTURE_FULL);
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
					  BPF_SOCK_OPS_STATE_CB_FLAG);
		return true;
	}
	from = skops->args[0];
	to = skops->args[1];
	if (from == BPF_TCP_SYN_SENT && to == BPF_TCP_ESTABLISHED)
		return true;
	if (from != BPF_TCP_SYN_SENT && from != BPF_TCP_ESTABLISHED)
		return true;
	bpf_map_delete_elem(&im_cap_v2, &k);
	/* the rest of the close is none of ours (nor of lib/count.h's,
	 * which is done with a socket once it leaves these states) */
	bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags &
				  ~BPF_SOCK_OPS_STATE_CB_FLAG);
	return true;
}

#endif
