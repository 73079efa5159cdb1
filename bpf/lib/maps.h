/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the L4 dataplane, defined once. Each entry object includes
 * this file, so each object carries all of them; the loader
 * (user/dataplane/) creates them with the first object and hands the same
 * fds to the others, which makes them one set of maps shared by connect4,
 * getpeername4, sockops, the tc guard and the XDP guard. Layouts are in
 * include/infermesh/dataplane.h.
 */
#ifndef IM_BPF_MAPS_H
#define IM_BPF_MAPS_H

#include <bpf/bpf_helpers.h>

#include "infermesh/dataplane.h"

/* The live generation (see dataplane.h on the one-step switch). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct im_cfg);
} im_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IM_GENS * IM_MAX_SERVICES);
	__type(key, struct im_svc_key);
	__type(value, struct im_svc);
} im_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_GENS * IM_MAX_ROUTES);
	__type(key, __u32);
	__type(value, struct im_route);
} im_route_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_GENS * IM_MAX_SUBSETS);
	__type(key, __u32);
	__type(value, struct im_subset);
} im_subset_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_GENS * IM_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct im_ep);
} im_ep_v3 SEC(".maps");

/* Runtime state per (cluster, endpoint), in the slot the agent gave it
 * (im_ep.slot): no generation, and an array so lookups are inlined. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_MAX_EP_STATE);
	__type(key, __u32);
	__type(value, struct im_ep_state);
} im_ep_state SEC(".maps");

/* Each slot's cluster and its outlier settings (struct im_host). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_MAX_EP_STATE);
	__type(key, __u32);
	__type(value, struct im_host);
} im_host SEC(".maps");

/* Ejected hosts per cluster (struct im_cl_ej); entries made by the agent,
 * allocated only for clusters with outlier detection. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IM_MAX_CLUSTERS);
	__type(key, __u64);
	__type(value, struct im_cl_ej);
} im_cl_ej SEC(".maps");

/* The agent's slot allocation (see struct im_ep_key); no program reads
 * it, it is here to be pinned with the state it indexes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IM_MAX_EP_STATE);
	__type(key, struct im_ep_key);
	__type(value, __u32);
} im_ep_slot SEC(".maps");

/* Per-socket decision of connect4 (struct im_sock_info): socket storage,
 * so a record is never evicted (its socket's count could not be undone)
 * and goes away with its socket, whatever the agent is doing. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct im_sock_info);
} im_sock_st SEC(".maps");

/* How sockops counts a connection coming up (struct im_count). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct im_count);
} im_count SEC(".maps");

/* Round-robin position per subset, per CPU: no shared cache line. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IM_GENS * IM_MAX_SUBSETS);
	__type(key, __u32);
	__type(value, __u32);
} im_rr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IM_GENS * IM_MAX_IDENTS);
	__type(key, struct im_ident_key);
	__type(value, struct im_ident);
} im_ident SEC(".maps");

/* This node's mesh workloads, live or not (no generation). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IM_MAX_LOCAL);
	__type(key, __be32);
	__type(value, struct im_local);
} im_local SEC(".maps");

/* Levels at which workload cgroups sit, per generation (lib/ident.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_GENS);
	__type(key, __u32);
	__type(value, struct im_idlvl);
} im_idlvl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IM_GENS * IM_MAX_WLPORTS);
	__type(key, struct im_wlport_key);
	__type(value, struct im_wlport);
} im_wlport SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_GENS * IM_MAX_POLSETS);
	__type(key, __u32);
	__type(value, struct im_polset);
} im_polset SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IM_GENS * IM_MAX_CLAUSES);
	__type(key, __u32);
	__type(value, struct im_clause);
} im_clause_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IM_MAX_MEMBERS);
	__type(key, struct im_member_key);
	__type(value, __u8);
} im_member_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IM_MAX_XDENY);
	__type(key, struct im_xdeny_key);
	__type(value, __u32);
} im_xdeny SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IM_DROP_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} im_drops_v2 SEC(".maps");

/* Outbound capture (lib/capture.h): connect4's record of a captured
 * socket, in the socket's storage (dies with it) ... */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct im_capture);
} im_cap_st_v2 SEC(".maps");

/* ... and the copy sockops publishes for the agent by the address its
 * listener will see (struct im_cap_key); the agent takes it after
 * accept(), sockops removes what is left when the socket closes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IM_MAX_CAPTURES);
	__type(key, struct im_cap_key);
	__type(value, struct im_capture);
} im_cap_v2 SEC(".maps");

/* The live generation; 0 before the agent wrote anything. */
static __always_inline __u32 im_live_gen(void)
{
	__u32 zero = 0;
	struct im_cfg *cfg = bpf_map_lookup_elem(&im_cfg, &zero);

	return cfg ? cfg->gen & 1 : 0;
}

/* Counts one drop (or refused connect) under its stable reason. */
static __always_inline void im_count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&im_drops_v2, &reason);

	if (n)
		*n += 1;	/* per-CPU slot: no atomic needed */
}

#endif
