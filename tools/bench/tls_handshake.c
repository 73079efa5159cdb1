// SPDX-License-Identifier: Apache-2.0
/*
 * tls_handshake: CPU per mTLS handshake per side with user/tls's contexts,
 * for `make bench` (tools/bench.sh) and ../shared/reference/tls-facts.md.
 *
 * usage: tls_handshake [N]
 *
 * A client thread and a server thread over loopback TCP, N sequential
 * connections per run (default 400), 3 runs per variant, the median run
 * reported. Each thread's own CPU time (CLOCK_THREAD_CPUTIME_ID) over the
 * whole run, divided by N, so waiting for the peer costs nothing:
 *   tcp      connect/accept, one byte, close: what TLS adds to
 *   full     a full TLS 1.3 mTLS handshake (P-256 leaves, X25519)
 *   resumed  the same, resuming the session the previous connection's
 *            ticket gave (stateful server cache, one ticket)
 * and the crypto floor of one side of a full handshake, measured alone:
 * one ECDSA P-256 sign, two verifies (the peer's CertificateVerify and the
 * CA's signature on the peer's leaf), one X25519 key pair and derive.
 * Prints "name metric value" lines (µs) for tools/bench-report.py. Exits 1
 * if any handshake fails: a benchmark of failures is void.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tls/conn.h"
#include "tls/svid.h"
#include "tls/x509_make.h"

#include "bench_pki.h"

enum variant { V_TCP, V_FULL, V_RESUMED };

struct run {
	enum variant v;
	long n;
	int lfd;
	struct sockaddr_in addr;
	struct tls_ctx *srv, *cli;
	struct spiffe_id srv_id;
	double client_us, server_us;
	int failed;		/* client thread's */
	int srv_failed;		/* server thread's */
};

static double thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Server: handshake, one byte (it carries the ticket along), then wait
 * for the client's close. */
static void serve_one(struct run *r, int fd)
{
	struct tls_conn *t;
	char b;

	if (r->v == V_TCP) {
		if (write(fd, "x", 1) != 1 || read(fd, &b, 1) != 0)
			r->srv_failed++;
		return;
	}
	t = tls_conn_server(r->srv, fd);
	if (!t || tls_conn_handshake(t) != TLS_HS_DONE ||
	    SSL_write(tls_conn_ssl(t), "x", 1) != 1 ||
	    SSL_read(tls_conn_ssl(t), &b, 1) != 0)
		r->srv_failed++;
	ERR_clear_error();
	tls_conn_free(t);
}

static void *server(void *arg)
{
	struct run *r = arg;
	double t0 = thread_cpu_us();
	long i;

	for (i = 0; i < r->n; i++) {
		int fd = accept(r->lfd, NULL, NULL);

		if (fd < 0) {
			r->srv_failed++;
			break;
		}
		serve_one(r, fd);
		close(fd);
	}
	r->server_us = (thread_cpu_us() - t0) / (double)r->n;
	return NULL;
}

/* Client: one connection; *sess is offered and replaced by the new one
 * (stateful tickets are single-use). */
static int dial_one(struct run *r, SSL_SESSION **sess)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ok;
	struct tls_conn *t;
	char b;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fd < 0 || connect(fd, (struct sockaddr *)&r->addr, sizeof(r->addr))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (r->v == V_TCP) {
		ok = read(fd, &b, 1) == 1;
		close(fd);
		return ok ? 0 : -1;
	}
	t = tls_conn_client(r->cli, fd, &r->srv_id,
			    r->v == V_RESUMED ? *sess : NULL);
	ok = t && tls_conn_handshake(t) == TLS_HS_DONE &&
	     SSL_read(tls_conn_ssl(t), &b, 1) == 1 &&
	     (r->v != V_RESUMED || !*sess || tls_conn_resumed(t));
	if (ok && r->v == V_RESUMED) {
		SSL_SESSION_free(*sess);
		*sess = tls_conn_session(t);
	}
	if (t)
		SSL_shutdown(tls_conn_ssl(t));	/* the server's read ends */
	ERR_clear_error();
	tls_conn_free(t);
	close(fd);
	return ok ? 0 : -1;
}

