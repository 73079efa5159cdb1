/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Who is calling: the workload whose cgroup is the caller's nearest
 * ancestor (or its own cgroup). Kubernetes runs each container in a cgroup
 * below its pod's, so an exact match on the caller's cgroup would miss
 * every container. The agent publishes the levels where workload cgroups
 * sit (im_idlvl, deepest first); the walk asks for the caller's ancestor
 * at each of them, so the cost is one helper call and one hash lookup per
 * distinct level, bounded by IM_IDENT_LEVELS, never by the depth of the
 * hierarchy. Only for programs that run in the caller's context
 * (cgroup/connect4, connect6).
 */
#ifndef IM_BPF_IDENT_H
#define IM_BPF_IDENT_H

#include <bpf/bpf_helpers.h>

#include "lib/maps.h"

/* The identity of the calling task in generation <gen>, or NULL when no
 * ancestor of its cgroup is a workload; *<wl> is that workload's cgroup. */
static __always_inline struct im_ident *im_ident_walk(__u32 gen, __u64 *wl)
{
	struct im_ident_key k = { .gen = gen };
	struct im_ident *id;
	struct im_idlvl *lv;
	__u32 i;

	lv = bpf_map_lookup_elem(&im_idlvl, &gen);
	if (!lv)
		return NULL;
	for (i = 0; i < IM_IDENT_LEVELS; i++) {
		if (i >= lv->n)
			break;
		/* 0 when the caller sits above that level */
		k.cgroup = bpf_get_current_ancestor_cgroup_id(lv->level[i]);
		if (!k.cgroup)
			continue;
		id = bpf_map_lookup_elem(&im_ident, &k);
		if (id) {
			*wl = k.cgroup;
			return id;
		}
	}
	return NULL;
}

static __always_inline struct im_ident *im_ident_of_caller(__u32 gen)
{
	__u64 wl;

	return im_ident_walk(gen, &wl);
}

#endif
