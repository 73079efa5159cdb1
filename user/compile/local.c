// SPDX-License-Identifier: Apache-2.0
/*
 * The addresses of this node's workloads, for the guard follower's route
 * rule (user/dataplane/links.h): a workload the config places on the node
 * has its pod's interface guarded even before its cgroup or its entries
 * exist.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int ct_local_addrs(const struct model *m, const char *node, uint32_t **out,
		   size_t *n)
{
	uint32_t *v = calloc(m->n_wls ? m->n_wls : 1, sizeof(*v));
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (!v)
		return -ENOMEM;
	for (i = 0; node && i < m->n_wls; i++) {
		const struct workload *w = m->wls[i].wl;

		if (w->node && !strcmp(w->node, node) && w->address &&
		    ct_ipv4(w->address, &v[k]))
			k++;
	}
	qsort(v, k, sizeof(*v), cmp_u32);
	for (i = 0, *n = 0; i < k; i++)		/* one of each */
		if (!*n || v[*n - 1] != v[i])
			v[(*n)++] = v[i];
	*out = v;
	return 0;
}
