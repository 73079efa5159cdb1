/* SPDX-License-Identifier: Apache-2.0 */
/* Exclusive, non-blocking flock(2) locks that say who holds them. */
#ifndef IM_UTIL_LOCK_H
#define IM_UTIL_LOCK_H

#include <sys/types.h>

/*
 * Takes an exclusive flock on <fd> (any open file or directory) without
 * waiting. The kernel drops it when the last fd of that open file closes,
 * so a crashed holder never leaves a stale lock. Returns 0; -EWOULDBLOCK
 * when another open file holds it, with its holder's pid in <*holder> (as
 * /proc/locks tells it; 0 when it does not); or -errno.
 */
int lock_take(int fd, pid_t *holder);

/* In <dirfd>, opens (creating it 0600) and locks the file <name>, then
 * writes our pid into it for people. Returns the locked fd, or as
 * lock_take() (with nothing written). */
int lock_file(int dirfd, const char *name, pid_t *holder);

#endif
