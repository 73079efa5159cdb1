// SPDX-License-Identifier: Apache-2.0
/* HBONE client and server objects (user/proxy/) talking over loopback TLS
 * 1.3 with certificates from a test CA: bytes both ways with half-close,
 * the 400/401/503 answers, the pool's 100-stream limit, GOAWAY, and PING
 * keepalive. Every test ends with as many open fds as it began with. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fix_world.h"
#include "harness.h"
#include "proxy/hbone_int.h"
#include "tls/ktls.h"

static struct world w;
static int fds_before;

static void setup(void)
{
	fds_before = world_fd_count();
	CU_ASSERT_EQUAL_FATAL(world_init(&w, NULL), 0);
}

static void teardown(void)
{
	world_free(&w);
	CU_ASSERT_EQUAL(world_fd_count(), fds_before);
}

static void cs_free(struct cstream *cs)
{
	if (cs->s)
		hbone_stream_release(cs->s);
	bytebuf_free(&cs->got);
}

static bool has_status(void *arg)
{
	struct cstream *cs = arg;

	return cs->status || cs->closed;
}

static bool is_closed(void *arg)
{
	return ((struct cstream *)arg)->closed;
}

static void assert_no_refusals(void)
{
	int r;

	for (r = 0; r < HBONE_R_MAX; r++) {
		CU_ASSERT_EQUAL(w.scnt.refused[r], 0);
		CU_ASSERT_EQUAL(w.ccnt.refused[r], 0);
		if (w.scnt.refused[r] || w.ccnt.refused[r])
			fprintf(stderr, "refused %s: server %lu client %lu\n",
				hbone_refuse_name(r), (unsigned long)w.scnt.refused[r],
				(unsigned long)w.ccnt.refused[r]);
	}
}

/* Writes bytes <from>..<n> of a pattern, pumping whenever the stream is
 * full; returns how many it wrote (fewer when the stream stays full). */
static size_t write_all_from(struct cstream *cs, size_t from, size_t n)
{
	uint8_t chunk[4096];
	size_t off = from, i;
	int rounds, stuck = 0;

	for (rounds = 0; off < n && rounds < 20000 && cs->s && stuck < 50; rounds++) {
		size_t len = n - off < sizeof(chunk) ? n - off : sizeof(chunk);
		ssize_t put;

		for (i = 0; i < len; i++)
			chunk[i] = (uint8_t)((off + i) * 7 + 3);
		put = hbone_stream_write(cs->s, chunk, len);
		if (put < 0)
			break;
		off += (size_t)put;
		stuck = put ? 0 : stuck + 1;
		if ((size_t)put < len)
			world_pump(&w, 10);
	}
	return off - from;
}

static size_t write_all(struct cstream *cs, size_t n)
{
	return write_all_from(cs, 0, n);
}

static bool pattern_ok(const struct cstream *cs, size_t n)
{
	size_t i;

	if (cs->got.len != n)
		return false;
	for (i = 0; i < n; i++)
		if (cs->got.p[cs->got.off + i] != (uint8_t)(i * 7 + 3))
			return false;
	return true;
}

/* 3 MiB through the echo: more than the stream's send buffer, so writes
 * come back short and resume as the peer reads; then the client's
 * half-close comes back as the server's, and the stream ends NO_ERROR. */
static void stream_both_ways(void)
{
	const size_t n = 3u << 20;
	struct cstream cs;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	CU_ASSERT_EQUAL_FATAL(cs.status, 200);
	CU_ASSERT_EQUAL(write_all(&cs, n), n);
	CU_ASSERT_EQUAL(hbone_stream_shutdown(cs.s), 0);
	CU_ASSERT(world_until(&w, is_closed, &cs));
	CU_ASSERT(cs.eof);
	CU_ASSERT_EQUAL(cs.h2_error, 0);
	CU_ASSERT(pattern_ok(&cs, n));
	CU_ASSERT_EQUAL(w.accepted, 1);
	CU_ASSERT_STRING_EQUAL(hbone_conn_peer_id(w.srv[0]), WORLD_CLIENT_ID);
	CU_ASSERT_STRING_EQUAL(hbone_conn_peer_id(w.pool.v[0].c), WORLD_SERVER_ID);
	assert_no_refusals();
	cs_free(&cs);
}

