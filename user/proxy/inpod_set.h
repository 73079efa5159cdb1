/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-pod listeners of every local workload, following pods as they
 * come and go: the agent hands over the workloads it places on the node
 * (address and cgroup) after each reload or netlink event, and the set
 * opens listeners for new pods, closes those of pods that went, and
 * reopens them for a pod whose namespace changed (restarted with the same
 * address). A pod without a process yet is left for the next sync.
 *
 * Not thread safe: one caller owns a set.
 */
#ifndef IM_PROXY_INPOD_SET_H
#define IM_PROXY_INPOD_SET_H

#include <stddef.h>
#include <stdint.h>

#include "inpod.h"

struct inpod_pod {
	uint32_t ip;		/* network order */
	const char *cgroup;	/* the workload's cgroup v2 directory */
};

struct inpod_set;

int inpod_set_new(struct inpod_set **out);
/* Makes the listeners match <pods>. Returns how many pods have listeners
 * now, or -errno (-ENOMEM: the set is as before). */
int inpod_set_sync(struct inpod_set *s, const struct inpod_pod *pods,
		   size_t n);
/* The listeners of the workload at <ip>, or NULL. */
const struct inpod_listeners *inpod_set_find(const struct inpod_set *s,
					     uint32_t ip);
/* Closes every listener. NULL is fine. */
void inpod_set_free(struct inpod_set *s);

#endif
