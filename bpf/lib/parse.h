/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Packet parsing shared by the tc and XDP programs. Every pointer is checked
 * against data_end before use: the verifier rejects any read it cannot prove
 * is inside the packet. */
#ifndef IM_BPF_PARSE_H
#define IM_BPF_PARSE_H

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/consts.h"

enum parse_res {
	PARSE_IPV4 = 0,		/* *ipp is a complete, sane IPv4 header */
	PARSE_NOT_IPV4,		/* another ethertype: not ours to judge */
	PARSE_MALFORMED,	/* cut short, or fields that cannot be */
};

/*
 * Parses the Ethernet header at <data> and, for IPv4, the IP header with
 * its options. Returns PARSE_IPV4 and sets <*ipp>, or why not. A header
 * whose total length is smaller than its own header length is malformed;
 * whether the payload is all there is the caller's business (a tc skb may
 * be non-linear, so only XDP can judge that from data_end).
 */
static __always_inline enum parse_res
parse_eth_ipv4(void *data, void *data_end, struct iphdr **ipp)
{
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 hlen;

	if ((void *)(eth + 1) > data_end)
		return PARSE_MALFORMED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return PARSE_NOT_IPV4;
	ip = (void *)(eth + 1);
	if ((void *)ip + IPV4_MIN_HLEN > data_end)
		return PARSE_MALFORMED;
	hlen = ip->ihl * 4;
	if (ip->version != 4 || hlen < IPV4_MIN_HLEN)
		return PARSE_MALFORMED;
	if ((void *)ip + hlen > data_end)
		return PARSE_MALFORMED;
	if (bpf_ntohs(ip->tot_len) < hlen)
		return PARSE_MALFORMED;
	*ipp = ip;
	return PARSE_IPV4;
}

#endif
