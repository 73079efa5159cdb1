// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Feature probe: tiny but real programs, one per hook the dataplane will
 * use. `infermesh features` loads each one on its own (the others are left
 * unloaded) so a kernel lacking one hook still reports the rest; the bpf
 * test suite runs them against crafted packets and a real connect().
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "infermesh/abi.h"
#include "lib/consts.h"
#include "lib/parse.h"

/* Load-time configuration (set through skel->rodata before load). */
const volatile __u64 target_cgroup = 0;	/* connect4 counts only this; 0 = all */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_PROBE_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} im_probe_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_PROBE_PROTO_MAX);
	__type(key, __u32);
	__type(value, __u64);
} im_probe_proto SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct im_probe_conn);
} im_probe_conn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} im_probe_sockh SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} im_probe_rb SEC(".maps");

struct timer_slot {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct timer_slot);
} im_probe_timer SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&im_probe_cnt, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Returns 1 (allow) always: the probe observes, it never refuses. */
SEC("cgroup/connect4")
int probe_connect4(struct bpf_sock_addr *ctx)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct im_probe_conn *c;
	__u32 zero = 0;

	if (target_cgroup && cg != target_cgroup)
		return 1;
	count(IM_PROBE_CONNECT4);
	c = bpf_map_lookup_elem(&im_probe_conn, &zero);
	if (c) {
		c->cgroup_id = cg;
		c->daddr = ctx->user_ip4;
		/* user_port is a __u32 holding the port in network order */
		c->dport = (__be16)ctx->user_port;
	}
	return 1;
}

/* No cgroup filter here: established callbacks run in softirq, where the
 * "current" task is whoever was interrupted. */
SEC("sockops")
int probe_sockops(struct bpf_sock_ops *skops)
{
	count(IM_PROBE_SOCKOPS);
	if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB ||
	    skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		count(IM_PROBE_SOCKOPS_ESTAB);
	return 1;
}

SEC("sk_skb/stream_verdict")
int probe_verdict(struct __sk_buff *skb)
{
	count(IM_PROBE_SK_VERDICT);
	return SK_PASS;
}

static __always_inline void count_proto(__u8 proto)
{
	__u32 key = proto;
	__u64 *v = bpf_map_lookup_elem(&im_probe_proto, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* A counting classifier: every packet passes. */
SEC("tc")
int probe_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct iphdr *ip = NULL;

	count(IM_PROBE_TC_PACKETS);
	switch (parse_eth_ipv4(data, end, &ip)) {
	case PARSE_IPV4:
		count_proto(ip->protocol);
		break;
	case PARSE_NOT_IPV4:
		count(IM_PROBE_TC_NON_IPV4);
		break;
	default:
		count(IM_PROBE_TC_MALFORMED);
	}
	return TC_ACT_OK;
}

/* Passes well-formed IPv4 and other ethertypes; drops IPv4 whose header
 * lies (bad version or length, or a total length past the frame's end). */
SEC("xdp")
int probe_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = NULL;
	enum parse_res r;

	count(IM_PROBE_XDP_PACKETS);
	r = parse_eth_ipv4(data, end, &ip);
	if (r == PARSE_IPV4 && (void *)ip + bpf_ntohs(ip->tot_len) > end)
		r = PARSE_MALFORMED;	/* XDP frames are linear: all is here */
	if (r == PARSE_NOT_IPV4) {
		count(IM_PROBE_XDP_NON_IPV4);
		return XDP_PASS;
	}
	if (r == PARSE_MALFORMED) {
		count(IM_PROBE_XDP_MALFORMED);
		return XDP_DROP;
	}
	count(IM_PROBE_XDP_IPV4);
	return XDP_PASS;
}

/* Test-run only: one ring buffer record per packet. */
SEC("tc")
int probe_ringbuf(struct __sk_buff *skb)
{
	struct im_probe_event *e;

	e = bpf_ringbuf_reserve(&im_probe_rb, sizeof(*e), 0);
	if (!e)
		return TC_ACT_OK;
	e->kind = IM_PROBE_EV_HELLO;
	e->len = skb->len;
	e->ktime_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
	return TC_ACT_OK;
}

static int timer_fired(void *map, __u32 *key, struct timer_slot *slot)
{
	count(IM_PROBE_TIMER_FIRED);
	return 0;
}

/* Test-run only: arms a timer that fires at once. bpf_timer_init fails
 * with EBUSY on later runs (already armed once); start works regardless. */
SEC("tc")
int probe_timer(struct __sk_buff *skb)
{
	struct timer_slot *slot;
	__u32 zero = 0;

	slot = bpf_map_lookup_elem(&im_probe_timer, &zero);
	if (!slot)
		return TC_ACT_OK;
	bpf_timer_init(&slot->t, &im_probe_timer, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&slot->t, timer_fired);
	bpf_timer_start(&slot->t, 0, 0);
	return TC_ACT_OK;
}

/*
 * The BPF side is dual-licensed (see the SPDX line): the bpf_timer helpers
 * are GPL-only, and the kernel refuses them to programs that do not declare
 * a GPL-compatible license ("cannot call GPL-restricted function").
 */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
