/* SPDX-License-Identifier: Apache-2.0 */
/* bpffs: where pinned BPF objects live. */
#ifndef IM_KERNEL_BPFFS_H
#define IM_KERNEL_BPFFS_H

#include <stdbool.h>

/* The conventional mount point, where the agent mounts one if missing. */
#define BPFFS_DIR "/sys/fs/bpf"

/* Whether <path> is on a bpf filesystem (its magic). */
bool bpffs_at(const char *path);

#endif
