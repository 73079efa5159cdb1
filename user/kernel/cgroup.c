// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int is_cgroup2(const char *dir)
{
	struct statfs st;

	return !statfs(dir, &st) && st.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup2_root(char *buf, size_t n)
{
	struct mntent *m;
	FILE *f;
	int err = -ENOENT;

	if (is_cgroup2("/sys/fs/cgroup")) {
		snprintf(buf, n, "/sys/fs/cgroup");
		return 0;
	}
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -ENOENT;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2") && is_cgroup2(m->mnt_dir)) {
			snprintf(buf, n, "%s", m->mnt_dir);
			err = 0;
			break;
		}
	}
	endmntent(f);
	return err;
}

int cgroup2_level(const char *path)
{
	char mnt[PATH_MAX], real_mnt[PATH_MAX], real[PATH_MAX];
	const char *p;
	size_t len;
	int n = 0;

	if (cgroup2_root(mnt, sizeof(mnt)) || !realpath(mnt, real_mnt) ||
	    !realpath(path, real) || !is_cgroup2(real))
		return -ENOENT;
	len = strlen(real_mnt);
	if (strncmp(real, real_mnt, len) || (real[len] && real[len] != '/'))
		return -ENOENT;
	for (p = real + len; *p; p++)
		n += *p == '/';	/* realpath: no "//", no trailing '/' */
	return n;
}

int cgroup_tmp_create(struct cgroup_tmp *cg, const char *root,
		      const char *prefix)
{
	static unsigned seq;
	int err;

	cg->fd = -1;
	snprintf(cg->path, sizeof(cg->path), "%s/%s-%d-%u", root, prefix,
		 (int)getpid(), seq++);
	if (mkdir(cg->path, 0755)) {
		err = -errno;
		cg->path[0] = '\0';
		return err;
	}
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		err = -errno;
		rmdir(cg->path);
		cg->path[0] = '\0';
		return err;
	}
	return 0;
}

int cgroup_tmp_enter(const struct cgroup_tmp *cg, pid_t pid)
{
	char procs[sizeof(cg->path) + 16];
	int fd, n, err = 0;
	char num[24];

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(num, sizeof(num), "%d", pid ? (int)pid : (int)getpid());
	if (write(fd, num, n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* A cgroup's id is its directory's inode number on cgroup2fs. */
unsigned long long cgroup_id_by_path(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode) ? st.st_ino : 0;
}

unsigned long long cgroup_id_by_fd(int fd)
{
	struct stat st;

	return fd >= 0 && !fstat(fd, &st) && S_ISDIR(st.st_mode) ? st.st_ino
								  : 0;
}

unsigned long long cgroup_tmp_id(const struct cgroup_tmp *cg)
{
	return cgroup_id_by_fd(cg->fd);
}

int cgroup_tmp_remove(struct cgroup_tmp *cg)
{
	struct timespec ms = { 0, 1000000 };
	int tries, err = 0;

	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
	if (!cg->path[0])
		return 0;
	for (tries = 0; tries < 500; tries++) {
		err = rmdir(cg->path) ? -errno : 0;
		if (err != -EBUSY)
			break;
		nanosleep(&ms, NULL);
	}
	cg->path[0] = '\0';
	return err;
}
