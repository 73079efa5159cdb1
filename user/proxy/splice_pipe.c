// SPDX-License-Identifier: Apache-2.0
/* The splice path: socket -> pipe -> socket, for plain and kTLS ends. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "splice_int.h"

#define STEP_SPLICES 16

/* Pipe -> dst. Keeps whatever the socket did not take. */
static int drain(struct relay_dir *d)
{
	ssize_t n;

	while (d->in_pipe) {
		/* no SPLICE_F_MORE: toward kTLS it delays small messages */
		n = splice(d->pipe[0], NULL, d->dst->fd, NULL, d->in_pipe,
			   SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EAGAIN)
			d->want_dst = POLLOUT;
		if (n < 0)
			return -errno;
		if ((size_t)n < d->in_pipe)
			d->st->partial++;
		d->in_pipe -= n;
		d->st->bytes[d->idx] += n;
	}
	return 0;
}

/* src -> pipe: bytes, 0 at end of stream, or -errno. A kTLS socket
 * whose next record is not data says EINVAL: that record is taken with
 * recvmsg into buf (data in it, if any, goes out through buf). */
static ssize_t fill(struct relay_dir *d)
{
	ssize_t n;

	n = splice(d->src->fd, NULL, d->pipe[1], NULL, RELAY_BUF,
		   SPLICE_F_NONBLOCK);
	if (n > 0) {
		d->in_pipe = n;
		d->st->splices[d->idx]++;
		return n;
	}
	if (n < 0 && errno == EINVAL && d->src->kind == RELAY_KTLS) {
		d->st->ctrl_reads++;
		return buf_fill(d);
	}
	if (n < 0 && errno == EAGAIN)
		d->want_src = POLLIN;
	return n < 0 ? -errno : 0;
}

int pipe_step(struct relay_dir *d)
{
	ssize_t r;

	for (int i = 0; i < STEP_SPLICES; i++) {
		r = buf_flush(d);
		r = r ?: drain(d);
		if (r)
			return r == -EAGAIN ? 0 : r;
		if (d->eof) {
			r = dst_shut(d);
			return r == -EAGAIN ? 0 : r;
		}
		r = fill(d);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
		d->eof = r == 0;
	}
	d->more = true;
	return 0;
}
