// SPDX-License-Identifier: Apache-2.0
/*
 * Watching the config directory: inotify on it and every directory below
 * it, and a timer armed <debounce> after the last change, so an editor's
 * save (write, rename, chmod) or `kubectl cp` of many files becomes one
 * reload. Renames count: a Kubernetes ConfigMap volume swaps a symlink.
 */
#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "reload.h"
#include "watch.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
		    IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | \
		    IN_ATTRIB)

static void add_tree(int fd, const char *path, int depth)
{
	char sub[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (inotify_add_watch(fd, path, WATCH_MASK) < 0 || depth > 8)
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		add_tree(fd, sub, depth + 1);
	}
	closedir(d);
}

/* Re-adds watches (directories may have appeared). */
static int watch_refresh(struct agent *a)
{
	if (inotify_add_watch(a->inotify_fd, a->o.config_dir, WATCH_MASK) < 0)
		return -errno;
	add_tree(a->inotify_fd, a->o.config_dir, 0);
	return 0;
}

static int arm(struct agent *a)
{
	struct itimerspec t = {
		.it_value.tv_sec = a->o.debounce_ms / 1000,
		.it_value.tv_nsec = (a->o.debounce_ms % 1000) * 1000000L + 1,
	};

	return timerfd_settime(a->debounce_fd, 0, &t, NULL) ? -errno : 0;
}

/* Consumes inotify events; re-arms the timer when one matters. */
static void on_events(void *ctx, int fd)
{
	struct agent *a = ctx;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		any = true;	/* which file changed does not matter */
	if (any)
		arm(a);
}

static void on_timer(void *ctx, int fd)
{
	struct agent *a = ctx;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	watch_refresh(a);	/* new subdirectories */
	agent_log(a, "%s changed: reloading", a->o.config_dir);
	agent_reload(a);
}

int watch_init(struct agent *a)
{
	int err;

	a->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->inotify_fd < 0)
		return -errno;
	a->debounce_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
					TFD_CLOEXEC);
	if (a->debounce_fd < 0)
		return -errno;
	err = watch_refresh(a);
	err = err ?: loop_add(&a->loop, a->inotify_fd, on_events, a);
	return err ?: loop_add(&a->loop, a->debounce_fd, on_timer, a);
}

void watch_close(struct agent *a)
{
	if (a->inotify_fd >= 0) {
		loop_del(&a->loop, a->inotify_fd);
		close(a->inotify_fd);
	}
	if (a->debounce_fd >= 0) {
		loop_del(&a->loop, a->debounce_fd);
		close(a->debounce_fd);
	}
	a->inotify_fd = a->debounce_fd = -1;
}
