/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The byte relay between an application's plain TCP socket and a TLS
 * connection, both directions, in the caller's thread:
 * - the TLS end in the kernel (kTLS): splice() through a pipe per
 *   direction, so no byte crosses into userspace. A splice into kTLS may
 *   take only part of the pipe (the rest stays for the next call); a
 *   splice out of kTLS fails with EINVAL when the next record is not data
 *   (a ticket, an alert, a KeyUpdate): that record is taken with recvmsg
 *   (ktls_recv) and its data, if any, written by hand. No SPLICE_F_MORE
 *   toward kTLS: it holds small messages back for tens of milliseconds.
 * - the TLS end in userspace OpenSSL: SSL_read/SSL_write with 64 KiB
 *   buffers (one SSL_write seals four full records).
 * End of stream travels on: a plain EOF becomes close_notify and a write
 * shutdown on the TLS side, a close_notify a write shutdown on the plain
 * side. The relay returns when both directions ended.
 */
#ifndef IM_PROXY_SPLICE_H
#define IM_PROXY_SPLICE_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

enum relay_kind {
	RELAY_PLAIN,	/* a plain socket */
	RELAY_KTLS,	/* a socket with kTLS TX and RX installed */
	RELAY_SSL,	/* an OpenSSL connection on a socket */
};

struct relay_end {
	enum relay_kind kind;
	int fd;		/* the socket (for RELAY_SSL: SSL's own fd) */
	SSL *ssl;	/* RELAY_SSL only */
};

/* What moved, per direction: [0] plain -> TLS, [1] TLS -> plain. */
struct relay_stats {
	uint64_t bytes[2];
	uint64_t splices[2];	/* successful splice() calls */
	uint64_t ctrl_reads;	/* records taken with recvmsg after EINVAL */
	uint64_t partial;	/* splices into the socket that left bytes */
};

/* Relays between <plain> (RELAY_PLAIN) and <tls> (any kind) until both
 * directions reached end of stream, an error, or nothing moved for
 * <idle_ms> (-ETIMEDOUT). Makes both sockets non-blocking. Closes nothing:
 * the caller owns the fds and the SSL. Returns 0 or -errno (-EKEYEXPIRED:
 * the peer sent a KeyUpdate the kernel cannot follow). */
int relay_run(const struct relay_end *plain, const struct relay_end *tls,
	      int idle_ms, struct relay_stats *st);

#endif
