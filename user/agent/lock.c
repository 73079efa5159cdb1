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

static int lock_pins(struct node_lock *l, const struct dp_paths *p,
		     bool create, const char *who)
{
	char why[256] = "";
	pid_t holder;
	int err;

	l->pin_fd = create ? dp_pin_root_open(p->pin_root, why, sizeof(why))
			   : open_dir(p->pin_root);
	if (l->pin_fd == -ENOENT && !create)
		return 0;
	if (l->pin_fd < 0)
		return say(who, "pin root", p->pin_root, why[0] ? why :
			   strerror(-l->pin_fd), l->pin_fd);
	err = lock_take(l->pin_fd, &holder);
	if (err == -EWOULDBLOCK)
		return busy(who, "pin root", p->pin_root, holder);
	return err ? say(who, "pin root", p->pin_root, strerror(-err), err)
		   : 0;
}

static int lock_state(struct node_lock *l, const struct dp_paths *p,
		      bool create, const char *who)
{
	char why[256] = "";
	pid_t holder;

	l->state_fd = create ? dir_open_private(p->state_dir, why, sizeof(why))
			     : open_dir(p->state_dir);
	if (l->state_fd == -ENOENT && !create)
		return 0;
	if (l->state_fd < 0)
		return say(who, "state dir", p->state_dir, why[0] ? why :
			   strerror(-l->state_fd), l->state_fd);
	l->lock_fd = lock_file(l->state_fd, AGENT_LOCK_FILE, &holder);
	if (l->lock_fd == -EWOULDBLOCK)
		return busy(who, "state dir", p->state_dir, holder);
	return l->lock_fd < 0 ? say(who, "state dir", p->state_dir,
				    strerror(-l->lock_fd), l->lock_fd)
			      : 0;
}

int node_lock(struct node_lock *l, const struct dp_paths *p, bool create,
	      const char *who)
{
	int err;

	l->pin_fd = l->state_fd = l->lock_fd = -1;
	err = lock_state(l, p, create, who);
	err = err ?: lock_pins(l, p, create, who);
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
