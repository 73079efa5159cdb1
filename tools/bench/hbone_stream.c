// SPDX-License-Identifier: Apache-2.0
/*
 * hbone_stream: bulk throughput of one stream over one loopback tunnel,
 * for `make bench` (tools/bench.sh).
 *
 * usage: hbone_stream [MiB per run, default 256] [runs, default 5]
 *
 * A sender (this thread) and a receiver thread over loopback TCP move MiB
 * one way, three ways:
 *   plain   write()/read() on the TCP socket: the floor
 *   tls     SSL_write/SSL_read on user/tls's connection (mTLS 1.3, AES-GCM)
 *   hbone   one HBONE CONNECT stream (hbone_conn: HTTP/2 over that TLS)
 * Reported per variant, the median run of <runs>: MiB/s of wall time, and
 * each side's own CPU (CLOCK_THREAD_CPUTIME_ID) per MiB, so the CPU cost
 * of TLS and of HTTP/2 framing can be told apart; and the crypto floor:
 * AES-256-GCM sealing of a MiB in 16 KiB records, alone. Where the kernel has kTLS
 * the hbone connection goes there (hbone_conn_crypto: printed as a row).
 * Prints "name metric value" lines for tools/bench-report.py; exits 1 if
 * any run moved fewer bytes than it should (a benchmark of failures is
 * void).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proxy/hbone.h"
#include "tls/conn.h"
#include "tls/svid.h"
#include "tls/x509_make.h"

#include "bench_pki.h"

#define CHUNK (256u << 10)
#define RUNS_MAX 15
#define LOOP_MS 60000	/* one run's bound */

enum variant { V_PLAIN, V_TLS, V_HBONE, V__N };
static const char *const names[V__N] = { "plain", "tls", "hbone" };

struct run {
	enum variant v;
	uint64_t bytes;
	int lfd;
	struct sockaddr_in addr;
	struct tls_ctx *srv, *cli;
	struct spiffe_id srv_id;
	/* receiver */
	uint64_t got;
	bool eof;
	double rx_cpu_us;
	/* sender */
	uint64_t sent;
	int status;
	bool shut, closed;
	double tx_cpu_us, wall_us;
	const char *crypto_why;
};

static uint8_t chunk[CHUNK];

static double thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static double mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---- HBONE: one event loop per side ---- */

static void srv_request(void *owner, struct hbone_stream *s,
			const struct authority *a, const char *peer_id)
{
	hbone_stream_set_ctx(s, owner);
	hbone_stream_respond(s, 200);
}

static void srv_readable(void *ctx, struct hbone_stream *s)
{
	struct run *r = ctx;
	ssize_t n;

	for (int i = 0; i < 64; i++) {
		n = hbone_stream_read(s, chunk, sizeof(chunk));
		if (n <= 0) {
			r->eof |= n == 0;
			return;
		}
		r->got += (uint64_t)n;
	}
}

static void srv_closed(void *ctx, struct hbone_stream *s, uint32_t err)
{
	struct run *r = ctx;

	if (r) {
		srv_readable(ctx, s);
		r->eof = true;
	}
	hbone_stream_release(s);
}

static const struct hbone_ops srv_ops = {
	.request = srv_request,
	.readable = srv_readable,
	.closed = srv_closed,
};

static void cli_response(void *ctx, struct hbone_stream *s, int status)
{
	((struct run *)ctx)->status = status;
}

static void cli_closed(void *ctx, struct hbone_stream *s, uint32_t err)
{
	((struct run *)ctx)->closed = true;
	hbone_stream_release(s);
}

static const struct hbone_ops cli_ops = {
	.response = cli_response,
	.closed = cli_closed,
};

/* Polls and dispatches one connection until <stop> or the bound. */
static void loop(struct hbone_conn *c, bool (*stop)(struct run *),
		 struct run *r, void (*step)(struct run *, struct hbone_stream *),
		 struct hbone_stream *s)
{
	uint64_t end = mono_ms() + LOOP_MS, now;
	struct pollfd p = { .fd = hbone_conn_fd(c) };

	while (!stop(r) && !hbone_conn_done(c) && (now = mono_ms()) < end) {
		if (step)
			step(r, s);
		p.events = POLLIN | (hbone_conn_wants_write(c) ? POLLOUT : 0);
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		now = mono_ms();
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			hbone_conn_on_readable(c, now);
		if ((p.revents & POLLOUT) && !hbone_conn_done(c))
			hbone_conn_on_writable(c, now);
		hbone_conn_tick(c, now);
	}
}

