// SPDX-License-Identifier: Apache-2.0
/* What connect4 searches instead of walking a subset: derived here from the
 * endpoints' order and weights, so whoever writes a subset (the agent, a
 * test, the benchmark) gets the same index. Pure: no maps touched. */
#include <errno.h>

#include "dataplane.h"

/* [lo, hi) of the run of endpoints sharing eps[i]'s priority and
 * locality, from its first endpoint <lo>. */
static uint32_t run_end(const struct im_ep *eps, uint32_t n, uint32_t lo)
{
	uint32_t hi = lo + 1;

	while (hi < n && eps[hi].prio == eps[lo].prio &&
	       eps[hi].loc == eps[lo].loc)
		hi++;
	return hi;
}

int dp_lb_index(struct im_subset *sub, struct im_ep *eps)
{
	uint32_t i, j, hi, n = sub->n_ep;
	uint64_t cum = 0;
	unsigned int p;

	if (n > IM_SUBSET_EPS)
		return -ERANGE;
	for (i = 0; i < n; i++) {
		if (eps[i].prio >= IM_MAX_PRIO)
			return -ERANGE;
		if (i && (eps[i].prio < eps[i - 1].prio ||
			  (eps[i].prio == eps[i - 1].prio &&
			   eps[i].loc < eps[i - 1].loc)))
			return -EINVAL;	/* not sorted by (prio, loc) */
	}
	for (i = 0; i < n; i = hi) {
		hi = run_end(eps, n, i);
		for (j = i; j < hi; j++) {
			cum += eps[j].weight;
			eps[j].cum = cum;
			eps[j].loc_lo = (uint16_t)i;
			eps[j].loc_hi = (uint16_t)hi;
		}
	}
	for (p = 0, i = 0; p < IM_MAX_PRIO; p++) {
		while (i < n && eps[i].prio <= p)
			i++;
		sub->prio_end[p] = (uint16_t)i;
	}
	return 0;
}
