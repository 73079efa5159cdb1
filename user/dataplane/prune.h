/* SPDX-License-Identifier: Apache-2.0 */
/* Deleting the entries of a hash map that a predicate picks: for the
 * generation clear (gen.c), im_local (local.c) and the ejection lists of
 * removed clusters (cl_ej.c). Internal to user/dataplane/. */
#ifndef IM_DATAPLANE_PRUNE_H
#define IM_DATAPLANE_PRUNE_H

#include <stdbool.h>
#include <stddef.h>

/* Largest key dp_map_prune() handles. */
#define DP_PRUNE_KEY_MAX 32

/* Deletes every key of map <fd> (<ksz> bytes) for which <gone>(key, ctx)
 * is true. The keys are collected first and deleted after the walk:
 * deleting while walking a hash map may restart the walk. Returns how
 * many were deleted, or -errno (-EINVAL for a key too big). */
int dp_map_prune(int fd, size_t ksz,
		 bool (*gone)(const void *key, void *ctx), void *ctx);

/* For bsearch() and qsort() over __u32 and __u64 keys. */
int dp_cmp_u32(const void *a, const void *b);
int dp_cmp_u64(const void *a, const void *b);

#endif
