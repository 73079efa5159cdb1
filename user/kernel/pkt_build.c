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
	struct ethhdr *eth = (struct ethhdr *)buf;
	static const __u8 src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 1 };
	static const __u8 dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 2 };

	memcpy(eth->h_source, src, ETH_ALEN);
	memcpy(eth->h_dest, dst, ETH_ALEN);
	eth->h_proto = htons(ethertype);
	return sizeof(*eth);
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
 * segment of <l4len> bytes; returns the header's real size. */
static size_t put_ipv4(__u8 *p, const struct pkt_spec *s, __u8 proto,
		       size_t l4len)
{
	struct iphdr *ip = (struct iphdr *)p;
	__u8 ihl = DEF(s->ihl, 5);
	size_t hlen = ihl >= 5 ? ihl * 4u : sizeof(*ip);

	memset(p, 1, hlen);	/* 1 = IPOPT_NOP for the option bytes */
	memset(ip, 0, sizeof(*ip));
	ip->version = DEF(s->version, 4);
	ip->ihl = ihl;
	ip->tot_len = htons(DEF(s->tot_len, hlen + l4len));
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = htonl(DEF(s->saddr, 0x0a000001));
	ip->daddr = htonl(DEF(s->daddr, 0x0a000002));
	ip->check = csum16(ip, hlen);
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
	struct tcphdr *tcp;

	off += put_ipv4(buf + off, s, IPPROTO_TCP, l4len);
	tcp = (struct tcphdr *)(buf + off);
	memset(tcp, 0, l4len);
	tcp->source = htons(DEF(s->sport, 40000));
	tcp->dest = htons(DEF(s->dport, 8080));
	tcp->doff = sizeof(*tcp) / 4;
	((__u8 *)tcp)[13] = DEF(s->tcp_flags, 0x02);	/* flags byte; SYN */
	tcp->window = htons(65535);
	return finish(off + l4len, s);
}

size_t pkt_eth_ipv4_udp(__u8 *buf, const struct pkt_spec *s)
{
	size_t plen = payload_len(s, sizeof(struct udphdr));
	size_t l4len = sizeof(struct udphdr) + plen;
	size_t off = put_eth(buf, DEF(s->ethertype, ETH_P_IP));
	struct udphdr *udp;

	off += put_ipv4(buf + off, s, IPPROTO_UDP, l4len);
	udp = (struct udphdr *)(buf + off);
	memset(udp, 0, l4len);
	udp->source = htons(DEF(s->sport, 40000));
	udp->dest = htons(DEF(s->dport, 8080));
	udp->len = htons(l4len);
	return finish(off + l4len, s);
}

size_t pkt_eth(__u8 *buf, const struct pkt_spec *s)
{
	size_t off = put_eth(buf, DEF(s->ethertype, ETH_P_IP));
	size_t plen = s->payload < PKT_MAX - off ? s->payload : PKT_MAX - off;

	memset(buf + off, 0, plen);
	return finish(off + plen, s);
}
