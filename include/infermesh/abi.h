/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ABI shared by the BPF programs (bpf/) and the agent and CLI (user/):
 * every map key and value, counter index and limit lives here, once.
 *
 * WARNING: these structs are the layout of BPF maps. Changing a field, its
 * size or its order changes the format: give the map a new name (suffix _v2)
 * instead of silently reusing the old one, and never renumber an enum value
 * that has shipped (retire it and add a new one).
 *
 * Byte order is part of the type: __be16/__be32 fields hold network order.
 * Padding is spelled out so both compilers agree on every offset.
 */
#ifndef IM_ABI_H
#define IM_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* BPF programs get these from vmlinux.h */
#endif

/*
 * Feature probe (bpf/probe.bpf.c)
 */

/* Index into map im_probe_cnt (an ARRAY of __u64). */
enum im_probe_counter {
	IM_PROBE_CONNECT4 = 0,		/* connect4 calls from the target cgroup */
	IM_PROBE_SOCKOPS = 1,		/* sockops callbacks, any op */
	IM_PROBE_SOCKOPS_ESTAB = 2,	/* ACTIVE/PASSIVE_ESTABLISHED callbacks */
	IM_PROBE_SK_VERDICT = 3,	/* sk_skb stream verdicts */
	IM_PROBE_TC_PACKETS = 4,	/* packets seen by the tc classifier */
	IM_PROBE_TC_NON_IPV4 = 5,	/* tc: not IPv4 (counted, passed) */
	IM_PROBE_TC_MALFORMED = 6,	/* tc: IPv4 header cut short or bad */
	IM_PROBE_XDP_PACKETS = 7,	/* packets seen by the XDP program */
	IM_PROBE_XDP_IPV4 = 8,		/* XDP: well-formed IPv4 (passed) */
	IM_PROBE_XDP_NON_IPV4 = 9,	/* XDP: not IPv4 (passed) */
	IM_PROBE_XDP_MALFORMED = 10,	/* XDP: bad IPv4 header (dropped) */
	IM_PROBE_TIMER_FIRED = 11,	/* bpf_timer callback ran */
	IM_PROBE_COUNTER_MAX		/* map size; append above this line */
};

/* Entries of im_probe_proto: one counter per IPv4 protocol number. */
#define IM_PROBE_PROTO_MAX 256

/* Value of im_probe_conn (ARRAY, one entry): the last connect4 seen. */
struct im_probe_conn {
	__u64 cgroup_id;	/* bpf_get_current_cgroup_id() of the caller */
	__be32 daddr;		/* destination address, network order */
	__be16 dport;		/* destination port, network order */
	__u16 pad;		/* explicit: keeps the size a multiple of 8 */
};
_Static_assert(sizeof(struct im_probe_conn) == 16, "im_probe_conn layout");

/* Record written to im_probe_rb (RINGBUF) by probe_events. */
struct im_probe_event {
	__u32 kind;		/* IM_PROBE_EV_* */
	__u32 len;		/* length of the packet that triggered it */
	__u64 ktime_ns;		/* bpf_ktime_get_ns() at submission */
};
_Static_assert(sizeof(struct im_probe_event) == 16, "im_probe_event layout");

#define IM_PROBE_EV_HELLO 1	/* the only kind: "the ring buffer works" */

#endif
