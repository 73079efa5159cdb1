// SPDX-License-Identifier: Apache-2.0
/* Malformed and hostile peers against the HBONE server: garbage instead of
 * HTTP/2, a truncated frame, a handshake that never finishes, a client
 * certificate from another CA, a peer that never ACKs PINGs; and a client
 * that meets the wrong server identity. Each ends that connection,
 * counted by reason, frees everything, and the server goes on serving. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fix_world.h"
#include "harness.h"
#include "proxy/hbone_int.h"
#include "tls/spiffe.h"
#include "tls/svid.h"

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

/* A TLS peer of our own that is no HBONE client. */
struct raw {
	int fd;
	struct tls_conn *t;
	SSL *ssl;
};

static int raw_tcp(struct raw *r)
{
	r->ssl = NULL;
	r->t = NULL;
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -errno;
	if (connect(r->fd, (struct sockaddr *)&w.addr, sizeof(w.addr)) &&
	    errno != EINPROGRESS)
		return -errno;
	return 0;
}

/* Handshakes with <ctx> while the world pumps. 0, or -1 when TLS failed. */
static int raw_tls(struct raw *r, struct tls_ctx *ctx)
{
	struct spiffe_id srv;
	int i;

	if (raw_tcp(r) ||
	    spiffe_parse(WORLD_SERVER_ID, strlen(WORLD_SERVER_ID), &srv))
		return -1;
	r->t = tls_conn_client(ctx, r->fd, &srv, NULL);
	if (!r->t)
		return -1;
	r->ssl = tls_conn_ssl(r->t);
	for (i = 0; i < 500; i++) {
		enum tls_hs hs = tls_conn_handshake(r->t);

		if (hs == TLS_HS_DONE)
			return 0;
		if (hs == TLS_HS_REFUSED)
			return -1;
		world_pump(&w, 10);
	}
	return -1;
}

static int raw_write(struct raw *r, const void *p, int n)
{
	int i;

	for (i = 0; i < 500; i++) {
		int ret = SSL_write(r->ssl, p, n), err;

		if (ret == n)
			return 0;
		err = SSL_get_error(r->ssl, ret);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			return -1;
		world_pump(&w, 10);
	}
	return -1;
}

static void raw_close(struct raw *r)
{
	tls_conn_free(r->t);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->t = NULL;
	r->ssl = NULL;
}

static bool no_server(void *arg)
{
	return w.accepted && !w.n_srv;
}

static bool has_status(void *arg)
{
	struct cstream *cs = arg;

	return cs->status || cs->closed;
}

/* After a hostile peer, a normal client still gets its tunnel. */
static void assert_still_serving(void)
{
	struct cstream cs;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &cs, NULL, WORLD_ECHO_PORT), 0);
	CU_ASSERT(world_until(&w, has_status, &cs));
	CU_ASSERT_EQUAL(cs.status, 200);
	if (cs.s)
		hbone_stream_release(cs.s);
	bytebuf_free(&cs.got);
}

static void garbage_bytes(void)
{
	static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\x13";
	struct raw r;

	CU_ASSERT_EQUAL_FATAL(raw_tls(&r, w.cctx), 0);
	CU_ASSERT_EQUAL(raw_write(&r, junk, sizeof(junk)), 0);
	CU_ASSERT(world_until(&w, no_server, NULL));
	CU_ASSERT_EQUAL(w.scnt.refused[HBONE_R_H2_PROTOCOL], 1);
	raw_close(&r);
	assert_still_serving();
}

/* The preface, SETTINGS, then a HEADERS frame that announces 64 bytes and
 * brings 10 before the peer leaves. */
static void truncated_frame(void)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const unsigned char frames[] = {
		0, 0, 0, 4, 0, 0, 0, 0, 0,		/* SETTINGS, empty */
		0, 0, 64, 1, 4, 0, 0, 0, 1,		/* HEADERS 64 bytes, stream 1 */
		0x82, 0x84, 0x86, 0x41, 0x8a, 1, 2, 3, 4, 5,
	};
	struct raw r;

	CU_ASSERT_EQUAL_FATAL(raw_tls(&r, w.cctx), 0);
	CU_ASSERT_EQUAL(raw_write(&r, preface, sizeof(preface) - 1), 0);
	CU_ASSERT_EQUAL(raw_write(&r, frames, sizeof(frames)), 0);
	world_pump(&w, 10);
	raw_close(&r);
	CU_ASSERT(world_until(&w, no_server, NULL));
	CU_ASSERT_EQUAL(w.scnt.refused[HBONE_R_TRUNCATED], 1);
	assert_still_serving();
}

/* The same peer leaving between two frames: an end, not a refusal. */
static void close_between_frames(void)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const unsigned char settings[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	struct raw r;

	CU_ASSERT_EQUAL_FATAL(raw_tls(&r, w.cctx), 0);
	CU_ASSERT_EQUAL(raw_write(&r, preface, sizeof(preface) - 1), 0);
	CU_ASSERT_EQUAL(raw_write(&r, settings, sizeof(settings)), 0);
	world_pump(&w, 10);
	raw_close(&r);
	CU_ASSERT(world_until(&w, no_server, NULL));
	CU_ASSERT_EQUAL(w.scnt.refused[HBONE_R_TRUNCATED], 0);
	assert_still_serving();
}