/* Which record path each side took, and why. Before the handshake it
 * says so; after it, where the kernel has no kTLS (this machine: no
 * CONFIG_TLS) both sides stay on OpenSSL naming the probe's answer, and
 * where it has kTLS both name the installed keys (the lane, tests/ktls/,
 * proves the kernel then does the records); either way the bytes arrive. */
static void crypto_path_reported(void)
{
	const size_t n = 1u << 20;
	const char *why, *swhy;
	struct cstream cs;
	bool k, sk;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(w.pool.n == 1);
	CU_ASSERT_FALSE(hbone_conn_crypto(w.pool.v[0].c, &why));
	CU_ASSERT_STRING_EQUAL(why, "handshake not finished");
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	CU_ASSERT_EQUAL_FATAL(cs.status, 200);
	CU_ASSERT_EQUAL(write_all(&cs, n), n);
	CU_ASSERT_EQUAL(hbone_stream_shutdown(cs.s), 0);
	CU_ASSERT(world_until(&w, is_closed, &cs));
	CU_ASSERT(pattern_ok(&cs, n));
	CU_ASSERT_FATAL(w.n_srv == 1);
	k = hbone_conn_crypto(w.pool.v[0].c, &why);
	sk = hbone_conn_crypto(w.srv[0], &swhy);
	if (ktls_kernel_has_tls(NULL, 0)) {
		CU_ASSERT(k && sk);
		CU_ASSERT_STRING_EQUAL(why, "kTLS TX+RX installed");
		CU_ASSERT_STRING_EQUAL(swhy, "kTLS TX+RX installed");
	} else {
		CU_ASSERT(!k && !sk);
		CU_ASSERT_STRING_EQUAL(why, ktls_kernel_why());
		CU_ASSERT_STRING_EQUAL(swhy, ktls_kernel_why());
		if (ktls_ulp_try() == ENOENT)
			CU_ASSERT_STRING_EQUAL(why, "kernel has no kTLS "
						    "(TCP_ULP tls: ENOENT)");
	}
	assert_no_refusals();
	cs_free(&cs);
}

/* hbone_conf.no_ktls keeps a connection on OpenSSL on any kernel, and
 * says so. */
static void crypto_ktls_off(void)
{
	struct cstream cs;
	const char *why;

	w.cconf.no_ktls = true;
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	CU_ASSERT_EQUAL(cs.status, 200);
	CU_ASSERT_FALSE(hbone_conn_crypto(w.pool.v[0].c, &why));
	CU_ASSERT_STRING_EQUAL(why, "kTLS off for this connection "
				    "(hbone_conf.no_ktls)");
	cs_free(&cs);
}

/* The client half-closes first and still reads everything the server
 * sends afterwards: each direction closes on its own. */
static void half_close_then_read(void)
{
	struct cstream cs;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	CU_ASSERT_EQUAL(hbone_stream_write(cs.s, "\x03\x0a\x11", 3), 3);
	CU_ASSERT_EQUAL(hbone_stream_shutdown(cs.s), 0);
	CU_ASSERT_EQUAL(hbone_stream_write(cs.s, "x", 1), -EPIPE);
	CU_ASSERT(world_until(&w, is_closed, &cs));
	CU_ASSERT(pattern_ok(&cs, 3));
	CU_ASSERT(cs.eof);
	cs_free(&cs);
}

static void expect_status(struct cstream *cs, int status)
{
	CU_ASSERT(world_until(&w, is_closed, cs));
	CU_ASSERT_EQUAL(cs->status, status);
	/* a bare HEADERS with END_STREAM, then RST_STREAM(NO_ERROR) */
	CU_ASSERT_EQUAL(cs->h2_error, 0);
	CU_ASSERT_EQUAL(cs->got.len, 0);
	if (cs->status != status)
		fprintf(stderr, "status %d, want %d\n", cs->status, status);
}

