/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's event loop: epoll over the fds the modules register, each
 * with its callback (signals, config watch, slot collection; later the
 * netlink link follower and the mTLS proxy). Single-threaded: callbacks
 * run one at a time and may add or remove sources, or stop the loop.
 */
#ifndef IM_AGENT_LOOP_H
#define IM_AGENT_LOOP_H

#include <stdbool.h>

#define LOOP_MAX_SRC 32

/* Called when <fd> is readable (or has an error or hang-up), or writable
 * after loop_want_write(). */
typedef void (*loop_fn)(void *ctx, int fd);

struct loop_src {
	int fd;			/* -1: a free entry */
	loop_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	bool stop;
	struct loop_src src[LOOP_MAX_SRC];
};

/* Returns 0 or -errno. */
int loop_init(struct loop *l);
/* Calls <fn>(<ctx>, <fd>) whenever <fd> is readable. The caller keeps
 * owning <fd> and removes it before closing it. Returns 0, -ENOSPC when
 * LOOP_MAX_SRC are registered, or -errno. */
int loop_add(struct loop *l, int fd, loop_fn fn, void *ctx);
void loop_del(struct loop *l, int fd);
/* Also calls <fd>'s callback when it is writable (<on>), or no longer.
 * For a reply that did not fit the socket buffer at once: the callback
 * writes on when it can, and nothing blocks. Returns 0 or -errno. */
int loop_want_write(struct loop *l, int fd, bool on);
/* loop_run() returns once the current callback is done. */
void loop_stop(struct loop *l);
/* Dispatches until loop_stop(). Returns 0, or -errno if epoll failed. */
int loop_run(struct loop *l);
/* Closes the epoll fd (not the registered ones). */
void loop_close(struct loop *l);

#endif
