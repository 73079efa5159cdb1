// SPDX-License-Identifier: Apache-2.0
/* The probe's tc and XDP programs against crafted frames, through
 * BPF_PROG_TEST_RUN: one table of cases, each a packet description, the
 * XDP verdict, and the one counter each program must move. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <netinet/in.h>

#include "bpf_test.h"
#include "infermesh/abi.h"
#include "kernel/bpf_load.h"
#include "kernel/pkt_build.h"

#define NONE (-1)

struct pkt_case {
	const char *desc;
	size_t (*build)(__u8 *buf, const struct pkt_spec *s);
	struct pkt_spec spec;
	__u32 xdp;		/* expected XDP verdict */
	int xdp_cnt;		/* the XDP counter that must read 1 */
	int tc_cnt;		/* the tc counter that must read 1, or NONE */
	int tc_proto;		/* the protocol counted by tc, or NONE */
	int xdp_err;		/* XDP test run refused with this -errno */
	int tc_err;		/* tc test run refused with this -errno */
};

#define TCP pkt_eth_ipv4_tcp
#define UDP pkt_eth_ipv4_udp
#define ETH pkt_eth

/* Shorthands for the table: what each program must count. */
#define XDP_OK(cnt)	.xdp = XDP_PASS, .xdp_cnt = (cnt)
#define XDP_BAD		.xdp = XDP_DROP, .xdp_cnt = IM_PROBE_XDP_MALFORMED
#define TC_PROTO(p)	.tc_cnt = NONE, .tc_proto = (p)
#define TC_CNT(c)	.tc_cnt = (c), .tc_proto = NONE

