// SPDX-License-Identifier: Apache-2.0
/* Pruning hash maps (see prune.h). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/grow.h"
#include "prune.h"

int dp_map_prune(int fd, size_t ksz,
		 bool (*gone)(const void *key, void *ctx), void *ctx)
{
	char cur[DP_PRUNE_KEY_MAX], next[DP_PRUNE_KEY_MAX], *keys = NULL;
	size_t n = 0, cap = 0, i;
	void *prev = NULL;
	int err = 0;

	if (ksz > DP_PRUNE_KEY_MAX)
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur, next, ksz);
		prev = cur;
		if (!gone(cur, ctx))
			continue;
		if (n == cap && grow((void **)&keys, &cap, ksz)) {
			free(keys);
			return -ENOMEM;
		}
		memcpy(keys + n++ * ksz, cur, ksz);
	}
	for (i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(fd, keys + i * ksz) && errno != ENOENT)
			err = -errno;
	free(keys);
	return err ? err : (int)n;
}

int dp_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int dp_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}
