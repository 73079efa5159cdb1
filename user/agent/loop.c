// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_BATCH 8

int loop_init(struct loop *l)
{
	int i;

	l->stop = false;
	for (i = 0; i < LOOP_MAX_SRC; i++)
		l->src[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

int loop_add(struct loop *l, int fd, loop_fn fn, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int i;

	for (i = 0; i < LOOP_MAX_SRC && l->src[i].fd >= 0; i++)
		;
	if (i == LOOP_MAX_SRC)
		return -ENOSPC;
	ev.data.ptr = &l->src[i];
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->src[i] = (struct loop_src){ .fd = fd, .fn = fn, .ctx = ctx };
	return 0;
}

void loop_del(struct loop *l, int fd)
{
	int i;

	for (i = 0; i < LOOP_MAX_SRC; i++) {
		if (l->src[i].fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		l->src[i].fd = -1;
	}
}

int loop_want_write(struct loop *l, int fd, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0) };
	int i;

	for (i = 0; i < LOOP_MAX_SRC && l->src[i].fd != fd; i++)
		;
	if (i == LOOP_MAX_SRC)
		return -ENOENT;
	ev.data.ptr = &l->src[i];
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

int loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_BATCH];
	int n, i;

	while (!l->stop) {
		n = epoll_wait(l->epfd, ev, LOOP_BATCH, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n && !l->stop; i++) {
			struct loop_src *s = ev[i].data.ptr;

			if (s->fd >= 0)	/* not removed by an earlier callback */
				s->fn(s->ctx, s->fd);
		}
	}
	return 0;
}

void loop_close(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}
