/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What outlives the agent, under its pin root (one per node, so two agents
 * in two network namespaces share nothing):
 *   <root>/im_*            every dataplane map: tables of both generations,
 *                          endpoint state, per-socket records, counters
 *   <root>/links/<prog>    the cgroup links: a killed agent's programs stay
 *                          attached and keep balancing and policing with
 *                          the maps above
 * A new agent loads its programs against the pinned maps (adopting their
 * contents: dp_load() with dp_opts.pin_root) and swaps them into the pinned
 * links in one step each.
 */
#ifndef IM_DATAPLANE_PIN_H
#define IM_DATAPLANE_PIN_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane.h"

#define DP_MAX_RETIRED 16

struct dp_pin_report {
	bool adopted;			/* maps were pinned before us */
	const char *retired[DP_MAX_RETIRED];	/* retired pins removed */
	size_t n_retired;
};

/*
 * Mounts bpffs at /sys/fs/bpf when <pin_root> is under it and nothing is
 * mounted there, creates <pin_root> 0700 when missing and opens it,
 * refusing one that is not ours alone (dir_open_private()). Returns the
 * directory's fd (the agent locks it: bpffs holds no regular files), or
 * -errno with the reason in <why>.
 */
int dp_pin_root_open(const char *pin_root, char *why, size_t n);

/*
 * In the pin root (opened above): creates its links/ directory and
 * removes the pins of retired map names. What it found goes to <r>.
 * Returns 0 or -errno.
 */
int dp_pins_prepare(const char *pin_root, struct dp_pin_report *r);

/*
 * Attaches connect4, getpeername4 and sockops of <dp> to the cgroup
 * <cgroup_fd> through links pinned under <pin_root>/links: a link an
 * earlier agent pinned there for the same cgroup gets the new program
 * atomically; one for another cgroup is detached and replaced. The links
 * go to dp->links; dp_destroy() closes them and the pins keep them
 * attached. Returns 0 or -errno.
 */
int dp_cgroup_attach_pinned(struct dp *dp, int cgroup_fd,
			    const char *pin_root);
/* Detaches the cgroup links of <dp> and removes their pins; maps stay. */
void dp_cgroup_detach_pinned(struct dp *dp);

#endif
