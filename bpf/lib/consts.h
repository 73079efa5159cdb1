/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Constants the BPF side needs that vmlinux.h cannot give: vmlinux.h only
 * carries types and enums, never the uapi #defines. */
#ifndef IM_BPF_CONSTS_H
#define IM_BPF_CONSTS_H

#define ETH_HLEN	14	/* destination, source, ethertype */
#define ETH_P_IP	0x0800	/* host order: compare with bpf_ntohs() */
#define ETH_P_8021Q	0x8100

#define TC_ACT_OK	0	/* uapi/linux/pkt_cls.h */
#define TC_ACT_SHOT	2

#define CLOCK_MONOTONIC	1	/* uapi/linux/time.h, for bpf_timer_init */

#define IPV4_MIN_HLEN	20	/* header without options */
#define IPV4_MAX_HLEN	60	/* ihl is four bits of 32-bit words */

#endif