static int one_run(struct run *r)
{
	SSL_SESSION *sess = NULL;
	pthread_t th;
	double t0;
	long i;

	r->failed = r->srv_failed = 0;
	if (pthread_create(&th, NULL, server, r))
		return -1;
	/* the first resumed round primes the session: not counted apart,
	 * one full handshake in N is within the noise for N >= 100 */
	t0 = thread_cpu_us();
	for (i = 0; i < r->n && !r->failed; i++)
		if (dial_one(r, &sess))
			r->failed++;
	r->client_us = (thread_cpu_us() - t0) / (double)r->n;
	if (r->failed)
		shutdown(r->lfd, SHUT_RDWR);	/* unblock the server's accept */
	pthread_join(th, NULL);
	SSL_SESSION_free(sess);
	return r->failed || r->srv_failed ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median3(double v[3])
{
	qsort(v, 3, sizeof(v[0]), cmp_double);
	return v[1];
}

static int variant(struct run *r, enum variant v, const char *name)
{
	double c[3], s[3];
	int i;

	r->v = v;
	for (i = 0; i < 3; i++) {
		if (one_run(r)) {
			fprintf(stderr, "tls_handshake: %s: a handshake failed\n",
				name);
			return -1;
		}
		c[i] = r->client_us;
		s[i] = r->server_us;
	}
	printf("tls_%s client_cpu_us %.0f\n", name, median3(c));
	printf("tls_%s server_cpu_us %.0f\n", name, median3(s));
	return 0;
}

/* ---- the crypto floor ---- */

static double per_op_us(void (*op)(void *), void *arg, int n)
{
	double t0 = thread_cpu_us();
	int i;

	for (i = 0; i < n; i++)
		op(arg);
	return (thread_cpu_us() - t0) / n;
}

struct sig {
	EVP_PKEY *key;
	unsigned char msg[32], sig[80];
	size_t len;
};

static void sign_op(void *arg)
{
	struct sig *s = arg;
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	s->len = sizeof(s->sig);
	EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, s->key);
	EVP_DigestSign(m, s->sig, &s->len, s->msg, sizeof(s->msg));
	EVP_MD_CTX_free(m);
}

static void verify_op(void *arg)
{
	struct sig *s = arg;
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, s->key);
	if (EVP_DigestVerify(m, s->sig, s->len, s->msg, sizeof(s->msg)) != 1)
		abort();
	EVP_MD_CTX_free(m);
}

static void x25519_op(void *arg)
{
	EVP_PKEY *peer = arg, *k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	unsigned char out[32];
	size_t len = sizeof(out);

	if (!c || EVP_PKEY_derive_init(c) != 1 ||
	    EVP_PKEY_derive_set_peer(c, peer) != 1 ||
	    EVP_PKEY_derive(c, out, &len) != 1)
		abort();
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
}

static void floor_row(void)
{
	struct sig s = { .key = x509_p256_key() };
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	double sign, verify, dh;

	memset(s.msg, 7, sizeof(s.msg));
	sign = per_op_us(sign_op, &s, 300);
	verify = per_op_us(verify_op, &s, 300);
	dh = per_op_us(x25519_op, peer, 300);
	printf("tls_floor sign_us %.0f\n", sign);
	printf("tls_floor verify_us %.0f\n", verify);
	printf("tls_floor x25519_us %.0f\n", dh);
	printf("tls_floor side_cpu_us %.0f\n", sign + 2 * verify + dh);
	EVP_PKEY_free(s.key);
	EVP_PKEY_free(peer);
}

int main(int argc, char **argv)
{
	struct run r = { .n = argc > 1 ? atol(argv[1]) : 400 };
	struct tls_ca ca;
	/* stateful resumption, as the agent's contexts */
	const struct tls_ctx_opts opts = { .resume = true };
	int rc = 1;

	if (r.n < 10 || r.n > 100000) {
		fprintf(stderr, "usage: tls_handshake [N: 10 to 100000]\n");
		return 2;
	}
	if (bench_ca_make(&ca) ||
	    (r.lfd = bench_listen_lo(&r.addr, 128)) < 0 ||
	    !(r.srv = bench_ctx(&ca, "server", &opts)) ||
	    !(r.cli = bench_ctx(&ca, "client", &opts))) {
		fprintf(stderr, "tls_handshake: setup failed\n");
		goto out;
	}
	r.srv_id = r.srv->id;
	if (!variant(&r, V_TCP, "tcp") && !variant(&r, V_FULL, "full") &&
	    !variant(&r, V_RESUMED, "resumed")) {
		floor_row();
		rc = 0;
	}
out:
	if (r.lfd > 0)
		close(r.lfd);
	tls_ctx_put(r.srv);
	tls_ctx_put(r.cli);
	tls_ca_free(&ca);
	return rc;
}
