/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet guards on one interface: the tc guard (ingress or egress of a
 * workload's interface) and the XDP guard (the node's interface). Both are
 * attached through netlink, which keeps them in place when the agent
 * stops or is killed; a restarted agent replaces them in one step (same tc
 * handle and priority; XDP replace of our own program only). A guard is
 * recognised as infermesh's by its program's name (im_tc_guard,
 * im_xdp_guard) and, for tc, our handle and priority.
 */
#ifndef IM_DATAPLANE_GUARD_H
#define IM_DATAPLANE_GUARD_H

#include <net/if.h>
#include <stdbool.h>

#include "dataplane.h"

enum dp_guard_kind {
	DP_GUARD_TC_INGRESS,
	DP_GUARD_TC_EGRESS,
	DP_GUARD_XDP,
	DP_GUARD_N_KINDS
};

struct dp_guard {
	char name[IF_NAMESIZE];	/* for messages; resolved when ifindex is 0 */
	int ifindex;
	enum dp_guard_kind kind;
	bool attached;
};

/* Attaches the guard program of <dp> of kind g->kind to g->ifindex (or
 * to g->name when g->ifindex is 0, setting it). XDP never replaces a
 * program that is not ours: -EBUSY when one is there. Returns 0 or
 * -errno. */
int dp_guard_attach(const struct dp *dp, struct dp_guard *g);
/* Removes the guard from its interface if attached. */
void dp_guard_detach(struct dp_guard *g);
/* Whether a tc guard of ours (our handle and priority) sits at <kind> of
 * <ifindex>, e.g. left by an earlier agent. Always false for XDP. */
bool dp_guard_present(int ifindex, enum dp_guard_kind kind);
/* Removes the clsact qdisc of <ifindex>, with whatever filter is on it:
 * for callers that checked none is left. Returns 0 or -errno. */
int dp_guard_clsact_remove(int ifindex);

/* Whether our guard of <kind> can go on <ifindex>: 0 when the hook is
 * free or ours, -EBUSY when another program holds it (XDP: one program
 * per interface; tc filters stack, so always 0), or -errno. */
int dp_guard_check(int ifindex, enum dp_guard_kind kind);
/* The id of our program of <kind> on <ifindex> (whichever agent put it
 * there), 0 when none of ours is, or -errno. */
long dp_guard_find(int ifindex, enum dp_guard_kind kind);
/* Removes our program of <kind> from <ifindex>, leaving anyone else's.
 * Returns 1 when one was removed, 0 when none of ours was there, or
 * -errno. */
int dp_guard_remove(int ifindex, enum dp_guard_kind kind);

#endif
