/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Parsing what the guards judge: Ethernet, at most one VLAN tag, IPv4 with
 * options, and the TCP header of a first fragment. Every pointer is checked
 * against <end> before use (the verifier insists). A header that claims
 * more than the packet holds, or less than its minimum, is malformed; a
 * total length of 0 is BIG TCP's (RFC 2675 style) and is parsed.
 */
#ifndef IM_BPF_PKT_H
#define IM_BPF_PKT_H

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/consts.h"

#define IM_ETH_P_8021AD	0x88a8
#define IM_IP_OFFMASK	0x1fff	/* fragment offset, in 8-byte units */
/* A GSO packet over 64 KiB (BIG TCP) carries IPv4 total length 0: its
 * real length is only in the skb. Parsed as if it were this long. */
#define IM_IP_BIG_LEN	0x10000U
#define IM_TCP_HLEN	20
#define IM_TCP_SYN	0x02
#define IM_TCP_ACK	0x10
/* Bytes a guard needs in the linear part: Ethernet, VLAN, IPv4 with the
 * longest options, TCP without options. */
#define IM_PKT_HDRS	(ETH_HLEN + 4 + IPV4_MAX_HLEN + IM_TCP_HLEN)

enum im_pkt_kind {
	IM_PKT_TCP4 = 0,	/* IPv4 TCP with its header: ports are set */
	IM_PKT_OTHER4,		/* other IPv4, or a later fragment: addrs set */
	IM_PKT_NOT_IPV4,	/* IPv6, ARP...: not judged here */
	IM_PKT_MALFORMED,
};

struct im_pkt {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 tcp_flags;		/* byte 13 of the TCP header */
};

struct im_vlan {
	__be16 tci;
	__be16 proto;		/* the encapsulated ethertype */
};

/* The ethertype after at most one VLAN tag, and where its header starts. */
static __always_inline int im_pkt_l2(void *data, void *end, void **l3,
				     __be16 *proto)
{
	struct ethhdr *eth = data;
	struct im_vlan *vh;

	if ((void *)(eth + 1) > end)
		return -1;
	*proto = eth->h_proto;
	*l3 = eth + 1;
	if (*proto != bpf_htons(ETH_P_8021Q) &&
	    *proto != bpf_htons(IM_ETH_P_8021AD))
		return 0;
	vh = *l3;
	if ((void *)(vh + 1) > end)
		return -1;
	*proto = vh->proto;
	*l3 = vh + 1;
	return 0;
}

static __always_inline enum im_pkt_kind im_pkt_tcp(void *l4, void *end,
						   __u32 room,
						   struct im_pkt *pk)
{
	struct tcphdr *tcp = l4;

	if ((void *)(tcp + 1) > end || room < IM_TCP_HLEN || tcp->doff < 5)
		return IM_PKT_MALFORMED;
	pk->sport = tcp->source;
	pk->dport = tcp->dest;
	pk->tcp_flags = ((__u8 *)tcp)[13];
	return IM_PKT_TCP4;
}

static __always_inline enum im_pkt_kind im_pkt_parse(void *data, void *end,
						     struct im_pkt *pk)
{
	struct iphdr *ip;
	__u32 hlen, tot;
	__be16 proto;
	void *l3;

	if (im_pkt_l2(data, end, &l3, &proto))
		return IM_PKT_MALFORMED;
	if (proto != bpf_htons(ETH_P_IP))
		return IM_PKT_NOT_IPV4;
	ip = l3;
	if ((void *)(ip + 1) > end)
		return IM_PKT_MALFORMED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (!tot)
		tot = IM_IP_BIG_LEN;	/* BIG TCP: the length is the skb's */
	if (ip->version != 4 || hlen < IPV4_MIN_HLEN || tot < hlen ||
	    l3 + hlen > end)
		return IM_PKT_MALFORMED;
	pk->saddr = ip->saddr;
	pk->daddr = ip->daddr;
	pk->proto = ip->protocol;
	if (ip->protocol != IPPROTO_TCP ||
	    (ip->frag_off & bpf_htons(IM_IP_OFFMASK)))
		return IM_PKT_OTHER4;
	return im_pkt_tcp(l3 + hlen, end, tot - hlen, pk);
}

#endif
