// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP guard for the node interface: drops new connections (SYN without
 * ACK) from sources the agent found denied for every workload of the node
 * (im_xdeny) on their way to a local mesh workload (im_local), before the
 * stack spends anything on them, and IPv4 headers that cannot be right.
 * Everything else passes: replies to the node's and the workloads' own
 * calls (SYN-ACKs, DNS answers), ICMP (frag-needed keeps path MTU
 * discovery alive), traffic for the node itself and other nodes' overlay
 * traffic. The finer per-port and per-workload decisions stay with the tc
 * guard.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/config.h"
#include "lib/maps.h"
#include "lib/pkt.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline __u32 im_xdp_judge(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct im_xdeny_key k = { .prefixlen = 32 + 32 };
	struct im_pkt pk = {};

	switch (im_pkt_parse(data, end, &pk)) {
	case IM_PKT_MALFORMED:
		return IM_DROP_MALFORMED;
	case IM_PKT_TCP4:
		break;
	default:
		return IM_DROP_NONE;	/* ICMP, UDP, fragments, IPv6 */
	}
	if ((pk.tcp_flags & (IM_TCP_SYN | IM_TCP_ACK)) != IM_TCP_SYN)
		return IM_DROP_NONE;	/* not a new connection */
	if (!bpf_map_lookup_elem(&im_local, &pk.daddr))
		return IM_DROP_NONE;	/* not for a local mesh workload */
	k.gen = im_live_gen();
	k.ip = pk.saddr;
	if (bpf_map_lookup_elem(&im_xdeny, &k))
		return IM_DROP_XDP_DENIED_SRC;
	return IM_DROP_NONE;
}

SEC("xdp")
int im_xdp_guard(struct xdp_md *ctx)
{
	__u32 reason = im_xdp_judge(ctx);

	if (reason == IM_DROP_NONE)
		return XDP_PASS;
	im_count_drop(reason);
	return XDP_DROP;
}
