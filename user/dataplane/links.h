/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guard follower: which interfaces carry the packet guards, as links
 * come and go. It follows rtnetlink (rtnl.h) and applies one rule:
 *
 *   an interface gets a hook when
 *     (a) its name is listed for that hook (attached whenever an
 *         interface of that name exists: a missing one is waited for), or
 *     (b) its name matches a pattern given for that hook (fnmatch(3)), or
 *     (c) the kernel routes a local workload's address through it
 *         directly: RTM_GETROUTE for the address answers a unicast route
 *         with no gateway whose interface is not a loopback; that
 *         interface gets the route hook (the tc guard at egress: the node
 *         side of the pod's link, where packets for the pod leave).
 *
 * A hook is attached when its interface appears or starts matching, and
 * detached when it stops matching; when the interface vanishes the kernel
 * removed the filter with it and the entry is forgotten. Nothing is
 * detached before the first workload set is known (links_set_workloads()):
 * a restarted agent does not open a gap on the pods a previous one
 * guarded; then hooks that <owned> reports on interfaces nothing matches
 * any more are removed.
 *
 * Not thread safe: one caller owns a struct links.
 */
#ifndef IM_USER_DATAPLANE_LINKS_H
#define IM_USER_DATAPLANE_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guard.h"

/* What attaches: the dataplane's guards, or a test's fakes. Each returns
 * 0 or a negative errno. */
struct links_ops {
	int (*attach)(void *ctx, int ifindex, enum dp_guard_kind h);
	int (*detach)(void *ctx, int ifindex, enum dp_guard_kind h);
	/* Removes the clsact qdisc of <ifindex>: called after a tc detach
	 * when no filter at all is left on it. NULL: the qdisc stays. */
	int (*clsact_remove)(void *ctx, int ifindex);
	/* Whether our hook <h> is on <ifindex> (left by an earlier agent).
	 * NULL: never asked. */
	bool (*owned)(void *ctx, int ifindex, enum dp_guard_kind h);
	void *ctx;
	/* One line per decision (attach, detach, failure). NULL: silent. */
	void (*log)(void *log_ctx, const char *line);
	void *log_ctx;
};

/* The dataplane's guards as hooks (links_dp.c): the tc guard of <dp> at
 * our handle and priority, its XDP guard. <log> is left unset. */
void links_dp_ops(struct links_ops *ops, const struct dp *dp);

/* Rule (a) when <pattern> is false, (b) when it is true. */
struct links_want {
	const char *name;	/* kept by the caller */
	enum dp_guard_kind hook;
	bool pattern;
};

struct links_opts {
	const struct links_want *wants;
	size_t n_wants;
	bool routes;		/* rule (c) */
	struct links_ops ops;
};

struct links_stats {
	unsigned long attached, detached, failed, vanished, overruns;
};

struct links;

/* Subscribes, dumps the links and attaches what (a) and (b) ask. A listed
 * interface that does not exist is not an error. */
int links_open(struct links **out, const struct links_opts *o);
void links_close(struct links *l);
/* The fd to watch (readable: call links_on_events()). */
int links_fd(const struct links *l);
/* Consumes the pending events and brings the hooks in line. */
int links_on_events(struct links *l);
/* The local workloads' addresses (network order, copied) for rule (c);
 * brings the hooks in line. */
int links_set_workloads(struct links *l, const uint32_t *ips, size_t n);
/* Adds addresses to rule (c)'s set (a partial config: what it lacks may
 * still be in force) and attaches what they ask; detaches nothing, and
 * does not count as knowing the workloads. */
int links_add_workloads(struct links *l, const uint32_t *ips, size_t n);
/* Detaches every hook it attached (a start that failed half way; an
 * agent that stops leaves them for the next one). */
void links_detach_all(struct links *l);

/* For tests and logs. */
void links_get_stats(const struct links *l, struct links_stats *s);
/* The hooks attached on <ifindex> as bits 1 << DP_GUARD_*; 0 when
 * unknown. */
unsigned int links_hooks(const struct links *l, int ifindex);
/* Interfaces it knows (every link of the namespace). */
size_t links_count(const struct links *l);
const char *dp_guard_kind_name(enum dp_guard_kind h);

#endif
