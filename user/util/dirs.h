/* SPDX-License-Identifier: Apache-2.0 */
/* Directories the agent owns (pin root, state dir). */
#ifndef IM_UTIL_DIRS_H
#define IM_UTIL_DIRS_H

#include <sys/types.h>

/* Creates <path> and its missing parents with <mode> (an existing one is
 * fine, whatever its mode). Returns 0 or -errno. */
int mkdirs(const char *path, mode_t mode);

#endif
