/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Load-time configuration of the dataplane programs: read-only globals the
 * loader sets through skel->rodata before load, so one object serves every
 * node and the verifier prunes the branches they turn off. Included once
 * per entry object (they are definitions).
 */
#ifndef IM_BPF_CONFIG_H
#define IM_BPF_CONFIG_H

/* The agent's number for this node (names in counters and events). */
const volatile __u32 im_node_id = 0;

/* Envoy's max_ejection_time, which Istio does not expose: an ejection lasts
 * at most max(this, baseEjectionTime). */
const volatile __u64 im_max_eject_ns = 300ULL * 1000 * 1000 * 1000;

/* Nonzero once the agent tunnels mesh-to-mesh calls through mTLS: only
 * then does the destination see the caller's identity. Until then every
 * connection is plaintext and principals/namespaces never match it. */
const volatile __u8 im_mtls = 0;

/* Nonzero once the agent proxies mesh calls (lib/capture.h): connect4
 * sends every call that must be mTLS to the agent's listener in the
 * caller's network namespace, and the tc guard lets the agent's HBONE
 * port in. 0 (the default): no call is captured, nothing changes. */
const volatile __u8 im_capture = 0;

/* skb->mark of the agent's own plaintext leg to a workload: it has been
 * authenticated and authorized by the agent already. 0 = none. */
const volatile __u32 im_agent_mark = 0;

#endif
