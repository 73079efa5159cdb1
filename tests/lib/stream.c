// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"
#include "tls/ktls.h"

#define CHUNK (64 * 1024)

unsigned char st_byte(uint64_t i, unsigned seed)
{
	uint64_t x = (i + seed) * 0x9E3779B97F4A7C15ull;

	return (x >> 56) ^ (i >> 16);
}

static ssize_t end_read(const struct st_end *e, void *b, size_t n)
{
	size_t got;
	ssize_t r;
	int err;

	if (e->ssl) {
		if (SSL_read_ex(e->ssl, b, n, &got) == 1)
			return got;
		err = SSL_get_error(e->ssl, 0);
		ERR_clear_error();
		return err == SSL_ERROR_ZERO_RETURN ? 0 : -EPROTO;
	}
	if (e->ktls)
		return ktls_recv(e->fd, b, n, 0);
	r = read(e->fd, b, n);
	return r < 0 ? -errno : r;
}

static int end_write(const struct st_end *e, const unsigned char *b, size_t n)
{
	size_t put;
	ssize_t w;

	while (n) {
		if (e->ssl) {
			if (SSL_write_ex(e->ssl, b, n, &put) != 1) {
				ERR_clear_error();
				return -EPIPE;
			}
			w = put;
		} else {
			w = send(e->fd, b, n, MSG_NOSIGNAL);
			if (w < 0)
				return -errno;
		}
		b += w;
		n -= w;
	}
	return 0;
}

int st_end_write(const struct st_end *e)
{
	int r = 0;

	if (e->ssl)
		r = SSL_shutdown(e->ssl) < 0 ? -EPIPE : 0;
	else if (e->ktls)
		r = ktls_send_close_notify(e->fd);
	if (!r && shutdown(e->fd, SHUT_WR))
		r = -errno;
	return r;
}

static void *send_main(void *arg)
{
	struct st_job *j = arg;
	unsigned char *b = malloc(CHUNK);
	uint64_t off = 0;
	size_t n;
	int r = b ? 0 : -ENOMEM;

	while (!r && off < j->n) {
		n = j->n - off < CHUNK ? j->n - off : CHUNK;
		for (size_t i = 0; i < n; i++)
			b[i] = st_byte(off + i, j->seed);
		r = end_write(&j->e, b, n);
		off += r ? 0 : n;
	}
	r = r ?: st_end_write(&j->e);
	j->result = r ?: (int64_t)off;
	free(b);
	return NULL;
}

static void *echo_main(void *arg)
{
	struct st_job *j = arg;
	unsigned char *b = malloc(CHUNK);
	int64_t total = 0;
	ssize_t n = b ? 1 : -ENOMEM;
	int r = 0;

	while (n > 0 && !r) {
		n = end_read(&j->e, b, CHUNK);
		if (n > 0)
			r = end_write(&j->e, b, n);
		total += n > 0 && !r ? n : 0;
	}
	if (n < 0)
		r = n;
	r = r ?: st_end_write(&j->e);
	j->result = r ?: total;
	free(b);
	return NULL;
}

int st_start_send(struct st_job *j)
{
	return -pthread_create(&j->t, NULL, send_main, j);
}

int st_start_echo(struct st_job *j)
{
	return -pthread_create(&j->t, NULL, echo_main, j);
}

static void *expect_main(void *arg)
{
	struct st_job *j = arg;

	j->result = st_expect(&j->e, j->seed);
	return NULL;
}

int st_start_expect(struct st_job *j)
{
	return -pthread_create(&j->t, NULL, expect_main, j);
}

int64_t st_join(struct st_job *j)
{
	pthread_join(j->t, NULL);
	return j->result;
}

int64_t st_expect(const struct st_end *e, unsigned seed)
{
	unsigned char *b = malloc(CHUNK);
	int64_t off = 0;
	ssize_t n = b ? 1 : -ENOMEM;

	while (n > 0) {
		n = end_read(e, b, CHUNK);
		for (ssize_t i = 0; i < n; i++)
			if (b[i] != st_byte(off + i, seed)) {
				n = -EBADMSG;
				break;
			}
		off += n > 0 ? n : 0;
	}
	free(b);
	return n < 0 ? n : off;
}
