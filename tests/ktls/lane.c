// SPDX-License-Identifier: Apache-2.0
/*
 * The kTLS lane's test program, run inside Debian's stock kernel under
 * qemu by tools/ktls-lane.sh (static: the initramfs has no libraries).
 * Each case prints "LANE case NAME ok|FAIL why"; the last line is
 * "LANE RESULT passed=N failed=N", and the exit status is the failures.
 * Usage: ktls-lane-test [MiB per direction, default 32]: the first case
 * moves that much each way, the others a quarter (emulation is slow).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy/splice.h"
#include "stream.h"
#include "tls/ktls.h"
#include "lane_util.h"
#include "tls_pair.h"

#define SUITE_128 "TLS_AES_128_GCM_SHA256"
#define SUITE_256 "TLS_AES_256_GCM_SHA384"

static struct tp_pki pki;
static uint64_t bytes, big;

/* The client end always ready for kTLS; the server's as <sktls>. */
static int conn_open(struct tp_conn *k, const char *suite, bool sktls)
{
	return tp_conn_open(&pki, k, suite, true, sktls);
}

/* Installs kTLS on *ssl, and frees the SSL: the fd is on its own now. */
static int to_kernel(SSL **ssl)
{
	enum ktls_why why;

	if (ktls_install(*ssl, &why) != KTLS_INSTALLED) {
		printf("LANE note install refused: %s\n", ktls_why_name(why));
		return -1;
	}
	SSL_free(*ssl);
	*ssl = NULL;
	return 0;
}

/* Both ends in the kernel, a stream each way at once, and the kernel's
 * counters show two more software TX and RX installs. */
static int both_kernel(const char *name, const char *suite, uint64_t n)
{
	long long tx = lane_tls_stat("TlsTxSw"), rx = lane_tls_stat("TlsRxSw");
	struct st_job cs = { .n = n, .seed = 1 }, ss = { .n = n, .seed = 2 };
	struct st_job ce = { .seed = 2 }, se = { .seed = 1 };
	int64_t got_c, got_s;
	struct tp_conn k;
	int err;

	if (conn_open(&k, suite, true))
		return lane_report(name, "handshake");
	err = to_kernel(&k.c) || to_kernel(&k.s);
	if (err) {
		tp_conn_close(&k);
		return lane_report(name, "install");
	}
	cs.e = ce.e = (struct st_end){ .fd = k.fds[0], .ktls = true };
	ss.e = se.e = (struct st_end){ .fd = k.fds[1], .ktls = true };
	st_start_send(&cs), st_start_send(&ss);
	st_start_expect(&ce), st_start_expect(&se);
	got_s = st_join(&se), got_c = st_join(&ce);
	st_join(&cs), st_join(&ss);
	tp_conn_close(&k);
	printf("LANE note %s: %lld/%lld bytes, TlsTxSw %lld->%lld TlsRxSw "
	       "%lld->%lld\n", name, (long long)got_s, (long long)got_c, tx,
	       lane_tls_stat("TlsTxSw"), rx, lane_tls_stat("TlsRxSw"));
	if (got_s != (int64_t)n || got_c != (int64_t)n)
		return lane_report(name, "data not intact");
	if (tx < 0 || lane_tls_stat("TlsTxSw") != tx + 2 ||
	    lane_tls_stat("TlsRxSw") != rx + 2)
		return lane_report(name, "tls_stat counters did not move");
	return lane_report(name, NULL);
}

/* The client in the kernel, the server on OpenSSL echoing: OpenSSL opens
 * what the kernel sealed and the other way round. */
static int interop(const char *name, const char *suite)
{
	struct st_job send = { .n = bytes, .seed = 3 }, echo = { 0 };
	struct st_end e;
	struct tp_conn k;
	int64_t got;

	if (conn_open(&k, suite, false) || to_kernel(&k.c)) {
		tp_conn_close(&k);
		return lane_report(name, "handshake or install");
	}
	e = (struct st_end){ .fd = k.fds[0], .ktls = true };
	send.e = e;
	echo.e = (struct st_end){ .fd = k.fds[1], .ssl = k.s };
	st_start_echo(&echo), st_start_send(&send);
	got = st_expect(&e, 3);
	st_join(&send);
	st_join(&echo);
	tp_conn_close(&k);
	return lane_report(name, got == (int64_t)bytes ? NULL : "data not intact");
}

struct relay_job {
	struct relay_end plain, tls;
	struct relay_stats st;
	int result;
	pthread_t t;
};

