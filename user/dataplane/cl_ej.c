// SPDX-License-Identifier: Apache-2.0
/*
 * im_cl_ej: the ejection list of each cluster with outlier detection. The
 * programs fill the lists; the agent makes them and deletes those of
 * clusters the live tables no longer have, so that removed clusters never
 * fill the map and keep new ones from ejecting.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>

#include "dataplane.h"
#include "prune.h"

int dp_cl_ej_add(const struct dp *dp, uint64_t cluster)
{
	static const struct im_cl_ej empty;
	int fd = dp_map_fd(dp, "im_cl_ej");

	if (fd < 0)
		return fd;
	/* one that exists holds live ejections and stays as it is */
	if (bpf_map_update_elem(fd, &cluster, &empty, BPF_NOEXIST) &&
	    errno != EEXIST)
		return errno == E2BIG || errno == ENOMEM ? -ENOSPC : -errno;
	return 0;
}

struct keep {
	uint64_t *ids;		/* sorted, unique */
	size_t n;
};

static bool not_kept(const void *key, void *ctx)
{
	const struct keep *k = ctx;

	return !bsearch(key, k->ids, k->n, sizeof(*k->ids), dp_cmp_u64);
}

/* The clusters of <subs> with outlier detection, sorted and unique. */
static int kept_clusters(const struct im_subset *subs, size_t n,
			 struct keep *k)
{
	size_t i, j = 0;

	k->ids = malloc((n + 1) * sizeof(*k->ids));
	if (!k->ids)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (subs[i].flags & IM_SUB_OUTLIER)
			k->ids[j++] = subs[i].cluster;
	qsort(k->ids, j, sizeof(*k->ids), dp_cmp_u64);
	for (i = 0, k->n = 0; i < j; i++)
		if (!k->n || k->ids[k->n - 1] != k->ids[i])
			k->ids[k->n++] = k->ids[i];
	return 0;
}

int dp_cl_ej_sync(const struct dp *dp, const struct im_subset *subs,
		  size_t n, unsigned int *full)
{
	int fd = dp_map_fd(dp, "im_cl_ej"), err, gone;
	struct keep k;
	size_t i;

	*full = 0;
	if (fd < 0)
		return fd;
	err = kept_clusters(subs, n, &k);
	if (err)
		return err;
	gone = dp_map_prune(fd, sizeof(*k.ids), not_kept, &k);
	err = gone < 0 ? gone : 0;
	for (i = 0; !err && i < k.n; i++) {
		err = dp_cl_ej_add(dp, k.ids[i]);
		if (err == -ENOSPC) {
			++*full;
			err = 0;
		}
	}
	free(k.ids);
	return err ? err : gone;
}
