// SPDX-License-Identifier: Apache-2.0
/* Namespaces are told apart by their nsfs inode; a process that exits
 * while we look is simply not there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/grow.h"
#include "netns_each.h"

struct walk {
	int (*fn)(int nsfd, void *arg);
	void *arg;
	ino_t *seen;
	size_t n, cap;
};

static int seen_before(struct walk *w, ino_t ino)
{
	size_t i;
	ino_t *slot;

	for (i = 0; i < w->n; i++)
		if (w->seen[i] == ino)
			return 1;
	slot = GROW_PUSH(w->seen, w->n, w->cap);
	if (!slot)
		return -ENOMEM;
	*slot = ino;
	return 0;
}

static int visit(struct walk *w, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;
	struct stat st;

	if (fd < 0)
		return 0;	/* gone, or not a namespace */
	r = fstat(fd, &st) ? 0 : seen_before(w, st.st_ino);
	if (!r)
		r = w->fn(fd, w->arg);
	close(fd);
	return r > 0 ? 0 : r;	/* 1: seen before */
}

/* <dir>/<entry><suffix> for each entry (numeric ones only if <pids>). */
static int visit_dir(struct walk *w, const char *dir, const char *suffix,
		     int pids)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return errno == ENOENT && !pids ? 0 : -errno;
	while (!r && (e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    (pids && strspn(e->d_name, "0123456789") !=
				     strlen(e->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, e->d_name, suffix);
		r = visit(w, path);
	}
	closedir(d);
	return r;
}

int netns_each(int (*fn)(int nsfd, void *arg), void *arg)
{
	struct walk w = { .fn = fn, .arg = arg };
	int r = visit_dir(&w, "/proc", "/ns/net", 1);

	r = r ?: visit_dir(&w, "/run/netns", "", 0);
	free(w.seen);
	return r;
}
