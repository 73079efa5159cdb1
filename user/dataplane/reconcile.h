/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciling the active-connection counts (im_ep_state.active) with the
 * balanced sockets that exist. A socket's record (im_sock_st) dies with
 * it, so nothing is ever evicted while sockops runs; but a connection
 * that closes while no sockops program is attached (the agent stopped)
 * leaves its 1 behind. The agent runs this once at start, with its
 * programs attached: it rebuilds every count from the records of the TCP
 * sockets in every network namespace (netns_each.h), while connections
 * keep coming and going (the steps are in bpf/recount.bpf.c).
 *
 * Not thread safe: one caller per struct dp, and one agent per node.
 */
#ifndef IM_DATAPLANE_RECONCILE_H
#define IM_DATAPLANE_RECONCILE_H

#include <stdint.h>

#include "dataplane.h"

struct dp_recount {
	uint64_t released;	/* claims the records gave back */
	uint64_t leaked;	/* counted connections no socket held: gone */
	uint64_t claimed;	/* established connections counted again */
	uint64_t closed;	/* connections found ended unseen */
	uint64_t skipped_ns;	/* namespaces that could not be entered
				   (per pass): their sockets read low */
};

/*
 * Rebuilds every active count from the sockets that exist; fills <r>.
 * Returns 0, or -errno (then sockops counts normally again, and the counts
 * may be low until those connections close, never high).
 */
int dp_reconcile(const struct dp *dp, struct dp_recount *r);

#endif
