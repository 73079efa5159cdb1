// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <string.h>

#include "pkt_build.h"

#define DEF(v, d) ((v) ? (v) : (d))

static size_t finish(size_t len, const struct pkt_spec *s)
{
	if (len > PKT_MAX)
		len = PKT_MAX;
	return s->cut && s->cut < len ? s->cut : len;
}

static size_t put_eth(__u8 *buf, __u16 ethertype)
{
	struct ethhdr eth = {
		.h_dest = { 0x02, 0, 0, 0, 0, 2 },
		.h_source = { 0x02, 0, 0, 0, 0, 1 },
		.h_proto = htons(ethertype),
	};

	memcpy(buf, &eth, sizeof(eth));
	return sizeof(eth);
}

static __u16 csum16(const void *p, size_t n)
{
	const __u8 *b = p;
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (n & 1)
		sum += b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Writes the IPv4 header (with NOP options when ihl > 5) for an L4
 * segment of <l4len> bytes; returns the header's real size. Headers are
 * built in locals and copied: at offset 14 they are not aligned. */
static size_t put_ipv4(__u8 *p, const struct pkt_spec *s, __u8 proto,
		       size_t l4len)
{
	__u8 ihl = s->ihl > 15 ? 15 : DEF(s->ihl, 5);	/* a 4-bit field */
	size_t hlen = ihl >= 5 ? ihl * 4u : sizeof(struct iphdr);
	__u8 hdr[60];
	struct iphdr ip = {
		.version = DEF(s->version, 4),
		.ihl = ihl,
		.tot_len = htons(DEF(s->tot_len, hlen + l4len)),
		.ttl = 64,
		.protocol = proto,
		.saddr = htonl(DEF(s->saddr, 0x0a000001)),
		.daddr = htonl(DEF(s->daddr, 0x0a000002)),
	};

	memset(hdr, 1, hlen);	/* 1 = IPOPT_NOP for the option bytes */
	memcpy(hdr, &ip, sizeof(ip));
	ip.check = csum16(hdr, hlen);
	memcpy(hdr, &ip, sizeof(ip));
	memcpy(p, hdr, hlen);
	return hlen;
}

/* Caps the payload so the whole frame fits PKT_MAX. */
static size_t payload_len(const struct pkt_spec *s, size_t l4hdr)
{
	size_t room = PKT_MAX - ETH_HLEN - 60 - l4hdr;

	return s->payload < room ? s->payload : room;
}

size_t pkt_eth_ipv4_tcp(__u8 *buf, const struct pkt_spec *s)
{
	size_t plen = payload_len(s, sizeof(struct tcphdr));
	size_t l4len = sizeof(struct tcphdr) + plen;
	size_t off = put_eth(buf, DEF(s->ethertype, ETH_P_IP));
	struct tcphdr tcp = {
		.source = htons(DEF(s->sport, 40000)),
		.dest = htons(DEF(s->dport, 8080)),
		.doff = sizeof(tcp) / 4,
		.window = htons(65535),
	};

	off += put_ipv4(buf + off, s, IPPROTO_TCP, l4len);
	((__u8 *)&tcp)[13] = DEF(s->tcp_flags, 0x02);	/* flags byte; SYN */
	memcpy(buf + off, &tcp, sizeof(tcp));
	memset(buf + off + sizeof(tcp), 0, plen);
	return finish(off + l4len, s);
}

size_t pkt_eth_ipv4_udp(__u8 *buf, const struct pkt_spec *s)
{
	size_t plen = payload_len(s, sizeof(struct udphdr));
	size_t l4len = sizeof(struct udphdr) + plen;
	size_t off = put_eth(buf, DEF(s->ethertype, ETH_P_IP));
	struct udphdr udp = {
		.source = htons(DEF(s->sport, 40000)),
		.dest = htons(DEF(s->dport, 8080)),
		.len = htons(l4len),
	};

	off += put_ipv4(buf + off, s, IPPROTO_UDP, l4len);
	memcpy(buf + off, &udp, sizeof(udp));
	memset(buf + off + sizeof(udp), 0, plen);
	return finish(off + l4len, s);
}

size_t pkt_eth(__u8 *buf, const struct pkt_spec *s)
{
	size_t off = put_eth(buf, DEF(s->ethertype, ETH_P_IP));
	size_t plen = s->payload < PKT_MAX - off ? s->payload : PKT_MAX - off;

	memset(buf + off, 0, plen);
	return finish(off + plen, s);
}
