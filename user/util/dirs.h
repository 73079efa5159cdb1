/* SPDX-License-Identifier: Apache-2.0 */
/* Directories the agent owns (pin root, state dir). */
#ifndef IM_UTIL_DIRS_H
#define IM_UTIL_DIRS_H

#include <stddef.h>
#include <sys/types.h>

/* Creates <path> and its missing parents with <mode> (an existing one is
 * fine, whatever its mode). Returns 0 or -errno. */
int mkdirs(const char *path, mode_t mode);

/*
 * Opens the directory <path>, creating it (and missing parents) 0700
 * first, and checks that it is ours alone: owned by this user and neither
 * group- nor world-writable, else anyone who can write there could plant
 * maps, links or last good versions. Checked on the open fd, so a rename
 * in between changes nothing. Returns the O_DIRECTORY fd, or -errno with
 * the reason in <why> (-EPERM for a directory that is not ours alone).
 */
int dir_open_private(const char *path, char *why, size_t n);

#endif
