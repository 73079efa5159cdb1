/* SPDX-License-Identifier: Apache-2.0 */
/* Builds test frames for BPF_PROG_TEST_RUN from a description, so tests say
 * what a packet is instead of carrying hex blobs:
 *   len = pkt_eth_ipv4_tcp(buf, &(struct pkt_spec){ .dport = 8081 });
 * Every field left 0 takes a sane default; the odd ones (ihl, version,
 * tot_len, cut) exist to build malformed packets on purpose. */
#ifndef IM_KERNEL_PKT_BUILD_H
#define IM_KERNEL_PKT_BUILD_H

#include <linux/types.h>
#include <stddef.h>

#define PKT_MAX 256	/* every builder may write this much into <buf> */

struct pkt_spec {
	__u16 ethertype;	/* host order; 0 = ETH_P_IP */
	__u32 saddr, daddr;	/* host order; 0 = 10.0.0.1 / 10.0.0.2 */
	__u16 sport, dport;	/* host order; 0 = 40000 / 8080 */
	__u8 tcp_flags;		/* 0 = SYN */
	__u8 ihl;		/* 0 = 5; 6..15 add NOP options; 1..4 lie */
	__u8 version;		/* 0 = 4 */
	__u8 pad;
	__u16 tot_len;		/* 0 = the real length; else written as is */
	__u16 payload;		/* payload bytes after the L4 header */
	__u16 cut;		/* nonzero: the frame is cut to this length */
};

/* Each returns the frame length (at most PKT_MAX). The IPv4 header
 * checksum is right; TCP/UDP checksums are 0 (test runs do not check). */
size_t pkt_eth_ipv4_tcp(__u8 *buf, const struct pkt_spec *s);
size_t pkt_eth_ipv4_udp(__u8 *buf, const struct pkt_spec *s);
/* Ethernet header with <s>->ethertype, then <s>->payload zero bytes. */
size_t pkt_eth(__u8 *buf, const struct pkt_spec *s);

#endif
