// SPDX-License-Identifier: Apache-2.0
/* The splice path: socket -> pipe -> socket, for plain and kTLS ends. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "splice_int.h"

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
int pipe_fill(struct relay_dir *d)
{
	ssize_t n;

	n = splice(d->src->fd, NULL, d->pipe[1], NULL, RELAY_BUF,
		   SPLICE_F_NONBLOCK);
	if (n > 0) {
		d->in_pipe = n;
		d->st->splices[d->idx]++;
		return (int)n;	/* at most RELAY_BUF */
	}
	if (n < 0 && errno == EINVAL && d->src->kind == RELAY_KTLS) {
		d->st->ctrl_reads++;
		return buf_fill(d);
	}
	if (n < 0 && errno == EAGAIN)
		d->want_src = POLLIN;
	return n < 0 ? -errno : 0;
}

int pipe_flush(struct relay_dir *d)
{
	int r = buf_flush(d);

	return r ?: drain(d);
}
