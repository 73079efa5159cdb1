/* SPDX-License-Identifier: Apache-2.0 */
/* Inside user/proxy/splice*.c: one direction of the relay. */
#ifndef IM_PROXY_SPLICE_INT_H
#define IM_PROXY_SPLICE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "splice.h"

/* 64 KiB: four full TLS records per SSL_write, a default pipe's worth. */
#define RELAY_BUF (64 * 1024)

struct relay_dir {
	const struct relay_end *src, *dst;
	int pipe[2];		/* splice path; -1 when buffered */
	size_t in_pipe;		/* bytes in the pipe, not yet in dst */
	unsigned char *buf;	/* buffered path and kTLS control records */
	size_t off, len;	/* buf[off, len) still to be written */
	bool eof;		/* src ended; dst still to be shut */
	bool done;		/* dst shut: this direction is over */
	bool more;		/* stopped on its budget, not on EAGAIN */
	short want_src, want_dst; /* poll events it waits for */
	int idx;		/* index into the stats arrays */
	struct relay_stats *st;
};

/* The splice path's flush (buf, then the pipe) and fill (src -> pipe,
 * or buf for a kTLS record that is not data); same contracts as
 * buf_flush and buf_fill below. */
int pipe_flush(struct relay_dir *d);
int pipe_fill(struct relay_dir *d);

/* Writes buf[off, len) to dst: 0 when all written, -EAGAIN (want_dst
 * set), or -errno. */
int buf_flush(struct relay_dir *d);
/* Reads from src into buf: bytes, 0 at end of stream, -EAGAIN (want_src
 * set), or -errno. */
int buf_fill(struct relay_dir *d);
/* Ends dst's write side: close_notify where TLS, then TCP's FIN. 0,
 * -EAGAIN (want_dst set), or -errno. */
int dst_shut(struct relay_dir *d);

#endif