/* 400: CONNECT to an address that is not the server's; 503: a port with no
 * upstream; 401: the denied identity. The connection survives them all. */
static void error_statuses(void)
{
	struct cstream bad, none, denied, ok;
	struct hbone_pool_key k;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &bad, "10.255.0.1:7", 0), 0);
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &none, NULL, 9), 0);
	expect_status(&bad, 400);
	expect_status(&none, 503);

	w.dial_ctx = w.denied_ctx;	/* a second source identity */
	memset(&denied, 0, sizeof(denied));
	world_key(&w, &k);
	strcpy(k.src_id, WORLD_DENIED_ID);
	denied.s = hbone_pool_open(&w.pool, &k, "127.0.0.1:7", &denied, world_now(&w));
	CU_ASSERT_FATAL(denied.s != NULL);
	expect_status(&denied, 401);
	CU_ASSERT_EQUAL(w.pool.n, 2);	/* two keys, two connections */

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &ok, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT(world_until(&w, has_status, &ok));
	CU_ASSERT_EQUAL(ok.status, 200);
	CU_ASSERT_EQUAL(w.accepted, 2);
	assert_no_refusals();
	cs_free(&bad);
	cs_free(&none);
	cs_free(&denied);
	cs_free(&ok);
}

struct all_status {
	struct cstream *cs;
	int n;
};

static bool all_have_status(void *arg)
{
	struct all_status *a = arg;
	int i;

	for (i = 0; i < a->n; i++)
		if (!has_status(&a->cs[i]))
			return false;
	return true;
}

/* 100 streams ride one connection; the 101st dials a second one, and the
 * first keeps serving its streams. */
static void pool_hundred_streams(void)
{
	static struct cstream cs[101];
	struct all_status all = { cs, 100 };
	int i, ok = 0;

	for (i = 0; i < 100; i++)
		CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs[i], NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_EQUAL(w.pool.n, 1);
	CU_ASSERT(world_until(&w, all_have_status, &all));
	CU_ASSERT_EQUAL(hbone_conn_peer_max_streams(w.pool.v[0].c), 200);
	CU_ASSERT_EQUAL(hbone_conn_active_streams(w.pool.v[0].c), 100);
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs[100], NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_EQUAL(w.pool.n, 2);
	all.n = 101;
	CU_ASSERT(world_until(&w, all_have_status, &all));
	for (i = 0; i < 101; i++)
		ok += cs[i].status == 200;
	CU_ASSERT_EQUAL(ok, 101);
	CU_ASSERT_EQUAL(w.accepted, 2);
	/* the full connection still carries its streams */
	CU_ASSERT_EQUAL(hbone_stream_write(cs[0].s, "\x03", 1), 1);
	CU_ASSERT_EQUAL(hbone_stream_shutdown(cs[0].s), 0);
	CU_ASSERT(world_until(&w, is_closed, &cs[0]));
	CU_ASSERT(pattern_ok(&cs[0], 1));
	assert_no_refusals();
	for (i = 0; i < 101; i++)
		cs_free(&cs[i]);
}

/* The pool key is ztunnel's: the source port does not count, the source
 * IP, the source identity and the expected SAN do. */