static void *relay_main(void *arg)
{
	struct relay_job *j = arg;

	j->result = relay_run(&j->plain, &j->tls, 30000, &j->st);
	return NULL;
}

/* Pushes a NewSessionTicket the kTLS side must step over (in splice: an
 * EINVAL, then recvmsg). */
static int push_ticket(SSL *s)
{
	return SSL_new_session_ticket(s) == 1 && SSL_do_handshake(s) == 1 ?
		       0 :
		       -1;
}

/* app <-plain-> relay (splice into and out of kTLS) <-TLS-> OpenSSL echo,
 * with a session ticket ahead of the data. */
static int splice_relay(const char *name)
{
	struct st_job send = { .n = bytes, .seed = 4 }, echo = { 0 };
	struct relay_job rj = { 0 };
	struct st_end app;
	int a[2] = { -1, -1 };
	struct tp_conn k;
	int64_t got;

	if (conn_open(&k, SUITE_128, false) || to_kernel(&k.c) ||
	    push_ticket(k.s) || tp_tcp_pair(a)) {
		tp_conn_close(&k);
		return lane_report(name, "setup");
	}
	rj.plain = (struct relay_end){ RELAY_PLAIN, a[1], NULL };
	rj.tls = (struct relay_end){ RELAY_KTLS, k.fds[0], NULL };
	app = (struct st_end){ .fd = a[0] };
	send.e = app;
	echo.e = (struct st_end){ .fd = k.fds[1], .ssl = k.s };
	st_start_echo(&echo), st_start_send(&send);
	pthread_create(&rj.t, NULL, relay_main, &rj);
	got = st_expect(&app, 4);
	pthread_join(rj.t, NULL);
	st_join(&send), st_join(&echo);
	tp_conn_close(&k);
	close(a[0]), close(a[1]);
	printf("LANE note %s: relay %d, %llu/%llu bytes, %llu/%llu splices, "
	       "%llu recvmsg, %llu partial\n", name, rj.result,
	       (unsigned long long)rj.st.bytes[0],
	       (unsigned long long)rj.st.bytes[1],
	       (unsigned long long)rj.st.splices[0],
	       (unsigned long long)rj.st.splices[1],
	       (unsigned long long)rj.st.ctrl_reads,
	       (unsigned long long)rj.st.partial);
	if (got != (int64_t)bytes || rj.result)
		return lane_report(name, "data not intact or relay failed");
	if (!rj.st.splices[0] || !rj.st.splices[1] || !rj.st.ctrl_reads)
		return lane_report(name, "splice or the ticket fallback did not run");
	return lane_report(name, NULL);
}

/* A KeyUpdate from the peer: the kernel cannot follow, the read says so
 * (-EKEYEXPIRED) instead of handing out garbage; data before it arrived. */
static int key_update(const char *name)
{
	char b[KTLS_RECORD_MAX];
	struct tp_conn k;
	ssize_t r1 = -1, r2 = -1;

	if (!conn_open(&k, SUITE_128, false) && !to_kernel(&k.c) &&
	    SSL_write(k.s, "before", 6) == 6 &&
	    SSL_key_update(k.s, SSL_KEY_UPDATE_NOT_REQUESTED) &&
	    SSL_write(k.s, "after", 5) == 5) {
		r1 = ktls_recv(k.fds[0], b, sizeof(b), 0);
		r2 = ktls_recv(k.fds[0], b, sizeof(b), 0);
	}
	tp_conn_close(&k);
	printf("LANE note %s: reads %zd, %zd\n", name, r1, r2);
	return lane_report(name, r1 == 6 && r2 == -EKEYEXPIRED ? NULL :
							  "KeyUpdate not refused");
}

int main(int argc, char **argv)
{
	char why[160];

	big = (uint64_t)(argc > 1 ? atoi(argv[1]) : 32) << 20;
	bytes = big / 4 ?: 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!ktls_kernel_has_tls(why, sizeof(why)))
		lane_report("kernel_tls", why);
	else if (tp_pki_make(&pki))
		lane_report("pki", "making the test CA and leaves");
	else {
		lane_report("kernel_tls", NULL);
		/* what a namespace without loopback would be told */
		lane_report("kernel_tls_unconnected_probe",
			    ktls_ulp_try_unconnected() ? "not ENOTCONN" : NULL);
		both_kernel("both_kernel_aes128", SUITE_128, big);
		both_kernel("both_kernel_aes256", SUITE_256, bytes);
		interop("ktls_client_openssl_server_aes256", SUITE_256);
		splice_relay("splice_relay_ticket");
		key_update("key_update_refused");
		tp_pki_free(&pki);
	}
	return lane_result();
}
