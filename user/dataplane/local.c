// SPDX-License-Identifier: Apache-2.0
/* im_local: this node's mesh workloads, written outside the generations
 * (see include/infermesh/dataplane.h) so a workload is known to the guards
 * even while its own tables are not live. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"

static bool listed(const uint32_t *ips, size_t n, uint32_t ip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ips[i] == ip)
			return true;
	return false;
}

/* Deletes every address of im_local not in <ips>: collected first, as
 * deleting while walking would restart the walk. */
static int dp_local_prune(int fd, const uint32_t *ips, size_t n)
{
	uint32_t cur, next, *gone = NULL;
	size_t n_gone = 0, cap = 0, i;
	uint32_t *prev = NULL;
	int err = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		cur = next;
		prev = &cur;
		if (listed(ips, n, cur))
			continue;
		if (n_gone == cap) {
			uint32_t *v = realloc(gone, (cap = cap ? 2 * cap : 64) *
						    sizeof(*v));

			if (!v) {
				free(gone);
				return -ENOMEM;
			}
			gone = v;
		}
		gone[n_gone++] = cur;
	}
	for (i = 0; i < n_gone && !err; i++)
		if (bpf_map_delete_elem(fd, &gone[i]) && errno != ENOENT)
			err = -errno;
	free(gone);
	return err;
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