static void pool_key_fields(void)
{
	struct cstream cs[4];
	struct hbone_pool_key k;
	struct sockaddr_in *src = (struct sockaddr_in *)&k.src;
	struct all_status all = { cs, 4 };
	int i;

	for (i = 0; i < 4; i++) {
		memset(&cs[i], 0, sizeof(cs[i]));
		bytebuf_init(&cs[i].got, 1024);
		world_key(&w, &k);
		if (i == 1)
			src->sin_port = htons(40000);		/* same connection */
		if (i == 2)
			src->sin_addr.s_addr = htonl(0x7f000002); /* another */
		if (i == 3)
			strcpy(k.dst_id, WORLD_SERVER_ID "x");	/* another */
		cs[i].s = hbone_pool_open(&w.pool, &k, "127.0.0.1:7", &cs[i],
					  world_now(&w));
		CU_ASSERT_FATAL(cs[i].s != NULL);
	}
	CU_ASSERT_EQUAL(w.pool.n, 3);
	CU_ASSERT(hbone_stream_conn(cs[0].s) == hbone_stream_conn(cs[1].s));
	all.n = 3;	/* the 4th expects an identity the server lacks */
	CU_ASSERT(world_until(&w, all_have_status, &all));
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(cs[i].status, 200);
	CU_ASSERT(world_until(&w, is_closed, &cs[3]));
	CU_ASSERT_EQUAL(cs[3].status, 0);
	CU_ASSERT_EQUAL(w.ccnt.refused[HBONE_R_TLS], 1);
	for (i = 0; i < 4; i++)
		cs_free(&cs[i]);
}

static bool client_saw_goaway(void *arg)
{
	return w.pool.n && hbone_conn_goaway_seen(w.pool.v[0].c);
}

static bool one_server(void *arg)
{
	return w.n_srv == 1;
}

/* The server drains: the client stops using that connection (a new stream
 * dials another), the stream already open finishes, and the drained
 * connection closes once it has. */
static void goaway_drain(void)
{
	struct cstream a, b;
	struct hbone_conn *first;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &a, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &a));
	first = w.pool.v[0].c;
	hbone_conn_drain(w.srv[0]);
	CU_ASSERT_FATAL(world_until(&w, client_saw_goaway, NULL));

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &b, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT(hbone_stream_conn(b.s) != first);
	CU_ASSERT(world_until(&w, has_status, &b));
	CU_ASSERT_EQUAL(b.status, 200);
	CU_ASSERT_EQUAL(w.accepted, 2);

	CU_ASSERT_EQUAL(hbone_stream_write(a.s, "\x03\x0a", 2), 2);
	CU_ASSERT_EQUAL(hbone_stream_shutdown(a.s), 0);
	CU_ASSERT(world_until(&w, is_closed, &a));
	CU_ASSERT(pattern_ok(&a, 2));
	CU_ASSERT(world_until(&w, one_server, NULL));	/* the drained one ended */
	assert_no_refusals();
	cs_free(&a);
	cs_free(&b);
}

static bool server_pinged(void *arg)
{
	return w.n_srv == 1 && w.srv[0]->ping_outstanding;
}

static bool server_ping_acked(void *arg)
{
	return w.n_srv == 1 && !w.srv[0]->ping_outstanding;
}

/* Ten seconds on (a moved clock) the server PINGs; the client ACKs at
 * once, so twenty more seconds end nothing. */
static void ping_acked(void)
{
	struct cstream cs;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	w.skew_ms += HBONE_PING_INTERVAL_MS;
	CU_ASSERT_FATAL(world_until(&w, server_pinged, NULL));
	CU_ASSERT_FATAL(world_until(&w, server_ping_acked, NULL));
	w.skew_ms += HBONE_PING_TIMEOUT_MS - 1;
	world_pump(&w, 0);
	CU_ASSERT_EQUAL(w.n_srv, 1);
	CU_ASSERT_FALSE(cs.closed);
	assert_no_refusals();
	cs_free(&cs);
}

/* An upstream that reads nothing: the client can queue at most the
 * stream window plus its own send buffer, the server holds at most the
 * window, and everything flows once the upstream reads again. */
