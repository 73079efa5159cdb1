/* SPDX-License-Identifier: Apache-2.0 */
/* Test streams over plain, kTLS and OpenSSL ends: a sender of a known
 * byte sequence (every byte a function of its offset, so a lost, doubled
 * or reordered record shows at its offset), a checker, and an echo. */
#ifndef IM_TEST_STREAM_H
#define IM_TEST_STREAM_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct st_end {
	int fd;
	SSL *ssl;	/* I/O through OpenSSL when set */
	bool ktls;	/* the fd has kTLS: reads through ktls_recv */
};

/* A sender or echo running in its own thread. */
struct st_job {
	struct st_end e;
	uint64_t n;		/* bytes to send */
	unsigned seed;
	int64_t result;		/* bytes sent/echoed, or -errno */
	pthread_t t;
};

/* Byte <i> of stream <seed>. */
unsigned char st_byte(uint64_t i, unsigned seed);

/* Starts sending j->n bytes of j->seed on j->e, then ending its write
 * side (close_notify where TLS). 0 or -errno. */
int st_start_send(struct st_job *j);
/* Starts echoing everything read on j->e back, until end of stream, then
 * ending the write side. */
int st_start_echo(struct st_job *j);
/* Starts st_expect(&j->e, j->seed) in a thread: result as st_expect. */
int st_start_expect(struct st_job *j);
/* Waits for the job: its result. */
int64_t st_join(struct st_job *j);

/* Reads until end of stream, checking each byte against stream <seed>.
 * Returns the count, -EBADMSG at the first wrong byte, or -errno. */
int64_t st_expect(const struct st_end *e, unsigned seed);

/* Ends the write side of <e>: close_notify where TLS, then FIN. */
int st_end_write(const struct st_end *e);

#endif
