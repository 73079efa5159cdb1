// SPDX-License-Identifier: Apache-2.0
/* Local workloads' cgroups getting a first process (see podwatch.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "podwatch.h"

int podwatch_open(struct podwatch *w)
{
	*w = (struct podwatch){ .fd = -1 };
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	return w->fd < 0 ? -errno : 0;
}

static void unwatch_all(struct podwatch *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		inotify_rm_watch(w->fd, w->wd[i]);
	free(w->wd);
	w->wd = NULL;
	w->n = 0;
}

int podwatch_set(struct podwatch *w, const struct agent_peers *p)
{
	char path[PATH_MAX];
	size_t i;
	int wd, missing = 0;

	unwatch_all(w);
	w->wd = calloc(p->n ? p->n : 1, sizeof(*w->wd));
	if (!w->wd)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		if (!p->v[i].local || !p->v[i].cgroup[0])
			continue;
		if (snprintf(path, sizeof(path), "%s/cgroup.events",
			     p->v[i].cgroup) >= (int)sizeof(path)) {
			missing++;
			continue;
		}
		/* the kernel's notification of a cgroup file is IN_MODIFY */
		wd = inotify_add_watch(w->fd, path, IN_MODIFY);
		if (wd < 0)
			missing++;
		else
			w->wd[w->n++] = wd;
	}
	return missing;
}

bool podwatch_drain(struct podwatch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;

	while (read(w->fd, buf, sizeof(buf)) > 0)
		any = true;	/* which pod does not matter: all are synced */
	return any;
}

void podwatch_close(struct podwatch *w)
{
	if (w->fd < 0)
		return;
	unwatch_all(w);
	close(w->fd);
	w->fd = -1;
}
