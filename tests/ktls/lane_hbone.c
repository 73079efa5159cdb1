// SPDX-License-Identifier: Apache-2.0
/*
 * The kTLS lane's HBONE program, run inside Debian's stock kernel under
 * qemu by tools/ktls-lane.sh (static). An HBONE client (the pool) and
 * server (hbone_conn), as tests/proxy/'s loopback world runs them, on the
 * mesh's own TLS contexts prepared for kTLS: each side moves its
 * connection to the kernel right after the handshake, and HTTP/2 runs on
 * plain send/recvmsg. The kernel's counters (/proc/net/tls_stat) show it
 * holds the keys; the data arriving intact shows it did the records (the
 * OpenSSL objects do no I/O once the keys are in).
 * Prints "LANE case NAME ok|FAIL why" per case, then "LANE RESULT ...".
 * Usage: ktls-lane-hbone [MiB, default 32]: the bulk case echoes an
 * eighth of it (emulation is slow).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fix_world.h"
#include "lane_util.h"
#include "proxy/hbone_int.h"
#include "tls/ktls.h"

#define UNTIL_MS 120000	/* a bound, not a timing: TCG is slow */
#define STREAMS 64
#define STREAM_BYTES (64u << 10)

static struct world w;

static uint8_t pat(size_t i, unsigned seed)
{
	return (uint8_t)(i * 7 + 3 + seed);
}

/* Writes <n> bytes of pattern <seed>, pumping the world whenever the
 * stream is full; false when it did not all go within the bound. */
static bool write_pattern(struct cstream *cs, size_t n, unsigned seed)
{
	uint64_t end = world_now(&w) + UNTIL_MS;
	uint8_t chunk[16384];
	size_t off = 0, i, len;
	ssize_t put;

	while (off < n && cs->s && world_now(&w) < end) {
		len = n - off < sizeof(chunk) ? n - off : sizeof(chunk);
		for (i = 0; i < len; i++)
			chunk[i] = pat(off + i, seed);
		put = hbone_stream_write(cs->s, chunk, len);
		if (put < 0)
			return false;
		off += (size_t)put;
		if ((size_t)put < len)
			world_pump(&w, 10);
	}
	return off == n && hbone_stream_shutdown(cs->s) == 0;
}

static bool pattern_ok(const struct cstream *cs, size_t n, unsigned seed)
{
	if (cs->got.len != n || !cs->eof || cs->h2_error)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cs->got.p[cs->got.off + i] != pat(i, seed))
			return false;
	return true;
}

struct many {
	struct cstream *cs;
	int n;
};

static bool all_status(void *arg)
{
	struct many *m = arg;

	for (int i = 0; i < m->n; i++)
		if (!m->cs[i].status && !m->cs[i].closed)
			return false;
	return true;
}

static bool all_closed(void *arg)
{
	struct many *m = arg;

	for (int i = 0; i < m->n; i++)
		if (!m->cs[i].closed)
			return false;
	return true;
}

static void cs_free(struct cstream *cs)
{
	if (cs->s)
		hbone_stream_release(cs->s);
	bytebuf_free(&cs->got);
}

static int world_up(const struct tls_ctx_opts *server_opts)
{
	if (world_init(&w, NULL))
		return -1;
	w.until_ms = UNTIL_MS;
	if (server_opts) {
		tls_ctx_put(w.sctx);
		w.sctx = tp_tls_ctx(&w.ca, WORLD_SERVER_ID, server_opts);
	}
	return w.sctx ? 0 : -1;
}

/* Opens <n> streams to the echo, writes each its pattern, waits for all
 * to come back. NULL, or why not. */
static const char *echo_streams(struct cstream *cs, int n, size_t bytes)
{
	struct many m = { cs, n };
	const char *why = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (world_open(&w, &cs[i], NULL, WORLD_ECHO_PORT))
			return "open";
	if (!world_until(&w, all_status, &m))
		return "no answer";
	for (i = 0; i < n && !why; i++)
		if (cs[i].status != 200 || !write_pattern(&cs[i], bytes, i))
			why = "status or write";
	if (!why && !world_until(&w, all_closed, &m))
		why = "streams did not end";
	for (i = 0; i < n && !why; i++)
		if (!pattern_ok(&cs[i], bytes, i))
			why = "data not intact";
	return why;
}

/* Both ends of one tunnel say the kernel has the keys. */
static const char *both_on_kernel(void)
{
	const char *cwhy = "no client", *swhy = "no server";
	bool c = w.pool.n == 1 && hbone_conn_crypto(w.pool.v[0].c, &cwhy);
	bool s = w.n_srv == 1 && hbone_conn_crypto(w.srv[0], &swhy);

	printf("LANE note crypto: client \"%s\", server \"%s\"\n", cwhy, swhy);
	return c && s ? NULL : "a side is not on kTLS";
}

/* One stream echoing <bytes> each way through a tunnel both of whose ends
 * are in the kernel; then many streams on that same connection. */
