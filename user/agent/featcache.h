/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel features the agent found present, kept in its state dir
 * (<state-dir>/kernel-features) so that a restart does not probe them
 * again: probing loads and attaches a throwaway program per feature,
 * hundreds of milliseconds in all, while the mesh's captured calls wait
 * for the agent. What a kernel has cannot change while it runs, so the
 * file counts only for the kernel release and the boot (boot_id) that
 * wrote it; anything else, a feature it does not list, a damaged or
 * foreign file: probed as on a first start. Only "present" is kept:
 * absence is always probed again (a module may have been loaded since).
 */
#ifndef IM_AGENT_FEATCACHE_H
#define IM_AGENT_FEATCACHE_H

#include <stdint.h>

#define FEATCACHE_FILE "kernel-features"

/* The features (FEAT_BIT mask) that <state_dir>'s file says this kernel,
 * this boot, has; 0 when there is no usable file. */
uint32_t featcache_load(const char *state_dir);
/* Writes <present> for this kernel and boot (a whole file, by rename).
 * Returns 0 or -errno. */
int featcache_store(const char *state_dir, uint32_t present);

#endif
