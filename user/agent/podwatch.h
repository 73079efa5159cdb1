/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When a local workload's first process appears: inotify on each local
 * workload's cgroup.events, which the kernel rewrites when "populated"
 * changes (a first process in the cgroup or below it, or the last one
 * gone). The proxy's listeners live in a process's network namespace, so
 * a pod that starts after the agent gets them at once, not only while
 * the bounded retry (mtls.h) still runs. A cgroup that does not exist
 * yet is not watched (logged by the caller); a link event or a reload
 * sets the watches again.
 */
#ifndef IM_AGENT_PODWATCH_H
#define IM_AGENT_PODWATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "peers.h"

struct podwatch {
	int fd;			/* inotify, non-blocking; -1: none */
	int *wd;		/* one per watched cgroup */
	size_t n;
};

/* Opens the inotify fd. Returns 0 or -errno. */
int podwatch_open(struct podwatch *w);
/* Watches the cgroup.events of every local workload of <p> with a
 * cgroup, instead of the previous set. Returns how many could not be
 * watched (no such cgroup yet), or -errno. */
int podwatch_set(struct podwatch *w, const struct agent_peers *p);
/* Reads what is queued; true when some cgroup's state changed. */
bool podwatch_drain(struct podwatch *w);
/* Safe on a closed or never opened watch. */
void podwatch_close(struct podwatch *w);

#endif
