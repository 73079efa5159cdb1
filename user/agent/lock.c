// SPDX-License-Identifier: Apache-2.0
/* One agent per node (see lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../dataplane/pin.h"
#include "../util/dirs.h"
#include "../util/lock.h"
#include "lock.h"

static int say(const char *who, const char *what, const char *path,
	       const char *why, int err)
{
	fprintf(stderr, "%s: %s %s: %s\n", who, what, path, why);
	return err;
}

static int busy(const char *who, const char *what, const char *path,
		pid_t holder)
{
	char why[160];

	if (holder)
		snprintf(why, sizeof(why), "locked by another infermesh agent "
			 "(pid %d): one agent per node; stop it first",
			 (int)holder);
	else
		snprintf(why, sizeof(why), "locked by another infermesh agent "
			 "(pid unknown): one agent per node; stop it first");
	return say(who, what, path, why, -EWOULDBLOCK);
}

/* Opens <path> as it is, or -ENOENT. */
static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * One of the two locks: the directory <path> (<what> in messages) opened
 * by <make> with <create> (made private if need be), else as it is (a
 * missing one is then not locked); then the directory itself locked or,
 * with <file>, that file in it, into *<lock_fd>.
 */
static int lock_dir(const char *who, const char *what, const char *path,
		    bool create, int (*make)(const char *, char *, size_t),
		    const char *file, int *dir_fd, int *lock_fd)
{
	char why[256] = "";
	pid_t holder;
	int err;

	*dir_fd = create ? make(path, why, sizeof(why)) : open_dir(path);
	if (*dir_fd == -ENOENT && !create)
		return 0;
	if (*dir_fd < 0)
		return say(who, what, path, why[0] ? why : strerror(-*dir_fd),
			   *dir_fd);
	if (file) {
		*lock_fd = lock_file(*dir_fd, file, &holder);
		err = *lock_fd < 0 ? *lock_fd : 0;
	} else {
		err = lock_take(*dir_fd, &holder);
	}
	if (err == -EWOULDBLOCK)
		return busy(who, what, path, holder);
	return err ? say(who, what, path, strerror(-err), err) : 0;
}

int node_lock(struct node_lock *l, const struct dp_paths *p, bool create,
	      const char *who)
{
	int err;

	l->pin_fd = l->state_fd = l->lock_fd = -1;
	err = lock_dir(who, "state dir", p->state_dir, create, dir_open_private,
		       AGENT_LOCK_FILE, &l->state_fd, &l->lock_fd);
	err = err ?: lock_dir(who, "pin root", p->pin_root, create,
			      dp_pin_root_open, NULL, &l->pin_fd, NULL);
	if (err)
		node_unlock(l);
	return err;
}

void node_unlock(struct node_lock *l)
{
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	if (l->state_fd >= 0)
		close(l->state_fd);
	if (l->pin_fd >= 0)
		close(l->pin_fd);
	l->pin_fd = l->state_fd = l->lock_fd = -1;
}
