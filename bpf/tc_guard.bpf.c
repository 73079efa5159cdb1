// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tc guard for a workload's interface, judging what arrives for the
 * workload in plaintext. Plaintext carries no authenticated identity: as in
 * Istio, principals and namespaces never match it, notPrincipals and
 * notNamespaces always do; ipBlocks judge the source address and
 * destination.ip the workload's address the packet is for. STRICT ports
 * drop it, PERMISSIVE ports pass it to the policy, except ports judged per
 * HTTP request (IM_WLPORT_L7): only the agent's leg may reach those, as
 * the L4 policy there is wider than the requests' (l7_plaintext). Each
 * drop is counted by its stable reason.
 *
 * Which packets are judged: every packet to a port with its own im_wlport
 * entry (a listening port: nothing but inbound traffic reaches it), and
 * only connection openings (SYN without ACK) to the other ports, whose
 * packets are mostly replies to the workload's own outbound connections;
 * a refused opening leaves the rest of that flow with no socket to reach.
 * A local mesh workload without live entries (im_local) has its openings
 * judged by its namespace's or the mesh's mode: never passed unjudged.
 * With capture on, a workload's HBONE port (the agent's mTLS listener in
 * the pod) passes; the agent's plaintext leg to the workload starts
 * inside the pod's own namespace and never reaches this guard.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/config.h"
#include "lib/maps.h"
#include "lib/pkt.h"
#include "lib/policy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* A connection opening to <daddr>, which has no live entries: a mesh
 * workload of this node whose own objects are not live yet (a new pod, a
 * rejected object, tables that did not compile) meets its namespace's or
 * the mesh's default; any other address is not ours to judge. */
static __always_inline __u32 im_judge_default(__be32 daddr)
{
	struct im_local *l = bpf_map_lookup_elem(&im_local, &daddr);

	if (!l)
		return IM_DROP_NONE;	/* not a mesh workload of this node */
	return l->mode == IM_MODE_STRICT ? IM_DROP_STRICT_PLAINTEXT
					 : IM_DROP_NONE;
}

/* The verdict on a parsed TCP packet: IM_DROP_NONE or why it is dropped. */
static __always_inline __u32 im_judge(const struct im_pkt *pk)
{
	struct im_peer peer = { .ip = pk->saddr };	/* no identity */
	__u32 gen = im_live_gen();
	struct im_wlport *wp;
	bool exact, opening;

	/* with capture on, only the agent listens on a workload's HBONE
	 * port, and only for mTLS tunnels */
	if (im_capture && pk->dport == bpf_htons(IM_HBONE_PORT))
		return IM_DROP_NONE;
	opening = (pk->tcp_flags & (IM_TCP_SYN | IM_TCP_ACK)) == IM_TCP_SYN;
	wp = im_wlport_find(gen, pk->daddr, pk->dport, &exact);
	if (!wp)
		return opening ? im_judge_default(pk->daddr) : IM_DROP_NONE;
	if (!exact && !opening)
		return IM_DROP_NONE;
	if (wp->mode == IM_MODE_STRICT)
		return IM_DROP_STRICT_PLAINTEXT;
	/* PERMISSIVE too: only the agent can judge its requests */
	if (wp->flags & IM_WLPORT_L7)
		return IM_DROP_L7_PLAINTEXT;
	return im_policy_verdict(gen, wp->polset, &peer, pk->daddr,
				 bpf_ntohs(pk->dport));
}

static __always_inline __u32 im_guard(struct __sk_buff *skb)
{
	struct im_pkt pk = {};
	void *data, *end;

	/* headers may sit in paged data: make them linear first */
	bpf_skb_pull_data(skb, skb->len < IM_PKT_HDRS ? skb->len : IM_PKT_HDRS);
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	switch (im_pkt_parse(data, end, &pk)) {
	case IM_PKT_MALFORMED:
		return IM_DROP_MALFORMED;
	case IM_PKT_TCP4:
		break;
	default:
		return IM_DROP_NONE;	/* UDP, ICMP, IPv6: not judged */
	}
	if (im_agent_mark && skb->mark == im_agent_mark)
		return IM_DROP_NONE;	/* the agent's own, authorized leg */
	return im_judge(&pk);
}

SEC("tc")
int im_tc_guard(struct __sk_buff *skb)
{
	__u32 reason = im_guard(skb);

	if (reason == IM_DROP_NONE)
		return TC_ACT_OK;
	im_count_drop(reason);
	return TC_ACT_SHOT;
}