static void bulk_and_streams(size_t bytes)
{
	long long tx = lane_tls_stat("TlsTxSw"), rx = lane_tls_stat("TlsRxSw");
	long long ctx = lane_tls_stat("TlsCurrTxSw");
	long long crx = lane_tls_stat("TlsCurrRxSw");
	long long derr = lane_tls_stat("TlsDecryptError");
	static struct cstream one, many[STREAMS];
	const char *why;

	if (world_up(NULL)) {
		lane_report("hbone_ktls_bulk", "world");
		return;
	}
	why = echo_streams(&one, 1, bytes) ?: both_on_kernel();
	printf("LANE note bulk: %zu bytes each way, got %zu; TlsTxSw %lld->%lld "
	       "TlsRxSw %lld->%lld TlsCurrTxSw %lld->%lld TlsCurrRxSw "
	       "%lld->%lld\n", bytes, one.got.len, tx, lane_tls_stat("TlsTxSw"),
	       rx, lane_tls_stat("TlsRxSw"), ctx, lane_tls_stat("TlsCurrTxSw"),
	       crx, lane_tls_stat("TlsCurrRxSw"));
	/* one handshake, two ends: two software TX and two RX contexts,
	 * both still open */
	if (!why && (tx < 0 || lane_tls_stat("TlsTxSw") != tx + 2 ||
		     lane_tls_stat("TlsRxSw") != rx + 2 ||
		     lane_tls_stat("TlsCurrTxSw") != ctx + 2 ||
		     lane_tls_stat("TlsCurrRxSw") != crx + 2))
		why = "tls_stat counters did not move by one connection";
	if (!why && lane_tls_stat("TlsDecryptError") != derr)
		why = "the kernel counted decrypt errors";
	lane_report("hbone_ktls_bulk", why);

	why = echo_streams(many, STREAMS, STREAM_BYTES);
	if (!why && (w.accepted != 1 || w.pool.n != 1))
		why = "the streams did not share one connection";
	if (!why && lane_tls_stat("TlsTxSw") != tx + 2)
		why = "a second handshake";
	why = why ?: both_on_kernel();
	printf("LANE note streams: %d x %u bytes each way, %u accepted\n",
	       STREAMS, STREAM_BYTES, w.accepted);
	lane_report("hbone_ktls_many_streams", why);
	cs_free(&one);
	for (int i = 0; i < STREAMS; i++)
		cs_free(&many[i]);
	world_free(&w);
}

/* A server whose context is not kTLS-bound (resumption: it sends a
 * ticket) stays on OpenSSL and says why; the client still goes to the
 * kernel, steps over the ticket, and the two interoperate. */
static void openssl_server(size_t bytes)
{
	static const struct tls_ctx_opts resume = { .resume = true };
	long long tx = lane_tls_stat("TlsTxSw");
	static struct cstream cs;
	const char *why, *cwhy = "", *swhy = "";
	bool c = false, s = true;

	if (world_up(&resume)) {
		lane_report("hbone_ktls_client_openssl_server", "world");
		return;
	}
	why = echo_streams(&cs, 1, bytes);
	if (w.pool.n == 1 && w.n_srv == 1) {
		c = hbone_conn_crypto(w.pool.v[0].c, &cwhy);
		s = hbone_conn_crypto(w.srv[0], &swhy);
	}
	printf("LANE note mixed: client \"%s\", server \"%s\", TlsTxSw "
	       "%lld->%lld\n", cwhy, swhy, tx, lane_tls_stat("TlsTxSw"));
	if (!why && (!c || s || strcmp(swhy, "no traffic secrets (context "
					     "not prepared for kTLS)")))
		why = "not client kTLS, server OpenSSL";
	if (!why && lane_tls_stat("TlsTxSw") != tx + 1)
		why = "tls_stat: not exactly the client's TX";
	lane_report("hbone_ktls_client_openssl_server", why);
	cs_free(&cs);
	world_free(&w);
}

static bool server_done(void *arg)
{
	return w.accepted && !w.n_srv;
}

/* A userspace client sends a KeyUpdate to a server on kTLS: the 6.1
 * kernel cannot rekey, so the server ends the connection and counts it. */
static void key_update(void)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				      "\0\0\0\4\0\0\0\0\0";
	struct spiffe_id srv;
	struct tls_conn *t = NULL;
	enum tls_hs hs = TLS_HS_WANT_READ;
	SSL *ssl;
	int fd = -1, i;
	const char *why = "setup";

	if (world_up(NULL))
		goto out;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&w.addr, sizeof(w.addr)) ||
	    spiffe_parse(WORLD_SERVER_ID, strlen(WORLD_SERVER_ID), &srv))
		goto out;
	t = tls_conn_client(w.denied_ctx, fd, &srv, NULL);
	if (!t || fcntl(fd, F_SETFL, O_NONBLOCK))
		goto out;
	for (i = 0; i < 2000 && (hs == TLS_HS_WANT_READ || hs == TLS_HS_WANT_WRITE); i++) {
		hs = tls_conn_handshake(t);
		world_pump(&w, 10);
	}
	ssl = tls_conn_ssl(t);
	why = "handshake or writes";
	if (hs != TLS_HS_DONE ||
	    SSL_write(ssl, preface, sizeof(preface) - 1) != sizeof(preface) - 1 ||
	    !SSL_key_update(ssl, SSL_KEY_UPDATE_NOT_REQUESTED) ||
	    SSL_write(ssl, "x", 1) != 1)
		goto out;
	why = "the server did not end the connection";
	if (world_until(&w, server_done, NULL))
		why = w.scnt.refused[HBONE_R_KTLS_RECORD] == 1 ?
			      NULL : "not counted as ktls_record";
	printf("LANE note key_update: ktls_record %lu\n",
	       (unsigned long)w.scnt.refused[HBONE_R_KTLS_RECORD]);
out:
	lane_report("hbone_ktls_key_update_ends", why);
	tls_conn_free(t);
	if (fd >= 0)
		close(fd);
	world_free(&w);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 32;
	size_t bytes = (mib << 20) / 8 ?: 1;
	char why[160];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!ktls_kernel_has_tls(why, sizeof(why))) {
		lane_report("hbone_kernel_tls", why);
		return lane_result();
	}
	bulk_and_streams(bytes);
	openssl_server(bytes / 4);
	key_update();
	return lane_result();
}
