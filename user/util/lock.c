// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lock.h"

/* The pid of the FLOCK in /proc/locks on the file <st>: lines read
 * "1: FLOCK  ADVISORY  WRITE 1234 00:2d:5678 0 EOF" (waiters have "->"
 * after the number and are skipped). */
static pid_t lock_holder(const struct stat *st)
{
	char line[256], kind[16], arrow[4];
	unsigned int maj, min;
	unsigned long ino;
	pid_t pid = 0;
	int p;
	FILE *f = fopen("/proc/locks", "re");

	while (f && !pid && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d: %3s", arrow) == 1 && !strcmp(arrow, "->"))
			continue;
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", kind, &p,
			   &maj, &min, &ino) == 5 && !strcmp(kind, "FLOCK") &&
		    ino == st->st_ino && maj == major(st->st_dev) &&
		    min == minor(st->st_dev))
			pid = p;
	}
	if (f)
		fclose(f);
	return pid;
}

int lock_take(int fd, pid_t *holder)
{
	struct stat st;

	*holder = 0;
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return 0;
	if (errno != EWOULDBLOCK)
		return -errno;
	if (!fstat(fd, &st))
		*holder = lock_holder(&st);
	return -EWOULDBLOCK;
}

int lock_file(int dirfd, const char *name, pid_t *holder)
{
	char pid[32];
	int fd, err, len;

	*holder = 0;
	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return -errno;
	err = lock_take(fd, holder);
	if (err) {
		close(fd);
		return err;
	}
	len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, len, 0) != len) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