static bool rx_done(struct run *r)
{
	return r->eof;
}

static void hbone_receive(struct run *r, int fd)
{
	struct hbone_counters cnt = { 0 };
	struct hbone_conf cf = { .ops = &srv_ops, .owner = r, .counters = &cnt };
	struct tls_conn *t;
	struct hbone_conn *c;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	t = tls_conn_server(r->srv, fd);
	c = t ? hbone_conn_new_tls(fd, t, &cf, mono_ms()) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	loop(c, rx_done, r, NULL, NULL);
	hbone_conn_free(c);
}

static bool tx_done(struct run *r)
{
	return r->closed;	/* the receiver ends the tunnel after EOF */
}

/* Writes while the stream takes bytes; half-closes after the last. */
static void tx_step(struct run *r, struct hbone_stream *s)
{
	ssize_t n;

	while (r->status == 200 && !r->shut && !r->closed) {
		uint64_t left = r->bytes - r->sent;

		if (!left) {
			hbone_stream_shutdown(s);
			r->shut = true;
			return;
		}
		n = hbone_stream_write(s, chunk, left < CHUNK ? left : CHUNK);
		if (n <= 0)
			return;
		r->sent += (uint64_t)n;
	}
}

static int hbone_send(struct run *r, int fd)
{
	struct hbone_counters cnt = { 0 };
	struct hbone_conf cf = { .ops = &cli_ops, .counters = &cnt };
	struct tls_conn *t = tls_conn_client(r->cli, fd, &r->srv_id, NULL);
	struct hbone_stream *s;
	struct hbone_conn *c;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	c = t ? hbone_conn_new_tls(fd, t, &cf, mono_ms()) : NULL;
	if (!c) {
		close(fd);
		return -1;
	}
	s = hbone_client_open(c, "127.0.0.1:9", r);
	if (s)
		loop(c, tx_done, r, tx_step, s);
	hbone_conn_crypto(c, &r->crypto_why);
	hbone_conn_free(c);
	return s ? 0 : -1;
}

/* ---- plain and TLS: blocking sockets ---- */

static void plain_receive(struct run *r, int fd)
{
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		r->got += (uint64_t)n;
	r->eof = n == 0;
	close(fd);
}

static void tls_receive(struct run *r, int fd)
{
	struct tls_conn *t = tls_conn_server(r->srv, fd);
	int n = 0;

	if (t && tls_conn_handshake_wait(t, 5000) == TLS_HS_DONE)
		while ((n = SSL_read(tls_conn_ssl(t), chunk, sizeof(chunk))) > 0)
			r->got += (uint64_t)n;
	r->eof = n == 0;
	tls_conn_free(t);
	close(fd);
}

static int plain_send(struct run *r, int fd)
{
	ssize_t n;

	while (r->sent < r->bytes) {
		n = write(fd, chunk, r->bytes - r->sent < CHUNK ?
					     r->bytes - r->sent : CHUNK);
		if (n <= 0)
			break;
		r->sent += (uint64_t)n;
	}
	close(fd);
	return 0;
}

static int tls_send(struct run *r, int fd)
{
	struct tls_conn *t = tls_conn_client(r->cli, fd, &r->srv_id, NULL);
	int n;

	if (!t || tls_conn_handshake_wait(t, 5000) != TLS_HS_DONE) {
		tls_conn_free(t);
		close(fd);
		return -1;
	}
	while (r->sent < r->bytes) {
		n = SSL_write(tls_conn_ssl(t), chunk,
			      r->bytes - r->sent < CHUNK ? r->bytes - r->sent : CHUNK);
		if (n <= 0)
			break;
		r->sent += (uint64_t)n;
	}
	SSL_shutdown(tls_conn_ssl(t));
	tls_conn_free(t);
	close(fd);
	return 0;
}

/* ---- runs ---- */

static void *receiver(void *arg)
{
	struct run *r = arg;
	int fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
	double t0 = thread_cpu_us();

	if (fd < 0)
		return NULL;
	if (r->v == V_PLAIN)
		plain_receive(r, fd);
	else if (r->v == V_TLS)
		tls_receive(r, fd);
	else
		hbone_receive(r, fd);
	r->rx_cpu_us = thread_cpu_us() - t0;
	return NULL;
}

