/* SPDX-License-Identifier: Apache-2.0 */
/* Throwaway network namespaces: the probe attaches tc programs there, never
 * to a real interface of the host. */
#ifndef IM_KERNEL_NETNS_H
#define IM_KERNEL_NETNS_H

#include <stddef.h>

/* Work done inside the namespace: returns a result >= 0 (the caller's own
 * meaning) or -errno, and may explain itself in <why>. */
typedef int (*netns_fn)(void *arg, char *why, size_t n);

/*
 * Runs <fn>(<arg>) in a forked child that first enters a new network
 * namespace and brings its loopback up. The namespace and everything
 * attached inside it die with the child, even if <fn> crashes. Returns
 * <fn>'s result (and copies its <why>), or -errno if the child could not
 * run or died.
 */
int netns_run(netns_fn fn, void *arg, char *why, size_t n);

#endif