static bool accepted_one(void *arg)
{
	return w.accepted == 1;
}

/* TCP connects and says nothing: the handshake deadline (moved clock)
 * ends it. */
static void handshake_never_finishes(void)
{
	struct raw r;

	CU_ASSERT_EQUAL_FATAL(raw_tcp(&r), 0);
	CU_ASSERT(world_until(&w, accepted_one, NULL));
	CU_ASSERT_FATAL(w.accepted == 1 && w.n_srv == 1);
	CU_ASSERT_FALSE(hbone_conn_ready(w.srv[0]));
	w.skew_ms += HBONE_HANDSHAKE_MS;
	CU_ASSERT(world_until(&w, no_server, NULL));
	CU_ASSERT_EQUAL(w.scnt.refused[HBONE_R_HANDSHAKE_TIMEOUT], 1);
	raw_close(&r);
	assert_still_serving();
}

/* A client certificate from another CA: the server's TLS refuses it. */
static void client_of_another_ca(void)
{
	struct tp_pki other_pki;
	struct tls_ca other;
	struct tls_svid leaf;
	struct spiffe_id id;
	struct tls_ctx *ctx;
	struct raw r;
	char why[160];

	CU_ASSERT_EQUAL_FATAL(tp_pki_make(&other_pki), 0);
	CU_ASSERT_EQUAL_FATAL(tp_pki_ca(&other_pki, &other), 0);
	CU_ASSERT_EQUAL_FATAL(spiffe_parse(WORLD_CLIENT_ID, strlen(WORLD_CLIENT_ID), &id), 0);
	CU_ASSERT_EQUAL_FATAL(tls_svid_issue(&leaf, &other, &id, time(NULL),
					     SVID_TTL_DEFAULT), 0);
	/* trusts the server, is not trusted */
	ctx = tls_ctx_new(&w.ca, &leaf, &(struct tls_ctx_opts){ 0 }, why,
			  sizeof(why));
	CU_ASSERT_FATAL(ctx != NULL);
	raw_tls(&r, ctx);
	/* TLS 1.3: the client may finish before the server refuses */
	raw_write(&r, "x", 1);
	CU_ASSERT(world_until(&w, no_server, NULL));
	CU_ASSERT_EQUAL(w.scnt.refused[HBONE_R_TLS], 1);
	CU_ASSERT_EQUAL(w.srv_tls_refused[TLS_R_OTHER_CA], 1);
	raw_close(&r);
	tls_ctx_put(ctx);
	tls_svid_free(&leaf);
	tls_ca_free(&other);
	tp_pki_free(&other_pki);
	assert_still_serving();
}

static bool server_open(void *arg)
{
	return w.n_srv == 1 && hbone_conn_ready(w.srv[0]) && w.srv[0]->next_ping;
}

static bool server_pinged(void *arg)
{
	return w.n_srv == 1 && w.srv[0]->ping_outstanding;
}

/* A peer that speaks HTTP/2 but never reads: no PING ACK within the
 * timeout ends the connection. */
static void ping_never_acked(void)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				      "\0\0\0\4\0\0\0\0\0";
	struct raw r;

	CU_ASSERT_EQUAL_FATAL(raw_tls(&r, w.cctx), 0);
	CU_ASSERT_EQUAL(raw_write(&r, preface, sizeof(preface) - 1), 0);
	CU_ASSERT_FATAL(world_until(&w, server_open, NULL));
	w.skew_ms += HBONE_PING_INTERVAL_MS;
	CU_ASSERT_FATAL(world_until(&w, server_pinged, NULL));
	w.skew_ms += HBONE_PING_TIMEOUT_MS;
	CU_ASSERT(world_until(&w, no_server, NULL));
	CU_ASSERT_EQUAL(w.scnt.refused[HBONE_R_PING_TIMEOUT], 1);
	raw_close(&r);
}

static bool is_closed(void *arg)
{
	return ((struct cstream *)arg)->closed;
}

/* The client requires exactly the destination's SPIFFE ID: a server with
 * another one gets no stream. */
static void client_wrong_server_id(void)
{
	struct hbone_pool_key k;
	struct cstream cs = { 0 };

	world_key(&w, &k);
	strcpy(k.dst_id, WORLD_TD "/ns/ml/sa/someone-else");
	cs.s = hbone_pool_open(&w.pool, &k, "127.0.0.1:7", &cs, world_now(&w));
	CU_ASSERT_FATAL(cs.s != NULL);
	CU_ASSERT(world_until(&w, is_closed, &cs));
	CU_ASSERT_EQUAL(cs.status, 0);
	CU_ASSERT_NOT_EQUAL(cs.h2_error, 0);
	CU_ASSERT_EQUAL(w.ccnt.refused[HBONE_R_TLS], 1);
	bytebuf_free(&cs.got);
}

UNIT_SUITE(proxy_hbone_bad)
{
	s->pSetUpFunc = setup;
	s->pTearDownFunc = teardown;
	UNIT_TEST(s, garbage_bytes);
	UNIT_TEST(s, truncated_frame);
	UNIT_TEST(s, close_between_frames);
	UNIT_TEST(s, handshake_never_finishes);
	UNIT_TEST(s, client_of_another_ca);
	UNIT_TEST(s, ping_never_acked);
	UNIT_TEST(s, client_wrong_server_id);
}
