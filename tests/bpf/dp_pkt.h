/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the guard tables need beyond user/kernel/pkt_build: bends applied to
 * a frame it built (a VLAN tag, a fragment offset, a TCP data offset).
 */
#ifndef IM_TEST_DP_PKT_H
#define IM_TEST_DP_PKT_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/pkt_build.h"

#define IP4(a, b, c, d) ((__u32)(a) << 24 | (b) << 16 | (c) << 8 | (d))

struct dp_bend {
	__u16 vlan;		/* nonzero: insert an 802.1Q tag with this id */
	__u16 frag;		/* IPv4 fragment offset, 8-byte units */
	__u8 doff;		/* nonzero: TCP data offset written as is */
	__u8 proto;		/* nonzero: IPv4 protocol written as is */
	bool tot0;		/* IPv4 total length 0, as BIG TCP sends */
};

/* Applies <b> to the <len>-byte frame in <buf> (PKT_MAX bytes, untagged
 * Ethernet + IPv4 without options for frag/doff/proto/tot0); returns the
 * new length. The IPv4 checksum is not redone (nothing checks it). */
size_t dp_pkt_bend(__u8 *buf, size_t len, const struct dp_bend *b);

#endif
