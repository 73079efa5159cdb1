// SPDX-License-Identifier: Apache-2.0
/*
 * The tc and XDP guards through BPF_PROG_TEST_RUN: tables of packets built
 * by user/kernel/pkt_build (plus dp_pkt's bends), each with the verdict and
 * the one drop counter it must move.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <string.h>

#include "dp_pkt.h"
#include "dp_testlib.h"

#define WL	IP4(10, 1, 0, 5)	/* STRICT, PERMISSIVE and policies */
#define WL_OPEN	IP4(10, 1, 0, 6)	/* a workload with no policy */
#define MARK	0x77			/* the agent's own leg */
#define TCP	pkt_eth_ipv4_tcp
#define UDP	pkt_eth_ipv4_udp
#define ETH	pkt_eth
#define ETH_IPV6 0x86dd
#define ACK	0x10
#define SYNACK	0x12
#define ARRAY_N(a)	(sizeof(a) / sizeof((a)[0]))

struct guard_case {
	const char *what;
	size_t (*build)(__u8 *buf, const struct pkt_spec *s);
	struct pkt_spec pkt;
	struct dp_bend bend;
	__u32 mark;		/* skb->mark (tc only) */
	int verdict;		/* TC_ACT_* or XDP_* */
	unsigned int reason;	/* counter that must move; IM_DROP_NONE: none */
	int run_err;		/* the kernel refuses the run with this errno */
};

/* A clause, and one member of it when <mfield> is set. */
static void put_clause(struct dp *dp, __u32 idx, __u8 action, __u8 fields,
		       __u8 mfield, __u32 mvalue)
{
	struct im_clause c = { .action = action, .fields = fields,
			       .rule_id = idx };

	CHECK_EQ(dp_put_clause(dp, 0, idx, &c), 0, "clause %u", idx);
	if (mfield)
		CHECK_EQ(dp_put_member(dp, 0, idx, mfield, mvalue), 0,
			 "member of clause %u", idx);
}

/* A clause testing one source network. */
static void put_ipb_clause(struct dp *dp, __u32 idx, __u8 action, __u32 ip,
			   unsigned int plen)
{
	struct im_clause c = { .action = action, .fields = IM_F_IPB,
			       .rule_id = idx,
			       .plens = { [IM_A_IPB] = 1ULL << plen } };

	CHECK_EQ(dp_put_clause(dp, 0, idx, &c), 0, "clause %u", idx);
	CHECK_EQ(dp_put_cidr(dp, 0, idx, IM_F_IPB, htonl(ip), plen), 0,
		 "clause %u: %08x/%u", idx, ip, plen);
}

/*
 * WL:8081 STRICT; WL:9090 PERMISSIVE with set 1; WL:8080 PERMISSIVE with
 * set 1 and judged per HTTP request (IM_WLPORT_L7); WL's other ports
 * PERMISSIVE with set 2; WL_OPEN PERMISSIVE without policy.
 *  set 1: DENY ipBlocks 10.9.0.0/16; ALLOW ipBlocks 10.0.0.0/8
 *  set 2: DENY notNamespaces [3] ports [7001];
 *         ALLOW principals [5];
 *         ALLOW notPrincipals [5] ports [7000]
 */
static void guard_tables(struct dp *dp)
{
	struct im_wlport strict = { .mode = IM_MODE_STRICT };
	struct im_wlport metrics = { .mode = IM_MODE_PERMISSIVE, .polset = 1 };
	struct im_wlport http = { .mode = IM_MODE_PERMISSIVE, .polset = 1,
				  .flags = IM_WLPORT_L7 };
	struct im_wlport other = { .mode = IM_MODE_PERMISSIVE, .polset = 2 };
	struct im_wlport open = { .mode = IM_MODE_PERMISSIVE };
	struct im_polset s1 = { .first = 0, .n = 2, .has_allow = 1 };
	struct im_polset s2 = { .first = 2, .n = 3, .has_allow = 1 };

	CHECK_EQ(dp_put_wlport(dp, 0, htonl(WL), htons(8081), &strict), 0,
		 "WL:8081");
	CHECK_EQ(dp_put_wlport(dp, 0, htonl(WL), htons(9090), &metrics), 0,
		 "WL:9090");
	CHECK_EQ(dp_put_wlport(dp, 0, htonl(WL), htons(8080), &http), 0,
		 "WL:8080");
	CHECK_EQ(dp_put_wlport(dp, 0, htonl(WL), 0, &other), 0, "WL:*");
	CHECK_EQ(dp_put_wlport(dp, 0, htonl(WL_OPEN), 0, &open), 0,
		 "WL_OPEN:*");
	CHECK_EQ(dp_put_polset(dp, 0, 1, &s1), 0, "set 1");
	CHECK_EQ(dp_put_polset(dp, 0, 2, &s2), 0, "set 2");
	put_ipb_clause(dp, 0, IM_ACT_DENY, IP4(10, 9, 0, 0), 16);
	put_ipb_clause(dp, 1, IM_ACT_ALLOW, IP4(10, 0, 0, 0), 8);
	put_clause(dp, 2, IM_ACT_DENY, IM_F_NOTNS | IM_F_PORTS, IM_F_NOTNS, 3);
	CHECK_EQ(dp_put_member(dp, 0, 2, IM_F_PORTS, 7001), 0, "port 7001");
	put_clause(dp, 3, IM_ACT_ALLOW, IM_F_PRINC, IM_F_PRINC, 5);
	put_clause(dp, 4, IM_ACT_ALLOW, IM_F_NOTPRINC | IM_F_PORTS,
		   IM_F_NOTPRINC, 5);
	CHECK_EQ(dp_put_member(dp, 0, 4, IM_F_PORTS, 7000), 0, "port 7000");
}

