// SPDX-License-Identifier: Apache-2.0
/* The relay over loopback on this machine: the userspace OpenSSL path
 * (what runs where the kernel has no TLS) and the splice path between two
 * plain sockets (the same code that splices into kTLS, minus the records).
 * App -> relay -> an echo peer -> relay -> app; every byte checked by
 * position, end of stream carried both ways, nothing left open. The kTLS
 * splice itself runs in the qemu lane (tools/ktls-lane.sh). */
#include <dirent.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "proxy/splice.h"
#include "stream.h"
#include "tls_pair.h"

#define STREAM_BYTES (16u << 20)
#define IDLE_MS 10000

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

struct relay_job {
	struct relay_end plain, tls;
	struct relay_stats *st;
	int result;
};

static void *relay_main(void *arg)
{
	struct relay_job *j = arg;

	j->result = relay_run(&j->plain, &j->tls, IDLE_MS, j->st);
	return NULL;
}

/* app[0] is the application's socket, app[1] the relay's plain end; the
 * relay runs in its own thread while this one reads the echo. */
static void run_through(const struct relay_end *tls_end, struct st_end peer,
			struct relay_stats *st)
{
	struct relay_job rj = { .tls = *tls_end, .st = st };
	struct st_job send = { .n = STREAM_BYTES, .seed = 7 };
	struct st_job echo = { .e = peer };
	struct st_end app_end;
	pthread_t relay;
	int app[2];

	CU_ASSERT_FATAL(tp_tcp_pair(app) == 0);
	rj.plain = (struct relay_end){ RELAY_PLAIN, app[1], NULL };
	app_end = (struct st_end){ .fd = app[0] };
	send.e = app_end;
	CU_ASSERT_FATAL(st_start_echo(&echo) == 0);
	CU_ASSERT_FATAL(st_start_send(&send) == 0);
	CU_ASSERT_FATAL(pthread_create(&relay, NULL, relay_main, &rj) == 0);
	/* the echo came back whole, and its end of stream too */
	CU_ASSERT_EQUAL(st_expect(&app_end, 7), STREAM_BYTES);
	pthread_join(relay, NULL);
	CU_ASSERT_EQUAL(rj.result, 0);
	CU_ASSERT_EQUAL(st_join(&send), STREAM_BYTES);
	CU_ASSERT_EQUAL(st_join(&echo), STREAM_BYTES);
	CU_ASSERT_EQUAL(st->bytes[0], STREAM_BYTES);
	CU_ASSERT_EQUAL(st->bytes[1], STREAM_BYTES);
	close(app[0]);
	close(app[1]);
}

static void userspace_tls_path(void)
{
	struct relay_end tls_end = { RELAY_SSL, -1, NULL };
	SSL_CTX *cc, *sc;
	struct relay_stats st;
	struct tp_pki pki;
	int fds[2], before = open_fds();
	SSL *c, *s;

	CU_ASSERT_FATAL(tp_pki_make(&pki) == 0);
	cc = tp_ctx(&pki, false, "TLS_AES_256_GCM_SHA384", true);
	sc = tp_ctx(&pki, true, "TLS_AES_256_GCM_SHA384", true);
	CU_ASSERT_FATAL(cc && sc && tp_tcp_pair(fds) == 0);
	CU_ASSERT_FATAL(tp_handshake(cc, sc, fds, &c, &s) == 0);
	tls_end.fd = fds[0];
	tls_end.ssl = c;
	run_through(&tls_end, (struct st_end){ .fd = fds[1], .ssl = s }, &st);
	CU_ASSERT_EQUAL(st.splices[0] + st.splices[1], 0);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cc);
	SSL_CTX_free(sc);
	tp_pki_free(&pki);
	close(fds[0]);
	close(fds[1]);
	CU_ASSERT_EQUAL(open_fds(), before);
}

static void plain_splice_path(void)
{
	struct relay_end far = { RELAY_PLAIN, -1, NULL };
	int fds[2], small = 4096, before = open_fds();
	struct relay_stats st;

	CU_ASSERT_FATAL(tp_tcp_pair(fds) == 0);
	/* a tiny send buffer: splices into it take part of the pipe */
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	far.fd = fds[0];
	run_through(&far, (struct st_end){ .fd = fds[1] }, &st);
	CU_ASSERT(st.splices[0] > 0 && st.splices[1] > 0);
	CU_ASSERT(st.partial > 0);
	close(fds[0]);
	close(fds[1]);
	CU_ASSERT_EQUAL(open_fds(), before);
}

/* Nothing moves: the relay gives up after its idle time, leaks nothing. */
static void idle_times_out(void)
{
	struct relay_end a = { RELAY_PLAIN, -1, NULL }, b = a;
	int x[2], y[2], before = open_fds();
	struct relay_stats st;

	CU_ASSERT_FATAL(tp_tcp_pair(x) == 0 && tp_tcp_pair(y) == 0);
	a.fd = x[1];
	b.fd = y[0];
	CU_ASSERT_EQUAL(relay_run(&a, &b, 50, &st), -ETIMEDOUT);
	close(x[0]), close(x[1]), close(y[0]), close(y[1]);
	CU_ASSERT_EQUAL(open_fds(), before);
}

static void refuses_bad_ends(void)
{
	struct relay_end ssl_no_ssl = { RELAY_SSL, 0, NULL };
	struct relay_end not_plain = { RELAY_KTLS, 0, NULL };
	struct relay_end plain = { RELAY_PLAIN, 0, NULL };
	struct relay_stats st;

	CU_ASSERT_EQUAL(relay_run(&not_plain, &plain, 10, &st), -EINVAL);
	CU_ASSERT_EQUAL(relay_run(&plain, &ssl_no_ssl, 10, &st), -EINVAL);
}

UNIT_SUITE(splice)
{
	UNIT_TEST(s, userspace_tls_path);
	UNIT_TEST(s, plain_splice_path);
	UNIT_TEST(s, idle_times_out);
	UNIT_TEST(s, refuses_bad_ends);
}
