// SPDX-License-Identifier: Apache-2.0
/* The relay's loop: both directions stepped, then one poll on both fds. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "splice_int.h"

/* Steps without progress in a row before the relay gives up: a socket
 * that keeps polling ready while nothing moves would spin the core. */
#define MAX_IDLE_WAKEUPS 1000

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	return 0;
}

static int dir_init(struct relay_dir *d, const struct relay_end *src,
		    const struct relay_end *dst, int idx,
		    struct relay_stats *st)
{
	*d = (struct relay_dir){ .src = src, .dst = dst, .idx = idx,
				 .st = st, .pipe = { -1, -1 } };
	d->buf = malloc(RELAY_BUF);
	if (!d->buf)
		return -ENOMEM;
	if (src->kind == RELAY_SSL || dst->kind == RELAY_SSL)
		return 0;
	if (pipe2(d->pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	return 0;
}

static void dir_free(struct relay_dir *d)
{
	free(d->buf);
	if (d->pipe[0] >= 0)
		close(d->pipe[0]);
	if (d->pipe[1] >= 0)
		close(d->pipe[1]);
}

/* Budget of reads per step, so one busy direction cannot starve the
 * other. */
#define STEP_READS 16

/* Moves what it can without blocking: flush what is pending, pass the
 * end of stream on, refill; the splice and buffer paths differ only in
 * how they flush and fill. 0 (progress or waiting: see want_*, more,
 * done) or -errno. */
static int dir_step(struct relay_dir *d)
{
	bool piped = d->pipe[0] >= 0;
	int r;

	d->want_src = d->want_dst = 0;
	d->more = false;
	if (d->done)
		return 0;
	for (int i = 0; i < STEP_READS; i++) {
		r = piped ? pipe_flush(d) : buf_flush(d);
		if (r)
			return r == -EAGAIN ? 0 : r;
		if (d->eof) {
			r = dst_shut(d);
			return r == -EAGAIN ? 0 : r;
		}
		r = piped ? pipe_fill(d) : buf_fill(d);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
		d->eof = r == 0;
	}
	d->more = true;
	return 0;
}

static uint64_t moved(const struct relay_stats *st)
{
	return st->bytes[0] + st->bytes[1] + st->ctrl_reads;
}

/* One poll on both sockets for what the two directions wait for. */
static int wait_both(struct relay_dir d[2], int idle_ms)
{
	short ev0 = d[0].want_src | d[1].want_dst;
	short ev1 = d[1].want_src | d[0].want_dst;
	/* an fd nobody waits on stays out: its HUP would only wake us */
	struct pollfd p[2] = {
		{ .fd = ev0 ? d[0].src->fd : -1, .events = ev0 },
		{ .fd = ev1 ? d[1].src->fd : -1, .events = ev1 },
	};
	int n;

	if (d[0].more || d[1].more)
		return 0;
	n = poll(p, 2, idle_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int loop(struct relay_dir d[2], int idle_ms)
{
	uint64_t before;
	int idle = 0, r;

	while (!(d[0].done && d[1].done)) {
		before = moved(d[0].st);
		r = dir_step(&d[0]);
		r = r ?: dir_step(&d[1]);
		if (r)
			return r;
		idle = moved(d[0].st) == before ? idle + 1 : 0;
		if (idle > MAX_IDLE_WAKEUPS)
			return -EIO;
		if (d[0].done && d[1].done)
			break;
		r = wait_both(d, idle_ms);
		if (r)
			return r;
	}
	return 0;
}

int relay_run(const struct relay_end *plain, const struct relay_end *tls,
	      int idle_ms, struct relay_stats *st)
{
	struct relay_dir d[2] = { { .pipe = { -1, -1 } },
				  { .pipe = { -1, -1 } } };
	int r;

	memset(st, 0, sizeof(*st));
	if (plain->kind != RELAY_PLAIN || (tls->kind == RELAY_SSL && !tls->ssl))
		return -EINVAL;
	r = set_nonblock(plain->fd) ?: set_nonblock(tls->fd);
	if (r)
		return r;
	if (tls->kind == RELAY_SSL)
		/* a partial write returns, and its retry may come from a
		 * moved buffer position */
		SSL_set_mode(tls->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
					       SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	r = dir_init(&d[0], plain, tls, 0, st);
	r = r ?: dir_init(&d[1], tls, plain, 1, st);
	r = r ?: loop(d, idle_ms);
	dir_free(&d[0]);
	dir_free(&d[1]);
	return r;
}
