// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirs.h"

int mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, mode) && errno != EEXIST ? -errno : 0;
}

/* Closes <fd> (if open), writes the reason, returns <err>. */
static int refuse(int fd, int err, char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int refuse(int fd, int err, char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	if (fd >= 0)
		close(fd);
	return err;
}

int dir_open_private(const char *path, char *why, size_t n)
{
	struct stat st;
	int fd, err = mkdirs(path, 0700);

	if (err)
		return refuse(-1, err, why, n, "cannot create it: %s",
			      strerror(-err));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return refuse(fd, -errno, why, n, "cannot open it: %s",
			      strerror(errno));
	if (st.st_uid != geteuid())
		return refuse(fd, -EPERM, why, n, "it is owned by uid %u, not "
			      "by us (uid %u): remove it or chown it",
			      (unsigned int)st.st_uid, (unsigned int)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return refuse(fd, -EPERM, why, n, "it is group- or world-"
			      "writable (mode %04o): chmod 0700 it",
			      (unsigned int)(st.st_mode & 07777));
	return fd;
}