static const struct pkt_case cases[] = {
	{ "IPv4 TCP SYN", TCP, {},
	  XDP_OK(IM_PROBE_XDP_IPV4), TC_PROTO(IPPROTO_TCP) },
	{ "IPv4 UDP, 64 bytes of payload", UDP, { .payload = 64 },
	  XDP_OK(IM_PROBE_XDP_IPV4), TC_PROTO(IPPROTO_UDP) },
	{ "IPv4 with 12 bytes of options", TCP, { .ihl = 8 },
	  XDP_OK(IM_PROBE_XDP_IPV4), TC_PROTO(IPPROTO_TCP) },
	{ "ARP", ETH, { .ethertype = ETH_P_ARP, .payload = 28 },
	  XDP_OK(IM_PROBE_XDP_NON_IPV4), TC_CNT(IM_PROBE_TC_NON_IPV4) },
	{ "VLAN tag (not parsed)", TCP, { .ethertype = ETH_P_8021Q },
	  XDP_OK(IM_PROBE_XDP_NON_IPV4), TC_CNT(IM_PROBE_TC_NON_IPV4) },
	/* the skb test run itself refuses IPv4 with less than a full IP
	 * header (EINVAL): the tc program never sees these two */
	{ "IPv4 ethertype, no IP header", ETH, { .payload = 0 },
	  XDP_BAD, .tc_err = -EINVAL },
	{ "IPv4 header cut after 10 bytes", TCP, { .cut = ETH_HLEN + 10 },
	  XDP_BAD, .tc_err = -EINVAL },
	{ "ihl 4, below the minimum", TCP, { .ihl = 4 },
	  XDP_BAD, TC_CNT(IM_PROBE_TC_MALFORMED) },
	{ "version 6 under the IPv4 ethertype", TCP, { .version = 6 },
	  XDP_BAD, TC_CNT(IM_PROBE_TC_MALFORMED) },
	{ "ihl 15, options cut short", UDP, { .ihl = 15, .cut = ETH_HLEN + 40 },
	  XDP_BAD, TC_CNT(IM_PROBE_TC_MALFORMED) },
	{ "total length below the header length", TCP, { .tot_len = 12 },
	  XDP_BAD, TC_CNT(IM_PROBE_TC_MALFORMED) },
	/* tc cannot judge the payload (skbs may be non-linear): it counts */
	{ "total length past the frame's end", TCP, { .tot_len = 1500 },
	  XDP_BAD, TC_PROTO(IPPROTO_TCP) },
	{ "frame shorter than an Ethernet header", TCP, { .cut = 10 },
	  .xdp_err = -EINVAL, .tc_err = -EINVAL },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static struct probe_bpf *load_pkt_progs(void)
{
	struct probe_want w = { .tc = true, .xdp = true };
	struct probe_bpf *s;
	int err;

	s = probe_load(&w, 0, &err);
	CHECK_EQ(err, 0, "loading the probe's tc and XDP programs");
	return s;
}

static void reset(struct probe_bpf *s)
{
	bpf_array_zero(bpf_map__fd(s->maps.im_probe_cnt), IM_PROBE_COUNTER_MAX);
	bpf_array_zero(bpf_map__fd(s->maps.im_probe_proto), IM_PROBE_PROTO_MAX);
}

static __u64 cnt(struct probe_bpf *s, __u32 idx)
{
	return bpf_array_u64(bpf_map__fd(s->maps.im_probe_cnt), idx);
}

/* Runs <prog> over the case's frame; false when the run was refused (and
 * that refusal was the expectation, checked here). */
static bool run_case(struct probe_bpf *s, struct bpf_program *prog,
		     const struct pkt_case *c, __u32 *ret)
{
	__u8 pkt[PKT_MAX];
	size_t len = c->build(pkt, &c->spec);
	int err;

	reset(s);
	err = bpf_test_run_pkt(bpf_program__fd(prog), pkt, len, ret);
	CHECK_EQ(err, prog == s->progs.probe_xdp ? c->xdp_err : c->tc_err,
		 "%s [%s]: test run", bpf_program__name(prog), c->desc);
	return !err;
}

static void xdp_verdicts_and_counters(void)
{
	struct probe_bpf *s;
	__u32 ret = 0;
	size_t i;

	NEED_ROOT();
	s = load_pkt_progs();
	for (i = 0; s && i < N_CASES; i++) {
		const struct pkt_case *c = &cases[i];

		if (!run_case(s, s->progs.probe_xdp, c, &ret))
			continue;
		CHECK_EQ(ret, c->xdp, "xdp verdict [%s]", c->desc);
		CHECK_EQ(cnt(s, IM_PROBE_XDP_PACKETS), 1, "xdp packets [%s]",
			 c->desc);
		CHECK_EQ(cnt(s, c->xdp_cnt), 1, "xdp counter %d [%s]",
			 c->xdp_cnt, c->desc);
		CHECK_EQ(cnt(s, IM_PROBE_XDP_IPV4) +
				 cnt(s, IM_PROBE_XDP_NON_IPV4) +
				 cnt(s, IM_PROBE_XDP_MALFORMED), 1,
			 "xdp counted once [%s]", c->desc);
	}
	probe_bpf__destroy(s);
}

static void tc_counts_by_protocol(void)
{
	struct probe_bpf *s;
	__u32 ret = ~0u;
	size_t i;

	NEED_ROOT();
	s = load_pkt_progs();
	for (i = 0; s && i < N_CASES; i++) {
		const struct pkt_case *c = &cases[i];
		int proto_fd = bpf_map__fd(s->maps.im_probe_proto);

		if (!run_case(s, s->progs.probe_tc, c, &ret))
			continue;
		CHECK_EQ(ret, 0, "tc verdict TC_ACT_OK [%s]", c->desc);
		CHECK_EQ(cnt(s, IM_PROBE_TC_PACKETS), 1, "tc packets [%s]",
			 c->desc);
		if (c->tc_cnt != NONE)
			CHECK_EQ(cnt(s, c->tc_cnt), 1, "tc counter %d [%s]",
				 c->tc_cnt, c->desc);
		if (c->tc_proto != NONE)
			CHECK_EQ(bpf_array_u64(proto_fd, c->tc_proto), 1,
				 "tc protocol %d count [%s]", c->tc_proto,
				 c->desc);
		CHECK_EQ(bpf_array_u64(proto_fd, IPPROTO_TCP) +
				 bpf_array_u64(proto_fd, IPPROTO_UDP),
			 c->tc_proto != NONE, "tc per-protocol total [%s]",
			 c->desc);
	}
	probe_bpf__destroy(s);
}

/* The builder itself, unprivileged: lengths and a valid IPv4 checksum. */
static void builder_makes_what_it_says(void)
{
	__u8 pkt[PKT_MAX], *ip = pkt + ETH_HLEN;	/* not 4-aligned */
	size_t len = pkt_eth_ipv4_tcp(pkt, &(struct pkt_spec){ .ihl = 6,
							       .payload = 5 });
	__u32 sum = 0;
	size_t i;

	CHECK_EQ(len, ETH_HLEN + 24 + 20 + 5, "tcp frame length");
	CHECK_EQ((ip[2] << 8) | ip[3], 24 + 20 + 5, "ip total length");
	CHECK_EQ(ip[0], 0x46, "version 4, ihl 6");
	for (i = 0; i < 24; i += 2)
		sum += (ip[i] << 8) | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK_EQ(sum, 0xffff, "ip header checksum verifies");
	CHECK_EQ(pkt_eth_ipv4_udp(pkt, &(struct pkt_spec){ .cut = 20 }), 20,
		 "cut frame length");
	CHECK_EQ(pkt_eth(pkt, &(struct pkt_spec){ .payload = 1000 }), PKT_MAX,
		 "payload capped at PKT_MAX");
}

UNIT_SUITE(bpf_pkt)
{
	UNIT_TEST(s, builder_makes_what_it_says);
	UNIT_TEST(s, xdp_verdicts_and_counters);
	UNIT_TEST(s, tc_counts_by_protocol);
}