static int one_run(struct run *r)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;
	double t0, w0;
	pthread_t th;

	r->got = r->sent = 0;
	r->eof = r->shut = r->closed = false;
	r->status = 0;
	if (fd < 0 || pthread_create(&th, NULL, receiver, r)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w0 = mono_us();
	t0 = thread_cpu_us();
	if (connect(fd, (struct sockaddr *)&r->addr, sizeof(r->addr))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		err = -1;
	else if (r->v == V_PLAIN)
		err = plain_send(r, fd);
	else if (r->v == V_TLS)
		err = tls_send(r, fd);
	else
		err = hbone_send(r, fd);
	r->tx_cpu_us = thread_cpu_us() - t0;
	pthread_join(th, NULL);
	r->wall_us = mono_us() - w0;
	return err || r->got != r->bytes ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int variant(struct run *r, enum variant v, int runs)
{
	double mibs[RUNS_MAX], tx[RUNS_MAX], rx[RUNS_MAX];
	double mib = (double)r->bytes / (1 << 20);

	r->v = v;
	for (int i = 0; i < runs; i++) {
		if (one_run(r)) {
			fprintf(stderr, "hbone_stream: %s run %d moved %llu of "
					"%llu bytes\n", names[v], i,
				(unsigned long long)r->got,
				(unsigned long long)r->bytes);
			return -1;
		}
		mibs[i] = mib / (r->wall_us / 1e6);
		tx[i] = r->tx_cpu_us / mib;
		rx[i] = r->rx_cpu_us / mib;
	}
	printf("stream_%s mib_per_s %.0f\n", names[v], median(mibs, runs));
	printf("stream_%s sender_cpu_us_per_mib %.0f\n", names[v], median(tx, runs));
	printf("stream_%s receiver_cpu_us_per_mib %.0f\n", names[v], median(rx, runs));
	return 0;
}

/* The crypto floor: sealing one MiB as 64 records of 16 KiB with the
 * suite the handshake picked (AES-256-GCM), CPU per MiB, median of
 * <runs> rounds of 64 MiB. What TLS cannot go below on either side. */
static void floor_row(int runs)
{
	static uint8_t rec[16384 + 16];
	unsigned char key[32] = { 1 }, iv[12] = { 2 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	double v[RUNS_MAX];
	int len;

	for (int r = 0; r < runs && c; r++) {
		double t0 = thread_cpu_us();

		for (int i = 0; i < 64 * 64; i++) {
			iv[11] = (unsigned char)i;
			EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
			EVP_EncryptUpdate(c, rec, &len, rec, 16384);
			EVP_EncryptFinal_ex(c, rec + len, &len);
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
					    rec + 16384);
		}
		v[r] = (thread_cpu_us() - t0) / 64;
	}
	if (c)
		printf("stream_floor aes256gcm_cpu_us_per_mib %.0f\n",
		       median(v, runs));
	EVP_CIPHER_CTX_free(c);
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 256;
	int runs = argc > 2 ? atoi(argv[2]) : 5, rc = 1;
	const char *only = argc > 3 ? argv[3] : NULL;
	struct run r = { .bytes = (uint64_t)mib << 20 };
	struct tls_ca ca;
	/* kTLS-bound contexts, as the agent's tunnels use them */
	const struct tls_ctx_opts opts = { .no_tickets = true };

	if (mib < 1 || mib > 65536 || runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "usage: hbone_stream [MiB 1..65536] [runs 1..%d] "
				"[plain|tls|hbone]\n", RUNS_MAX);
		return 2;
	}
	memset(chunk, 0x5a, sizeof(chunk));
	if (bench_ca_make(&ca) ||
	    (r.lfd = bench_listen_lo(&r.addr, 16)) < 0 ||
	    !(r.srv = bench_ctx(&ca, "server", &opts)) ||
	    !(r.cli = bench_ctx(&ca, "client", &opts))) {
		fprintf(stderr, "hbone_stream: setup failed\n");
		goto out;
	}
	r.srv_id = r.srv->id;
	rc = 0;
	for (int v = 0; v < V__N && !rc; v++)
		if (!only || !strcmp(only, names[v]))
			rc = variant(&r, v, runs) ? 1 : 0;
	if (!rc && !only)
		floor_row(runs);
	if (!rc && r.crypto_why)
		fprintf(stderr, "hbone_stream: hbone record path: %s\n",
			r.crypto_why);
out:
	tls_ctx_put(r.srv);
	tls_ctx_put(r.cli);
	tls_ca_free(&ca);
	close(r.lfd);
	return rc;
}
