/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What bpf/lib/policy.h needs to compile in userspace: the BPF helper
 * names it calls and the maps it reads, served from an authz_gen (the
 * compiled tables the kernel got, kept by the agent). Include this, then
 * the policy header, in one file only (authz_eval.c): the header defines
 * functions.
 *
 * The maps are objects whose address names the table; a lookup reads the
 * generation of the calling thread (set by authz_eval around the walk),
 * so the shared code runs unchanged and needs no extra argument.
 */
#ifndef IM_AUTHZ_POLICY_USER_H
#define IM_AUTHZ_POLICY_USER_H

#include <arpa/inet.h>
#include <linux/types.h>
#include <stdbool.h>

#include "infermesh/dataplane.h"

#define IM_POLICY_USER 1

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
/* static: the header's one global function stays private to its file */
#define __noinline static __attribute__((noinline))
#define bpf_htonl(x) htonl(x)

/* The tables policy.h reads, by the map name it uses. */
enum im_umap_kind { IM_UMAP_WLPORT, IM_UMAP_POLSET, IM_UMAP_CLAUSE,
		    IM_UMAP_MEMBER };

struct im_umap {
	enum im_umap_kind kind;
};

static const struct im_umap im_wlport = { IM_UMAP_WLPORT };
static const struct im_umap im_polset = { IM_UMAP_POLSET };
static const struct im_umap im_clause_v2 = { IM_UMAP_CLAUSE };
static const struct im_umap im_member_v2 = { IM_UMAP_MEMBER };

/* bpf_map_lookup_elem over the thread's generation: the entry or NULL. */
void *im_umap_lookup(const struct im_umap *m, const void *key);
#define bpf_map_lookup_elem(m, k) im_umap_lookup(m, k)

/* bpf_loop: calls <fn> for 0..n-1 until it returns non-zero. */
static inline long bpf_loop(__u32 n, long (*fn)(__u32, void *), void *ctx,
			    __u64 flags)
{
	__u32 i;

	(void)flags;
	for (i = 0; i < n; i++)
		if (fn(i, ctx))
			return i + 1;
	return n;
}

#endif
