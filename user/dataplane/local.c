// SPDX-License-Identifier: Apache-2.0
/* im_local: this node's mesh workloads, written outside the generations
 * (see include/infermesh/dataplane.h) so a workload is known to the guards
 * even while its own tables are not live. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "prune.h"

struct listed {
	uint32_t *ips;		/* sorted */
	size_t n;
};

static bool unlisted(const void *key, void *ctx)
{
	const struct listed *l = ctx;

	return !bsearch(key, l->ips, l->n, sizeof(*l->ips), dp_cmp_u32);
}

/* Deletes every address of im_local not in <ips>. */
static int dp_local_prune(int fd, const uint32_t *ips, size_t n)
{
	struct listed l = { malloc((n + 1) * sizeof(*ips)), n };
	int err;

	if (!l.ips)
		return -ENOMEM;
	if (n)
		memcpy(l.ips, ips, n * sizeof(*ips));
	qsort(l.ips, n, sizeof(*l.ips), dp_cmp_u32);
	err = dp_map_prune(fd, sizeof(*ips), unlisted, &l);
	free(l.ips);
	return err < 0 ? err : 0;
}

int dp_sync_local(const struct dp *dp, const uint32_t *ips,
		  const struct im_local *v, size_t n, bool prune)
{
	int fd = dp_map_fd(dp, "im_local");
	size_t i;

	if (fd < 0)
		return fd;
	if (n > IM_MAX_LOCAL)
		return -E2BIG;
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &ips[i], &v[i], BPF_ANY))
			return -errno;
	return prune ? dp_local_prune(fd, ips, n) : 0;
}