static void flow_control_bounds_buffers(void)
{
	const size_t n = 8u << 20;
	struct cstream cs;
	size_t put;
	struct hbone_stream *ss;

	w.hold = true;
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	put = write_all(&cs, n);
	ss = w.last_srv_stream;
	CU_ASSERT_FATAL(ss != NULL);
	CU_ASSERT(put < n);
	CU_ASSERT(put <= HBONE_STREAM_WINDOW + HBONE_STREAM_TX_MAX);
	CU_ASSERT(ss->rx.len <= HBONE_STREAM_WINDOW);
	CU_ASSERT(ss->rx.len >= HBONE_STREAM_WINDOW / 2);	/* it did fill */
	world_resume(&w);
	put += write_all_from(&cs, put, n);
	CU_ASSERT_EQUAL(put, n);
	CU_ASSERT_EQUAL(hbone_stream_shutdown(cs.s), 0);
	CU_ASSERT(world_until(&w, is_closed, &cs));
	CU_ASSERT(pattern_ok(&cs, n));
	assert_no_refusals();
	cs_free(&cs);
}

static bool server_stream_gone(void *arg)
{
	return !w.last_srv_stream;
}

/* The client drops a stream that is still open: RST_STREAM(CANCEL), which
 * the server reads as EOF (not an error). */
static void release_cancels(void)
{
	struct cstream cs;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	CU_ASSERT_FATAL(w.last_srv_stream != NULL);
	hbone_stream_release(cs.s);
	cs.s = NULL;
	CU_ASSERT(world_until(&w, server_stream_gone, NULL));
	CU_ASSERT_EQUAL(w.last_srv_error, 8);	/* CANCEL */
	CU_ASSERT_EQUAL(hbone_conn_active_streams(w.pool.v[0].c), 0);
	assert_no_refusals();
	cs_free(&cs);
}

static bool no_ping_outstanding(void *arg)
{
	unsigned i;

	for (i = 0; i < w.n_srv; i++)
		if (w.srv[i]->ping_outstanding)
			return false;
	for (i = 0; i < w.pool.n; i++)
		if (w.pool.v[i].c->ping_outstanding)
			return false;
	return true;
}

/* Moves the clock <ms> on in 5 s steps, letting the keepalive PINGs of
 * each step be answered, as they would be in real time. */
static void advance(uint64_t ms)
{
	uint64_t step;

	for (; ms; ms -= step) {
		step = ms < 5000 ? ms : 5000;
		w.skew_ms += step;
		world_pump(&w, 0);
		CU_ASSERT(world_until(&w, no_ping_outstanding, NULL));
	}
}

static bool pool_empty(void *arg)
{
	return !w.pool.n && !w.n_srv;
}

/* A pooled connection unused for 5 minutes (a moved clock) is drained and
 * closed on both sides; one minute short of that it stays. */
static void idle_connection_released(void)
{
	struct cstream cs;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT_FATAL(world_until(&w, has_status, &cs));
	CU_ASSERT_EQUAL(hbone_stream_shutdown(cs.s), 0);
	CU_ASSERT_FATAL(world_until(&w, is_closed, &cs));
	world_pump(&w, 0);	/* the pool notes when it went idle */
	advance(HBONE_POOL_IDLE_MS - 60000);
	CU_ASSERT_EQUAL_FATAL(w.pool.n, 1);
	CU_ASSERT(w.pool.v[0].pooled);
	advance(60000);
	CU_ASSERT(world_until(&w, pool_empty, NULL));
	assert_no_refusals();
	cs_free(&cs);
}

UNIT_SUITE(proxy_hbone)
{
	/* a fresh world around every test, torn down even when one fails */
	s->pSetUpFunc = setup;
	s->pTearDownFunc = teardown;
	UNIT_TEST(s, stream_both_ways);
	UNIT_TEST(s, half_close_then_read);
	UNIT_TEST(s, crypto_path_reported);
	UNIT_TEST(s, crypto_ktls_off);
	UNIT_TEST(s, error_statuses);
	UNIT_TEST(s, pool_hundred_streams);
	UNIT_TEST(s, pool_key_fields);
	UNIT_TEST(s, goaway_drain);
	UNIT_TEST(s, ping_acked);
	UNIT_TEST(s, flow_control_bounds_buffers);
	UNIT_TEST(s, release_cancels);
	UNIT_TEST(s, idle_connection_released);
}