static const struct guard_case tc_cases[] = {
	{ "SYN to a STRICT port", TCP, { .daddr = WL, .dport = 8081 }, {},
	  0, TC_ACT_SHOT, IM_DROP_STRICT_PLAINTEXT, 0 },
	{ "data to a STRICT port (a listed port: every packet is judged)",
	  TCP, { .daddr = WL, .dport = 8081, .tcp_flags = ACK }, {},
	  0, TC_ACT_SHOT, IM_DROP_STRICT_PLAINTEXT, 0 },
	{ "STRICT port, the agent's mark", TCP,
	  { .daddr = WL, .dport = 8081 }, {}, MARK, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "STRICT port, another mark", TCP, { .daddr = WL, .dport = 8081 },
	  {}, MARK + 1, TC_ACT_SHOT, IM_DROP_STRICT_PLAINTEXT, 0 },
	/* set 1 would allow 10.2.3.4: the flag alone drops it */
	{ "SYN to a PERMISSIVE port judged per HTTP request", TCP,
	  { .saddr = IP4(10, 2, 3, 4), .daddr = WL, .dport = 8080 }, {},
	  0, TC_ACT_SHOT, IM_DROP_L7_PLAINTEXT, 0 },
	{ "data to a port judged per HTTP request", TCP,
	  { .saddr = IP4(10, 2, 3, 4), .daddr = WL, .dport = 8080,
	    .tcp_flags = ACK }, {}, 0, TC_ACT_SHOT, IM_DROP_L7_PLAINTEXT, 0 },
	{ "port judged per HTTP request, the agent's mark", TCP,
	  { .saddr = IP4(10, 2, 3, 4), .daddr = WL, .dport = 8080 }, {},
	  MARK, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "9090 from an ALLOW ipBlock", TCP,
	  { .saddr = IP4(10, 2, 3, 4), .daddr = WL, .dport = 9090 }, {},
	  0, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "9090 from a DENY ipBlock inside the ALLOW one (DENY first)", TCP,
	  { .saddr = IP4(10, 9, 1, 1), .daddr = WL, .dport = 9090 }, {},
	  0, TC_ACT_SHOT, IM_DROP_POLICY_DENY, 0 },
	{ "9090 from outside every ALLOW ipBlock", TCP,
	  { .saddr = IP4(172, 16, 0, 1), .daddr = WL, .dport = 9090 }, {},
	  0, TC_ACT_SHOT, IM_DROP_POLICY_NO_ALLOW, 0 },
	{ "principals never match plaintext", TCP,
	  { .daddr = WL, .dport = 7100 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_POLICY_NO_ALLOW, 0 },
	{ "capture off: the HBONE port is judged like any other", TCP,
	  { .daddr = WL, .dport = IM_HBONE_PORT }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_POLICY_NO_ALLOW, 0 },
	{ "notPrincipals always match plaintext (ALLOW on 7000)", TCP,
	  { .daddr = WL, .dport = 7000 }, {}, 0, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "notNamespaces always match plaintext (DENY on 7001)", TCP,
	  { .daddr = WL, .dport = 7001 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_POLICY_DENY, 0 },
	{ "SYN-ACK to an unlisted port (reply to an outbound call)", TCP,
	  { .daddr = WL, .dport = 7100, .tcp_flags = SYNACK }, {}, 0,
	  TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "workload without policy", TCP, { .daddr = WL_OPEN, .dport = 8081 },
	  {}, 0, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "not a local workload", TCP,
	  { .daddr = IP4(10, 99, 0, 1), .dport = 8081 }, {}, 0, TC_ACT_OK,
	  IM_DROP_NONE, 0 },
	{ "UDP to a STRICT port is not judged", UDP,
	  { .daddr = WL, .dport = 8081 }, {}, 0, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "IPv6 is not judged", ETH,
	  { .ethertype = ETH_IPV6, .payload = 60 }, {}, 0, TC_ACT_OK,
	  IM_DROP_NONE, 0 },
	{ "VLAN-tagged SYN to a STRICT port", TCP,
	  { .daddr = WL, .dport = 8081 }, { .vlan = 7 }, 0, TC_ACT_SHOT,
	  IM_DROP_STRICT_PLAINTEXT, 0 },
	{ "VLAN-tagged IPv6", ETH, { .ethertype = ETH_IPV6, .payload = 60 },
	  { .vlan = 7 }, 0, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "later fragment to a STRICT port (no TCP header to judge)", TCP,
	  { .daddr = WL, .dport = 8081 }, { .frag = 185 }, 0, TC_ACT_OK,
	  IM_DROP_NONE, 0 },
	{ "IPv4 header length 16 (< 20)", TCP,
	  { .daddr = WL, .dport = 8081, .ihl = 4 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_MALFORMED, 0 },
	{ "IPv4 options run past the frame", TCP,
	  { .daddr = WL, .ihl = 15, .cut = ETH_HLEN + 40 }, {}, 0,
	  TC_ACT_SHOT, IM_DROP_MALFORMED, 0 },
	{ "IP version 6 in an IPv4 ethertype", TCP,
	  { .daddr = WL, .dport = 8081, .version = 6 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_MALFORMED, 0 },
	{ "total length smaller than the header", TCP,
	  { .daddr = WL, .tot_len = 12 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_MALFORMED, 0 },
	{ "TCP header cut after 10 bytes", TCP,
	  { .daddr = WL, .dport = 8081, .cut = ETH_HLEN + 20 + 10 }, {}, 0,
	  TC_ACT_SHOT, IM_DROP_MALFORMED, 0 },
	{ "total length leaves no room for the TCP header", TCP,
	  { .daddr = WL, .dport = 8081, .tot_len = 30 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_MALFORMED, 0 },
	{ "BIG TCP (total length 0) SYN to a STRICT port: parsed, judged",
	  TCP, { .daddr = WL, .dport = 8081 }, { .tot0 = true }, 0,
	  TC_ACT_SHOT, IM_DROP_STRICT_PLAINTEXT, 0 },
	{ "BIG TCP data to an open workload: parsed, passes", TCP,
	  { .daddr = WL_OPEN, .dport = 8081, .tcp_flags = ACK,
	    .payload = 100 }, { .tot0 = true }, 0, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "TCP data offset 4 (< 5)", TCP, { .daddr = WL, .dport = 8081 },
	  { .doff = 4 }, 0, TC_ACT_SHOT, IM_DROP_MALFORMED, 0 },
	{ "Ethernet header and 6 bytes of IPv4: refused before the program",
	  ETH, { .payload = 6 }, {}, 0, 0, IM_DROP_NONE, EINVAL },
	{ "Ethernet header only, ethertype 0", ETH, { .ethertype = 1 }, {},
	  0, TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "VLAN tag cut short", ETH,
	  { .ethertype = 0x8100, .payload = 2 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_MALFORMED, 0 },
};

#define DENIED	IP4(203, 0, 113, 7)	/* in the denied /24 */
#define ICMP_FRAG_NEEDED 0x0304	/* type 3 code 4, where a UDP sport sits */

/* WL is a local mesh workload (im_local); 10.0.0.2, the builders'
 * default destination, is the node or another node's overlay peer. */
static const struct guard_case xdp_cases[] = {
	{ "SYN from a denied prefix to a workload", TCP,
	  { .saddr = DENIED, .daddr = WL }, {}, 0, XDP_DROP,
	  IM_DROP_XDP_DENIED_SRC, 0 },
	{ "SYN-ACK from a denied prefix (reply to a workload's call)", TCP,
	  { .saddr = DENIED, .daddr = WL, .tcp_flags = SYNACK }, {}, 0,
	  XDP_PASS, IM_DROP_NONE, 0 },
	{ "ACK from a denied prefix", TCP,
	  { .saddr = DENIED, .daddr = WL, .tcp_flags = ACK }, {}, 0,
	  XDP_PASS, IM_DROP_NONE, 0 },
	{ "DNS reply from a denied prefix", UDP,
	  { .saddr = DENIED, .daddr = WL, .sport = 53, .payload = 40 }, {},
	  0, XDP_PASS, IM_DROP_NONE, 0 },
	{ "ICMP frag-needed from a denied prefix", UDP,
	  { .saddr = DENIED, .daddr = WL, .sport = ICMP_FRAG_NEEDED,
	    .payload = 28 }, { .proto = 1 }, 0, XDP_PASS, IM_DROP_NONE, 0 },
	{ "SYN from a denied prefix to the node (not a workload)", TCP,
	  { .saddr = DENIED }, {}, 0, XDP_PASS, IM_DROP_NONE, 0 },
	{ "overlay UDP from a denied prefix to the node", UDP,
	  { .saddr = DENIED, .dport = 4789, .payload = 64 }, {}, 0, XDP_PASS,
	  IM_DROP_NONE, 0 },
	{ "VLAN-tagged SYN from a denied prefix to a workload", TCP,
	  { .saddr = IP4(203, 0, 113, 200), .daddr = WL }, { .vlan = 9 }, 0,
	  XDP_DROP, IM_DROP_XDP_DENIED_SRC, 0 },
	{ "SYN from a denied /32 host", TCP,
	  { .saddr = IP4(198, 51, 100, 1), .daddr = WL }, {}, 0, XDP_DROP,
	  IM_DROP_XDP_DENIED_SRC, 0 },
	{ "SYN from the neighbour of the denied /32", TCP,
	  { .saddr = IP4(198, 51, 100, 2), .daddr = WL }, {}, 0, XDP_PASS,
	  IM_DROP_NONE, 0 },
	{ "SYN from a prefix denied only in the idle generation", TCP,
	  { .saddr = IP4(203, 0, 114, 1), .daddr = WL }, {}, 0, XDP_PASS,
	  IM_DROP_NONE, 0 },
	{ "BIG TCP (total length 0) SYN from a denied prefix: parsed", TCP,
	  { .saddr = DENIED, .daddr = WL }, { .tot0 = true }, 0, XDP_DROP,
	  IM_DROP_XDP_DENIED_SRC, 0 },
	{ "BIG TCP (total length 0) data from elsewhere: parsed, passes", TCP,
	  { .daddr = WL, .tcp_flags = ACK, .payload = 100 }, { .tot0 = true },
	  0, XDP_PASS, IM_DROP_NONE, 0 },
	{ "IPv6 passes", ETH, { .ethertype = ETH_IPV6, .payload = 60 }, {},
	  0, XDP_PASS, IM_DROP_NONE, 0 },
	{ "IPv4 header length 16 (< 20)", TCP, { .ihl = 4 }, {}, 0, XDP_DROP,
	  IM_DROP_MALFORMED, 0 },
	{ "TCP header cut after 10 bytes", TCP,
	  { .cut = ETH_HLEN + 20 + 10 }, {}, 0, XDP_DROP, IM_DROP_MALFORMED, 0 },
	{ "IPv4 header cut after 10 bytes", TCP, { .cut = ETH_HLEN + 10 },
	  {}, 0, XDP_DROP, IM_DROP_MALFORMED, 0 },
	{ "Ethernet header only, IPv4 ethertype", ETH, {}, {}, 0, XDP_DROP,
	  IM_DROP_MALFORMED, 0 },
};

/* <ip> is a mesh workload of this node with default <mode> (im_local). */
static void put_local(struct dp *dp, __u32 ip, __u8 mode)
{
	struct im_local l = { .mode = mode };
	__u32 a = htonl(ip);

	CHECK_EQ(dp_sync_local(dp, &a, &l, 1, false), 0, "im_local %08x", ip);
}

/* Runs one case through <prog_fd>; checks verdict and counters. */
static void run_case(struct dp *dp, int prog_fd, bool tc,
		     const struct guard_case *gc)
{
	uint64_t before[IM_DROP_MAX], after[IM_DROP_MAX];
	struct __sk_buff skb = { .mark = gc->mark };
	__u8 frame[PKT_MAX] = { 0 };
	size_t len = dp_pkt_bend(frame, gc->build(frame, &gc->pkt), &gc->bend);
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
		    .data_size_in = len, .repeat = 1);
	unsigned int r;
	int err;

	if (tc) {
		t.ctx_in = &skb;
		t.ctx_size_in = sizeof(skb);
	}
	dp_test_drops(dp, before);
	err = bpf_prog_test_run_opts(prog_fd, &t);
	CHECK_EQ(err ? errno : 0, gc->run_err, "%s: test run", gc->what);
	if (!gc->run_err)
		CHECK_EQ(t.retval, gc->verdict, "%s: verdict", gc->what);
	dp_test_drops(dp, after);
	for (r = 1; r < IM_DROP_MAX; r++)
		CHECK_EQ(after[r] - before[r], r == gc->reason,
			 "%s: drop counter %u", gc->what, r);
}

/* Loads the programs with <o> (NULL: defaults), lets <setup> write the
 * tables, and runs table <cases> through the tc guard (<tc>) or the XDP
 * one. */
static void run_table(const struct dp_opts *o, void (*setup)(struct dp *),
		      bool tc, const struct guard_case *cases, size_t n)
{
	struct dp dp;
	size_t i;

	if (dp_test_load(&dp, o))
		return;
	setup(&dp);
	for (i = 0; i < n; i++)
		run_case(&dp, tc ? dp_tc_prog_fd(&dp) : dp_xdp_prog_fd(&dp), tc,
			 &cases[i]);
	dp_destroy(&dp);
}

static void tc_guard_table(void)
{
	NEED_ROOT();
	run_table(&(struct dp_opts){ .agent_mark = MARK }, guard_tables, true,
		  tc_cases, ARRAY_N(tc_cases));
}

/* With capture on only the agent (mTLS) listens on a workload's HBONE
 * port: it passes; plaintext to a STRICT port is still dropped. */
static const struct guard_case capture_cases[] = {
	{ "capture on: SYN to WL:15008", TCP,
	  { .daddr = WL, .dport = IM_HBONE_PORT }, {}, 0, TC_ACT_OK,
	  IM_DROP_NONE, 0 },
	{ "capture on: data to WL:15008", TCP,
	  { .daddr = WL, .dport = IM_HBONE_PORT, .tcp_flags = ACK }, {}, 0,
	  TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "capture on: SYN to a STRICT port", TCP,
	  { .daddr = WL, .dport = 8081 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_STRICT_PLAINTEXT, 0 },
	{ "capture on: 15008 is a destination port, not a source one", TCP,
	  { .daddr = WL, .sport = IM_HBONE_PORT, .dport = 8081 }, {}, 0,
	  TC_ACT_SHOT, IM_DROP_STRICT_PLAINTEXT, 0 },
};

static void tc_guard_capture_hbone(void)
{
	NEED_ROOT();
	run_table(&(struct dp_opts){ .capture = true }, guard_tables, true,
		  capture_cases, ARRAY_N(capture_cases));
}

/* A frame shorter than an Ethernet header never reaches the tc program:
 * the kernel refuses the run (EINVAL). */
static void tc_guard_runt(void)
{
	__u8 frame[PKT_MAX] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
		    .data_size_in = ETH_HLEN - 4, .repeat = 1);
	struct dp dp;
	int err;

	NEED_ROOT();
	if (dp_test_load(&dp, NULL))
		return;
	err = bpf_prog_test_run_opts(dp_tc_prog_fd(&dp), &t);
	CHECK_EQ(err < 0 ? errno : 0, EINVAL, "10-byte frame refused");
	dp_destroy(&dp);
}

/* Tables written under the idle generation change nothing until the
 * switch, and everything at once after it. */
static void tc_guard_generation_switch(void)
{
	struct im_wlport strict = { .mode = IM_MODE_STRICT };
	struct guard_case c = {
		"gen 0: SYN to the open workload passes", TCP,
		{ .daddr = WL_OPEN, .dport = 80 }, {}, 0, TC_ACT_OK,
		IM_DROP_NONE, 0
	};
	struct dp dp;

	NEED_ROOT();
	if (dp_test_load(&dp, NULL))
		return;
	guard_tables(&dp);
	CHECK_EQ(dp_put_wlport(&dp, 1, htonl(WL_OPEN), 0, &strict), 0,
		 "gen 1: WL_OPEN STRICT");
	run_case(&dp, dp_tc_prog_fd(&dp), true, &c);
	CHECK_EQ(dp_set_gen(&dp, 1), 0, "switch to gen 1");
	c.what = "gen 1: the same SYN meets STRICT";
	c.verdict = TC_ACT_SHOT;
	c.reason = IM_DROP_STRICT_PLAINTEXT;
	run_case(&dp, dp_tc_prog_fd(&dp), true, &c);
	c.what = "gen 1: WL has no entries at all";
	c.pkt.daddr = WL;
	c.pkt.dport = 8081;
	c.verdict = TC_ACT_OK;
	c.reason = IM_DROP_NONE;
	run_case(&dp, dp_tc_prog_fd(&dp), true, &c);
	CHECK_EQ(dp_set_gen(&dp, 0), 0, "switch back to gen 0");
	c.what = "gen 0 again: WL:8081 STRICT";
	c.verdict = TC_ACT_SHOT;
	c.reason = IM_DROP_STRICT_PLAINTEXT;
	run_case(&dp, dp_tc_prog_fd(&dp), true, &c);
	dp_destroy(&dp);
}

/* A mesh workload of this node with no live entries (a new pod, a
 * rejected object, tables that did not compile) meets its namespace's
 * default: STRICT drops plaintext openings, never passes them unjudged;
 * replies to its own calls pass; addresses outside the mesh are never
 * touched. */
#define NEW_POD	IP4(10, 1, 0, 40)	/* STRICT by default, not live */
#define NEW_PERM IP4(10, 1, 0, 41)	/* PERMISSIVE by default, not live */

static const struct guard_case not_live_cases[] = {
	{ "SYN to a not-live workload, STRICT default", TCP,
	  { .daddr = NEW_POD, .dport = 8080 }, {}, 0, TC_ACT_SHOT,
	  IM_DROP_STRICT_PLAINTEXT, 0 },
	{ "SYN-ACK to it (reply to its own call)", TCP,
	  { .daddr = NEW_POD, .dport = 40000, .tcp_flags = SYNACK }, {}, 0,
	  TC_ACT_OK, IM_DROP_NONE, 0 },
	{ "SYN to a not-live workload, PERMISSIVE default", TCP,
	  { .daddr = NEW_PERM, .dport = 8080 }, {}, 0, TC_ACT_OK,
	  IM_DROP_NONE, 0 },
	{ "SYN to a pod outside the mesh", TCP,
	  { .daddr = IP4(10, 1, 0, 42), .dport = 8080 }, {}, 0, TC_ACT_OK,
	  IM_DROP_NONE, 0 },
	{ "SYN to WL:9090 from outside its ALLOW: its live entries decide",
	  TCP, { .saddr = IP4(172, 16, 0, 1), .daddr = WL, .dport = 9090 },
	  {}, 0, TC_ACT_SHOT, IM_DROP_POLICY_NO_ALLOW, 0 },
};

static void not_live_tables(struct dp *dp)
{
	guard_tables(dp);
	put_local(dp, NEW_POD, IM_MODE_STRICT);
	put_local(dp, NEW_PERM, IM_MODE_PERMISSIVE);
	put_local(dp, WL, IM_MODE_STRICT);	/* live entries win */
}

static void tc_guard_not_live_workload(void)
{
	NEED_ROOT();
	run_table(NULL, not_live_tables, true, not_live_cases,
		  ARRAY_N(not_live_cases));
}

/* Workloads of the destination.ip table, all in policy set 3 (A-F) or
 * 4 (G), PERMISSIVE on every port. */
#define DIP_A	IP4(10, 1, 0, 7)	/* in 10.1.0.0/24 */
#define DIP_B	IP4(10, 1, 0, 8)	/* denied by address */
#define DIP_C	IP4(10, 1, 1, 9)	/* the /32 beside the /24 */
#define DIP_E	IP4(10, 1, 0, 30)	/* notValues of the same clause */
#define DIP_F	IP4(10, 1, 1, 20)	/* in the notValues prefix of c13 */
#define DIP_D	IP4(10, 1, 2, 10)	/* in no list */
#define DIP_G	IP4(10, 1, 3, 3)	/* set 4 */
#define SRC_OK	IP4(172, 16, 5, 5)	/* the exact source of c12 */

/* Bit <n> of im_clause.plens, a /n. */
#define PL(n)	(1ULL << (n))

static void dip_clause(struct dp *dp, __u32 idx, __u8 action, __u8 fields,
		       __u16 ext, __u64 ipb, __u64 dip, __u64 notdip)
{
	struct im_clause c = { .action = action, .fields = fields,
			       .ext = ext, .rule_id = idx,
			       .plens = { [IM_A_IPB] = ipb, [IM_A_DIP] = dip,
					  [IM_A_NOTDIP] = notdip } };

	CHECK_EQ(dp_put_clause(dp, 0, idx, &c), 0, "clause %u", idx);
}

static void dip_addr(struct dp *dp, __u32 idx, __u8 kind, __u32 ip,
		     unsigned int plen)
{
	CHECK_EQ(dp_put_cidr(dp, 0, idx, kind, htonl(ip), plen), 0,
		 "clause %u: %08x/%u", idx, ip, plen);
}

/*
 *  set 3: c10 DENY destination.ip [B]
 *         c11 ALLOW destination.ip [10.1.0.0/24, C] notValues [E]
 *         c12 ALLOW ipBlocks [SRC_OK] ports [7600]
 *         c13 ALLOW destination.ip notValues [10.1.1.0/24] ports [7500]
 *  set 4: c14 ALLOW destination.ip 10.1.3.0/24 whose plens say /32
 *         only: a length the clause does not list is never looked up
 *         (the agent writes no such thing)
 */
static void dip_tables(struct dp *dp)
{
	struct im_wlport wp = { .mode = IM_MODE_PERMISSIVE, .polset = 3 };
	struct im_polset s3 = { .first = 10, .n = 4, .has_allow = 1 };
	struct im_polset s4 = { .first = 14, .n = 1, .has_allow = 1 };
	static const __u32 wls[] = { DIP_A, DIP_B, DIP_C, DIP_D, DIP_E, DIP_F };
	size_t i;

	for (i = 0; i < sizeof(wls) / sizeof(wls[0]); i++)
		CHECK_EQ(dp_put_wlport(dp, 0, htonl(wls[i]), 0, &wp), 0,
			 "wlport %zu", i);
	wp.polset = 4;
	CHECK_EQ(dp_put_wlport(dp, 0, htonl(DIP_G), 0, &wp), 0, "G");
	CHECK_EQ(dp_put_polset(dp, 0, 3, &s3), 0, "set 3");
	CHECK_EQ(dp_put_polset(dp, 0, 4, &s4), 0, "set 4");
	dip_clause(dp, 10, IM_ACT_DENY, 0, IM_X_DIP, 0, PL(32), 0);
	dip_addr(dp, 10, IM_K_DIP, DIP_B, 32);
	dip_clause(dp, 11, IM_ACT_ALLOW, 0, IM_X_DIP | IM_X_NOTDIP, 0,
		   PL(24) | PL(32), PL(32));
	dip_addr(dp, 11, IM_K_DIP, IP4(10, 1, 0, 0), 24);
	dip_addr(dp, 11, IM_K_DIP, DIP_C, 32);
	dip_addr(dp, 11, IM_K_NOTDIP, DIP_E, 32);
	dip_clause(dp, 12, IM_ACT_ALLOW, IM_F_IPB | IM_F_PORTS, 0, PL(32), 0,
		   0);
	dip_addr(dp, 12, IM_F_IPB, SRC_OK, 32);
	CHECK_EQ(dp_put_member(dp, 0, 12, IM_F_PORTS, 7600), 0, "7600");
	dip_clause(dp, 13, IM_ACT_ALLOW, IM_F_PORTS, IM_X_NOTDIP, 0, 0,
		   PL(24));
	dip_addr(dp, 13, IM_K_NOTDIP, IP4(10, 1, 1, 0), 24);
	CHECK_EQ(dp_put_member(dp, 0, 13, IM_F_PORTS, 7500), 0, "7500");
	dip_clause(dp, 14, IM_ACT_ALLOW, 0, IM_X_DIP, 0, PL(32), 0);
	dip_addr(dp, 14, IM_K_DIP, IP4(10, 1, 3, 0), 24);
}

#define DIP_CASE(what, src, dst, port, verdict, reason) \
	{ what, TCP, { .saddr = src, .daddr = dst, .dport = port }, {}, 0, \
	  verdict, reason, 0 }

static const struct guard_case dip_cases[] = {
	DIP_CASE("destination.ip prefix allows", 0, DIP_A, 80, TC_ACT_OK,
		 IM_DROP_NONE),
	DIP_CASE("destination.ip /32 denies", 0, DIP_B, 80, TC_ACT_SHOT,
		 IM_DROP_POLICY_DENY),
	DIP_CASE("the /32 beside a prefix in one clause allows", 0, DIP_C, 80,
		 TC_ACT_OK, IM_DROP_NONE),
	DIP_CASE("notValues /32 inside the allowed prefix", 0, DIP_E, 80,
		 TC_ACT_SHOT, IM_DROP_POLICY_NO_ALLOW),
	DIP_CASE("in no destination.ip list", 0, DIP_D, 80, TC_ACT_SHOT,
		 IM_DROP_POLICY_NO_ALLOW),
	DIP_CASE("outside the notValues prefix (port 7500)", 0, DIP_D, 7500,
		 TC_ACT_OK, IM_DROP_NONE),
	DIP_CASE("inside the notValues prefix (port 7500)", 0, DIP_F, 7500,
		 TC_ACT_SHOT, IM_DROP_POLICY_NO_ALLOW),
	DIP_CASE("exact source ipBlock", SRC_OK, DIP_D, 7600, TC_ACT_OK,
		 IM_DROP_NONE),
	DIP_CASE("the exact source's neighbour", SRC_OK + 1, DIP_D, 7600,
		 TC_ACT_SHOT, IM_DROP_POLICY_NO_ALLOW),
	DIP_CASE("a length missing from plens is not looked up", 0, DIP_G,
		 80, TC_ACT_SHOT, IM_DROP_POLICY_NO_ALLOW),
};

/* destination.ip (values, notValues, /32s and prefixes) in the tc guard:
 * the packet's destination is the workload's address. */
static void tc_guard_destination_ip(void)
{
	NEED_ROOT();
	run_table(NULL, dip_tables, true, dip_cases, ARRAY_N(dip_cases));
}

/* Workloads of the prefix-length table, policy set 5, PERMISSIVE. */
#define PFX_WL		IP4(10, 2, 6, 1)	/* in 10.2.0.0/16 */
#define PFX_WL_NOT	IP4(10, 2, 5, 9)	/* in notValues 10.2.5.0/28 */
#define PFX_WL_OUT	IP4(10, 3, 0, 1)	/* outside 10.2.0.0/16 */
#define PFX_MANY	12U	/* networks of c23, /9, /11, ... /31 */
#define PFX_MANY_LEN(i)	(9 + 2 * (i))
#define PFX_MANY_NET(i)	IP4(40 + (i), 0, 0, 0)

struct pfx_net {
	__u8 kind;
	__u32 ip;
	unsigned int plen;
};

/* Clause <idx> with <ports> (0: none) and the networks <n>; its plens
 * are computed here from the networks, as the agent does. */
static void pfx_clause(struct dp *dp, __u32 idx, __u8 action, __u16 port,
		       const struct pfx_net *n, size_t cnt)
{
	struct im_clause c = { .action = action, .rule_id = idx };
	size_t i;

	for (i = 0; i < cnt; i++) {
		switch (n[i].kind) {
		case IM_F_IPB:
			c.fields |= IM_F_IPB;
			c.plens[IM_A_IPB] |= PL(n[i].plen);
			break;
		case IM_F_NOTIPB:
			c.fields |= IM_F_NOTIPB;
			c.plens[IM_A_NOTIPB] |= PL(n[i].plen);
			break;
		case IM_K_DIP:
			c.ext |= IM_X_DIP;
			c.plens[IM_A_DIP] |= PL(n[i].plen);
			break;
		default:
			c.ext |= IM_X_NOTDIP;
			c.plens[IM_A_NOTDIP] |= PL(n[i].plen);
		}
	}
	if (port)
		c.fields |= IM_F_PORTS;
	CHECK_EQ(dp_put_clause(dp, 0, idx, &c), 0, "clause %u", idx);
	for (i = 0; i < cnt; i++)
		dip_addr(dp, idx, n[i].kind, n[i].ip, n[i].plen);
	if (port)
		CHECK_EQ(dp_put_member(dp, 0, idx, IM_F_PORTS, port), 0,
			 "clause %u port %u", idx, port);
}

/*
 *  set 5: c20 DENY ipBlocks [10.0.0.0/8, 192.168.1.0/24, 172.16.0.4/31,
 *                            203.0.113.9] ports [7700]
 *         c21 ALLOW ports [7700]
 *         c22 ALLOW ipBlocks [0.0.0.0/0 and the networks of c20]
 *                   notIpBlocks [100.64.0.0/10, 192.0.2.0/30,
 *                                192.0.2.77] ports [7701]
 *         c23 ALLOW ipBlocks [40.0.0.0/9, 41.0.0.0/11, ... 51.0.0.0/31]
 *                   ports [7702]
 *         c24 ALLOW destination.ip [10.2.0.0/16] notValues [10.2.5.0/28]
 *                   ports [7703]
 */
static void pfx_tables(struct dp *dp)
{
	static const struct pfx_net c20[] = {
		{ IM_F_IPB, IP4(10, 0, 0, 0), 8 },
		{ IM_F_IPB, IP4(192, 168, 1, 0), 24 },
		{ IM_F_IPB, IP4(172, 16, 0, 4), 31 },
		{ IM_F_IPB, IP4(203, 0, 113, 9), 32 },
	};
	static const struct pfx_net c22[] = {
		{ IM_F_IPB, 0, 0 },
		{ IM_F_IPB, IP4(10, 0, 0, 0), 8 },
		{ IM_F_IPB, IP4(192, 168, 1, 0), 24 },
		{ IM_F_IPB, IP4(172, 16, 0, 4), 31 },
		{ IM_F_IPB, IP4(203, 0, 113, 9), 32 },
		{ IM_F_NOTIPB, IP4(100, 64, 0, 0), 10 },
		{ IM_F_NOTIPB, IP4(192, 0, 2, 0), 30 },
		{ IM_F_NOTIPB, IP4(192, 0, 2, 77), 32 },
	};
	static const struct pfx_net c24[] = {
		{ IM_K_DIP, IP4(10, 2, 0, 0), 16 },
		{ IM_K_NOTDIP, IP4(10, 2, 5, 0), 28 },
	};
	struct im_wlport wp = { .mode = IM_MODE_PERMISSIVE, .polset = 5 };
	struct im_polset s5 = { .first = 20, .n = 5, .has_allow = 1 };
	struct pfx_net many[PFX_MANY];
	unsigned int i;

	CHECK_EQ(dp_put_wlport(dp, 0, htonl(PFX_WL), 0, &wp), 0, "wl");
	CHECK_EQ(dp_put_wlport(dp, 0, htonl(PFX_WL_NOT), 0, &wp), 0, "not");
	CHECK_EQ(dp_put_wlport(dp, 0, htonl(PFX_WL_OUT), 0, &wp), 0, "out");
	CHECK_EQ(dp_put_polset(dp, 0, 5, &s5), 0, "set 5");
	pfx_clause(dp, 20, IM_ACT_DENY, 7700, c20, 4);
	pfx_clause(dp, 21, IM_ACT_ALLOW, 7700, NULL, 0);
	pfx_clause(dp, 22, IM_ACT_ALLOW, 7701, c22, 8);
	for (i = 0; i < PFX_MANY; i++)
		many[i] = (struct pfx_net){ IM_F_IPB, PFX_MANY_NET(i),
					    PFX_MANY_LEN(i) };
	pfx_clause(dp, 23, IM_ACT_ALLOW, 7702, many, PFX_MANY);
	pfx_clause(dp, 24, IM_ACT_ALLOW, 7703, c24, 2);
}

#define PFX_OK(what, src, dst, port) \
	DIP_CASE(what, src, dst, port, TC_ACT_OK, IM_DROP_NONE)
#define PFX_DENY(what, src, dst, port) \
	DIP_CASE(what, src, dst, port, TC_ACT_SHOT, IM_DROP_POLICY_DENY)
#define PFX_NOALLOW(what, src, dst, port) \
	DIP_CASE(what, src, dst, port, TC_ACT_SHOT, IM_DROP_POLICY_NO_ALLOW)

static const struct guard_case pfx_cases[] = {
	PFX_DENY("/8 of four lengths", IP4(10, 200, 3, 4), PFX_WL, 7700),
	PFX_OK("beside the /8", IP4(11, 0, 0, 1), PFX_WL, 7700),
	PFX_DENY("/24 of four lengths", IP4(192, 168, 1, 77), PFX_WL, 7700),
	PFX_OK("beside the /24", IP4(192, 168, 2, 77), PFX_WL, 7700),
	PFX_DENY("/31, even address", IP4(172, 16, 0, 4), PFX_WL, 7700),
	PFX_DENY("/31, odd address", IP4(172, 16, 0, 5), PFX_WL, 7700),
	PFX_OK("beside the /31", IP4(172, 16, 0, 6), PFX_WL, 7700),
	PFX_DENY("/32 of four lengths", IP4(203, 0, 113, 9), PFX_WL, 7700),
	PFX_OK("beside the /32", IP4(203, 0, 113, 8), PFX_WL, 7700),
	PFX_OK("0.0.0.0/0 holds any source", IP4(1, 2, 3, 4), PFX_WL, 7701),
	PFX_OK("0.0.0.0/0 beside other lengths", IP4(10, 1, 1, 1), PFX_WL,
	       7701),
	PFX_NOALLOW("notIpBlocks /10", IP4(100, 127, 255, 254), PFX_WL, 7701),
	PFX_OK("beside notIpBlocks /10", IP4(100, 128, 0, 1), PFX_WL, 7701),
	PFX_NOALLOW("notIpBlocks /30", IP4(192, 0, 2, 3), PFX_WL, 7701),
	PFX_OK("beside notIpBlocks /30", IP4(192, 0, 2, 4), PFX_WL, 7701),
	PFX_NOALLOW("notIpBlocks /32", IP4(192, 0, 2, 77), PFX_WL, 7701),
	PFX_OK("destination.ip /16", IP4(1, 2, 3, 4), PFX_WL, 7703),
	PFX_NOALLOW("destination.ip notValues /28", IP4(1, 2, 3, 4),
		    PFX_WL_NOT, 7703),
	PFX_NOALLOW("outside destination.ip /16", IP4(1, 2, 3, 4),
		    PFX_WL_OUT, 7703),
};

/* Clauses whose address fields hold several prefix lengths, /0 to /32:
 * one masked lookup per length the clause lists. */
static void tc_guard_prefix_lengths(void)
{
	struct guard_case gc = PFX_OK(NULL, 0, PFX_WL, 7702);
	char what[2][64];
	unsigned int i;
	struct dp dp;
	__u32 net;

	NEED_ROOT();
	if (dp_test_load(&dp, NULL))
		return;
	pfx_tables(&dp);
	for (i = 0; i < ARRAY_N(pfx_cases); i++)
		run_case(&dp, dp_tc_prog_fd(&dp), true, &pfx_cases[i]);
	/* c23's twelve lengths: the last address of each network is in,
	 * the next one out */
	for (i = 0; i < PFX_MANY; i++) {
		net = PFX_MANY_NET(i);
		snprintf(what[0], sizeof(what[0]), "last of /%u",
			 PFX_MANY_LEN(i));
		snprintf(what[1], sizeof(what[1]), "after /%u",
			 PFX_MANY_LEN(i));
		gc.what = what[0];
		gc.pkt.saddr = net + (1U << (32 - PFX_MANY_LEN(i))) - 1;
		gc.verdict = TC_ACT_OK;
		gc.reason = IM_DROP_NONE;
		run_case(&dp, dp_tc_prog_fd(&dp), true, &gc);
		gc.what = what[1];
		gc.pkt.saddr = net + (1U << (32 - PFX_MANY_LEN(i)));
		gc.verdict = TC_ACT_SHOT;
		gc.reason = IM_DROP_POLICY_NO_ALLOW;
		run_case(&dp, dp_tc_prog_fd(&dp), true, &gc);
	}
	dp_destroy(&dp);
}

static void xdp_tables(struct dp *dp)
{
	CHECK_EQ(dp_put_xdeny(dp, 0, htonl(IP4(203, 0, 113, 0)), 24, 1), 0,
		 "deny 203.0.113.0/24");
	CHECK_EQ(dp_put_xdeny(dp, 0, htonl(IP4(198, 51, 100, 1)), 32, 2), 0,
		 "deny 198.51.100.1/32");
	CHECK_EQ(dp_put_xdeny(dp, 1, htonl(IP4(203, 0, 114, 0)), 24, 3), 0,
		 "gen 1 only: deny 203.0.114.0/24");
	put_local(dp, WL, IM_MODE_PERMISSIVE);
}

static void xdp_guard_table(void)
{
	NEED_ROOT();
	run_table(NULL, xdp_tables, false, xdp_cases, ARRAY_N(xdp_cases));
}

UNIT_SUITE(dp_guard)
{
	UNIT_TEST(s, tc_guard_table);
	UNIT_TEST(s, tc_guard_runt);
	UNIT_TEST(s, tc_guard_capture_hbone);
	UNIT_TEST(s, tc_guard_generation_switch);
	UNIT_TEST(s, tc_guard_not_live_workload);
	UNIT_TEST(s, tc_guard_destination_ip);
	UNIT_TEST(s, tc_guard_prefix_lengths);
	UNIT_TEST(s, xdp_guard_table);
}
