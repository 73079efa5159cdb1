/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One agent per node: an exclusive flock on the pin root (the directory
 * itself: bpffs holds no regular files) and on <state dir>/agent.lock,
 * which also says the holder's pid. Both are taken before anything is
 * written, so a second agent (or an uninstall while one runs) changes
 * nothing. The kernel drops them when the holder exits, crash or not.
 */
#ifndef IM_AGENT_LOCK_H
#define IM_AGENT_LOCK_H

#include <stdbool.h>

#include "../dataplane/paths.h"

#define AGENT_LOCK_FILE "agent.lock"

struct node_lock {
	int pin_fd;		/* the pin root, locked */
	int state_fd;		/* the state dir */
	int lock_fd;		/* <state dir>/agent.lock, locked */
};

/*
 * Takes both locks on the dirs of <p>. With <create>, a missing pin root
 * or state dir is created 0700 (bpffs mounted first when needed), and
 * either is refused when it is not ours alone; without, a missing one is
 * simply not locked. Prints the reason to stderr with <who> as prefix.
 * Returns 0, -EWOULDBLOCK when another process holds a lock, or -errno.
 */
int node_lock(struct node_lock *l, const struct dp_paths *p, bool create,
	      const char *who);
/* Releases both (closing the fds). Safe after a failed node_lock(). */
void node_unlock(struct node_lock *l);

#endif
