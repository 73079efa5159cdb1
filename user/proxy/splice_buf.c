// SPDX-License-Identifier: Apache-2.0
/* The buffered path: reads into a userspace buffer and writes it out.
 * Used when an end is userspace OpenSSL, and for the records a kTLS
 * socket cannot splice. */
#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tls/ktls.h"
#include "splice_int.h"

/* An OpenSSL call that did not complete: the events it waits for, or the
 * error. <ret> is what the SSL_*_ex call returned. */
static int ssl_wait(SSL *ssl, int ret, short *want)
{
	int e = SSL_get_error(ssl, ret);

	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ) {
		*want = POLLIN;
		return -EAGAIN;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		*want = POLLOUT;
		return -EAGAIN;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e == SSL_ERROR_SYSCALL && errno)
		return -errno;
	/* a bad record, an unexpected EOF without close_notify */
	return -ECONNRESET;
}

int buf_fill(struct relay_dir *d)
{
	const struct relay_end *s = d->src;
	ssize_t n;
	size_t got;
	int r;

	d->off = d->len = 0;
	switch (s->kind) {
	case RELAY_SSL:
		r = SSL_read_ex(s->ssl, d->buf, RELAY_BUF, &got);
		if (r == 1)
			return d->len = got;
		return ssl_wait(s->ssl, r, &d->want_src);
	case RELAY_KTLS:
		n = ktls_recv(s->fd, d->buf, RELAY_BUF, MSG_DONTWAIT);
		break;
	default:
		n = read(s->fd, d->buf, RELAY_BUF);
		n = n < 0 ? -errno : n;
	}
	if (n == -EAGAIN)
		d->want_src = POLLIN;
	if (n > 0)
		d->len = n;
	return n;
}

int buf_flush(struct relay_dir *d)
{
	const struct relay_end *t = d->dst;
	size_t put;
	ssize_t n;
	int r;

	while (d->off < d->len) {
		if (t->kind == RELAY_SSL) {
			r = SSL_write_ex(t->ssl, d->buf + d->off,
					 d->len - d->off, &put);
			if (r != 1)
				return ssl_wait(t->ssl, r, &d->want_dst) ?:
					       -EPIPE;
			n = put;
		} else {
			n = send(t->fd, d->buf + d->off, d->len - d->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN)
				d->want_dst = POLLOUT;
			if (n < 0)
				return -errno;
		}
		d->off += n;
		d->st->bytes[d->idx] += n;
	}
	return 0;
}

int dst_shut(struct relay_dir *d)
{
	const struct relay_end *t = d->dst;
	int r;

	if (t->kind == RELAY_SSL) {
		r = SSL_shutdown(t->ssl);
		if (r < 0)
			return ssl_wait(t->ssl, r, &d->want_dst) ?: -EPIPE;
	} else if (t->kind == RELAY_KTLS) {
		r = ktls_send_close_notify(t->fd);
		if (r == -EAGAIN)
			d->want_dst = POLLOUT;
		if (r)
			return r;
	}
	/* ENOTCONN: the peer is gone already, nothing left to end */
	if (shutdown(t->fd, SHUT_WR) && errno != ENOTCONN)
		return -errno;
	d->done = true;
	return 0;
}
