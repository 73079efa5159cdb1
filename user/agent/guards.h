/* SPDX-License-Identifier: Apache-2.0 */
/* The packet guards on the node's interfaces, through the guard follower
 * (user/dataplane/links.h): its rule from the agent's flags, its fd in the
 * event loop, the local workloads from each model. */
#ifndef IM_AGENT_GUARDS_H
#define IM_AGENT_GUARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "context.h"

/* Follows the links and attaches what the listed names and patterns ask;
 * a listed interface that does not exist yet is waited for. Returns 0 or
 * -errno (netlink unusable). */
int guards_start(struct agent *a);
/* The addresses (network order) of the workloads the config places on
 * this node, for the route rule: with <all>, the whole set (attaches and
 * detaches at once); without, only more of them (nothing detached). */
void guards_workloads(struct agent *a, const uint32_t *ips, size_t n,
		      bool all);
/* Removes every guard it attached: for a start that failed half way on
 * a node nothing guarded before (a stopping agent leaves them). */
void guards_detach(struct agent *a);
/* Closes the follower; what is attached stays. */
void guards_close(struct agent *a);

#endif
