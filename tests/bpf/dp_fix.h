/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by test_dp_connect.c and test_dp_counts.c: the dataplane loaded
 * and attached to a fresh child cgroup, and DPFIX_LIS listeners on
 * consecutive loopback addresses, the endpoints the tests route to. */
#ifndef IM_TEST_DP_FIX_H
#define IM_TEST_DP_FIX_H

#include <stdbool.h>
#include <linux/types.h>

#include "dp_testlib.h"
#include "kernel/cgroup.h"

#define DPFIX_LIS 3

struct dpfix {
	struct cgroup_tmp cg;
	struct dp dp;
	bool loaded;
	int lfd[DPFIX_LIS];
	/* listener i as an endpoint: its address (network order), weight
	 * 1, state in slot i */
	struct im_ep ep[DPFIX_LIS];
};

/* Cgroup <cg_name>, the programs loaded with <o> (NULL: defaults) and
 * attached to it, listener i on <first_ip> + i (host order). False: the
 * test stops (its failure is recorded) and everything made so far is
 * gone. */
bool dpfix_up(struct dpfix *f, const char *cg_name, const struct dp_opts *o,
	      __u32 first_ip);
/* Undoes dpfix_up(); safe after it failed. */
void dpfix_down(struct dpfix *f);

#endif
