/* SPDX-License-Identifier: Apache-2.0 */
/* cgroup v2: where the unified hierarchy is mounted, and throwaway child
 * cgroups for attaching programs to (the probe, the tests). */
#ifndef IM_KERNEL_CGROUP_H
#define IM_KERNEL_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

struct cgroup_tmp {
	char path[256];		/* directory of the child cgroup */
	int fd;			/* open O_DIRECTORY on it, or -1 */
};

/*
 * Finds the cgroup2 mount: /sys/fs/cgroup when that is cgroup2 itself,
 * else the first cgroup2 entry of /proc/self/mounts (hybrid hosts mount it
 * at /sys/fs/cgroup/unified). Writes it to <buf>. Returns 0 or -ENOENT.
 */
int cgroup2_root(char *buf, size_t n);

/*
 * Level of cgroup directory <path> in the cgroup v2 hierarchy: 0 for the
 * mount itself, 1 for a child of it, ... (what
 * bpf_get_current_ancestor_cgroup_id() counts). Returns it, or -ENOENT
 * when <path> is not a directory of the cgroup2 mount.
 */
int cgroup2_level(const char *path);

/* The cgroup id of the cgroup v2 directory <path> (or of the open
 * directory <fd>): its inode number, what bpf_get_current_cgroup_id()
 * returns for tasks inside it. 0 when it is not a directory or on error. */
unsigned long long cgroup_id_by_path(const char *path);
unsigned long long cgroup_id_by_fd(int fd);

/* Creates <root>/<prefix>-<pid>-<seq> and opens it. Returns 0 or -errno;
 * on error nothing is left behind and <cg>->fd is -1. */
int cgroup_tmp_create(struct cgroup_tmp *cg, const char *root,
		      const char *prefix);
/* Moves process <pid> (0 = the caller) into <cg>. Returns 0 or -errno. */
int cgroup_tmp_enter(const struct cgroup_tmp *cg, pid_t pid);
/* The cgroup id (inode number) of <cg>: what bpf_get_current_cgroup_id()
 * returns for tasks inside it. 0 on error. */
unsigned long long cgroup_tmp_id(const struct cgroup_tmp *cg);
/* Closes and removes <cg>; waits briefly for exited members to leave
 * (rmdir is EBUSY until they are reaped). Safe on a failed create and
 * twice in a row. Returns 0 or -errno. */
int cgroup_tmp_remove(struct cgroup_tmp *cg);

#endif
