// SPDX-License-Identifier: Apache-2.0
/* user/tls/conn.c and ctx.c: real TLS 1.3 handshakes between infermesh
 * contexts (and plain OpenSSL peers) over socketpairs; each refusal must
 * carry its reason. */
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tls/conn.h"
#include "tls_fix.h"

struct hs {
	struct tls_ca ca;
	struct tls_ctx *srv, *cli;	/* server presents ns1/sa "model" */
	int fd[2];
	struct fix_end c, s;
};

static void hs_open(struct hs *h)
{
	memset(h, 0, sizeof(*h));
	fix_ca(&h->ca);
	h->srv = fix_ctx(&h->ca, "ns1", "model");
	h->cli = fix_ctx(&h->ca, "ns2", "gateway");
	fix_pair(h->fd);
}

static void hs_close(struct hs *h)
{
	fix_end_free(&h->c);
	fix_end_free(&h->s);
	fix_close(h->fd);
	tls_ctx_put(h->srv);
	tls_ctx_put(h->cli);
	tls_ca_free(&h->ca);
}

/* Client <cli> expecting <want> against server <srv>. */
static void run(struct hs *h, struct tls_ctx *cli, const struct spiffe_id *want)
{
	h->c.t = tls_conn_client(cli, h->fd[0], want, NULL);
	h->s.t = tls_conn_server(h->srv, h->fd[1]);
	CU_ASSERT_FATAL(h->c.t && h->s.t);
	fix_pump(&h->c, &h->s);
}

static void test_success_exact_san(void)
{
	struct spiffe_id want = fix_id(FIX_TD, "ns1", "model");
	const struct spiffe_id *p;
	const unsigned char *alpn;
	unsigned int alen;
	struct hs h;

	hs_open(&h);
	run(&h, h.cli, &want);
	CU_ASSERT_EQUAL(h.c.state, 1);
	CU_ASSERT_EQUAL(h.s.state, 1);
	p = tls_conn_peer(h.s.t);	/* the server learns the client */
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_STRING_EQUAL(p->td, FIX_TD);
	CU_ASSERT_STRING_EQUAL(p->ns, "ns2");
	CU_ASSERT_STRING_EQUAL(p->sa, "gateway");
	p = tls_conn_peer(h.c.t);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_TRUE(spiffe_eq(p, &want));
	SSL *s = tls_conn_ssl(h.s.t);
	CU_ASSERT_EQUAL(SSL_version(s), TLS1_3_VERSION);
	SSL_get0_alpn_selected(tls_conn_ssl(h.c.t), &alpn, &alen);
	CU_ASSERT(alen == 2 && !memcmp(alpn, "h2", 2));
	CU_ASSERT_PTR_NULL(SSL_get_servername(s, TLSEXT_NAMETYPE_host_name));
	CU_ASSERT(strstr(SSL_get_cipher_name(s), "AES") &&
		  strstr(SSL_get_cipher_name(s), "GCM"));
	/* only the leaves crossed the wire: the root is a trust anchor (a
	 * server's peer chain leaves the peer's leaf out) */
	CU_ASSERT_EQUAL(sk_X509_num(SSL_get_peer_cert_chain(s)), 0);
	CU_ASSERT_EQUAL(sk_X509_num(SSL_get_peer_cert_chain(
				tls_conn_ssl(h.c.t))), 1);
	CU_ASSERT_TRUE(fix_echo(tls_conn_ssl(h.c.t), s, "ping"));
	CU_ASSERT_TRUE(fix_echo(s, tls_conn_ssl(h.c.t), "pong"));
	hs_close(&h);
}

static void test_san_mismatch(void)
{
	struct spiffe_id want = fix_id(FIX_TD, "ns1", "other-sa");
	struct hs h;

	hs_open(&h);
	run(&h, h.cli, &want);
	CU_ASSERT_EQUAL(h.c.state, -1);
	CU_ASSERT_EQUAL(tls_conn_reason(h.c.t), TLS_R_SAN_MISMATCH);
	CU_ASSERT_PTR_NULL(tls_conn_peer(h.c.t));
	CU_ASSERT_EQUAL(h.s.state, -1);	/* the client's alert ends it */
	hs_close(&h);
}

/* Client certificates the server must refuse, by reason. */
static void refuse_client(struct tls_ctx *cli, struct hs *h,
			  enum tls_refusal want)
{
	struct spiffe_id srv = fix_id(FIX_TD, "ns1", "model");

	run(h, cli, &srv);
	CU_ASSERT_EQUAL(h->s.state, -1);
	CU_ASSERT_EQUAL(tls_conn_reason(h->s.t), want);
	if (tls_conn_reason(h->s.t) != want)
		fprintf(stderr, "server reason %s, want %s\n",
			tls_refusal_name(tls_conn_reason(h->s.t)),
			tls_refusal_name(want));
	CU_ASSERT_PTR_NULL(tls_conn_peer(h->s.t));
	/* the client learns it on its next read */
	char b[8];
	CU_ASSERT(SSL_read(tls_conn_ssl(h->c.t), b, sizeof(b)) <= 0);
	ERR_clear_error();
}

static void test_other_ca(void)
{
	struct tls_ca ca2;
	struct tls_ctx *cli;
	struct hs h;

	hs_open(&h);
	fix_ca(&ca2);
	/* issued by ca2 but trusting the server's roots, so that it is the
	 * server that refuses */
	cli = fix_ctx_cross(&ca2, &h.ca, "ns2", "gateway");
	refuse_client(cli, &h, TLS_R_OTHER_CA);
	tls_ctx_put(cli);
	tls_ca_free(&ca2);
	hs_close(&h);
}

static void test_expired(void)
{
	struct tls_ctx *cli;
	struct hs h;

	hs_open(&h);
	cli = fix_ctx_at(&h.ca, FIX_TD, "ns2", "gateway",
			 time(NULL) - 3 * 3600, 3600, true);
	refuse_client(cli, &h, TLS_R_EXPIRED);
	tls_ctx_put(cli);
	hs_close(&h);
}

static void test_other_trust_domain(void)
{
	struct tls_ctx *cli;
	struct hs h;

	hs_open(&h);
	cli = fix_ctx_at(&h.ca, "other.local", "ns2", "gateway", time(NULL),
			 3600, true);
	refuse_client(cli, &h, TLS_R_TRUST_DOMAIN);
	tls_ctx_put(cli);
	hs_close(&h);
}

/* ALPN offered without h2: a fatal alert, as rustls; none: accepted. */
static void test_alpn(void)
{
	static const unsigned char http11[] = { 8, 'h', 't', 't', 'p', '/',
						'1', '.', '1' };
	struct spiffe_id want = fix_id(FIX_TD, "ns1", "model");
	struct hs h;

	hs_open(&h);
	h.c.t = tls_conn_client(h.cli, h.fd[0], &want, NULL);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	CU_ASSERT_FATAL(h.c.t && h.s.t);
	CU_ASSERT(SSL_set_alpn_protos(tls_conn_ssl(h.c.t), http11,
				      sizeof(http11)) == 0);
	fix_pump(&h.c, &h.s);
	CU_ASSERT_EQUAL(h.s.state, -1);
	CU_ASSERT_EQUAL(tls_conn_reason(h.s.t), TLS_R_NO_ALPN_H2);
	CU_ASSERT_EQUAL(h.c.state, -1);
	CU_ASSERT_EQUAL(tls_conn_reason(h.c.t), TLS_R_PEER_ALERT);
	hs_close(&h);

	hs_open(&h);
	h.c.t = tls_conn_client(h.cli, h.fd[0], &want, NULL);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	CU_ASSERT_FATAL(h.c.t && h.s.t);
	CU_ASSERT(SSL_set_alpn_protos(tls_conn_ssl(h.c.t), NULL, 0) == 0);
	fix_pump(&h.c, &h.s);
	CU_ASSERT_EQUAL(h.s.state, 1);
	CU_ASSERT_EQUAL(h.c.state, 1);
	hs_close(&h);
}

/* A plain OpenSSL client context trusting our root. */
static SSL *raw_client(struct hs *h, int max_version, bool with_cert)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *s;

	CU_ASSERT_FATAL(c != NULL);
	SSL_CTX_set_max_proto_version(c, max_version);
	SSL_CTX_set1_cert_store(c, h->ca.roots);
	if (with_cert) {
		SSL_CTX_use_certificate(c, h->cli->leaf);
		/* the key is inside the client context: borrow it */
		SSL_CTX_use_PrivateKey(c, SSL_CTX_get0_privatekey(h->cli->client));
	}
	s = SSL_new(c);
	SSL_CTX_free(c);	/* the SSL holds its own reference */
	CU_ASSERT_FATAL(s != NULL);
	SSL_set_fd(s, h->fd[0]);
	SSL_set_connect_state(s);
	return s;
}

static void test_tls12_client(void)
{
	struct hs h;

	hs_open(&h);
	h.c.raw = raw_client(&h, TLS1_2_VERSION, true);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	fix_pump(&h.c, &h.s);
	CU_ASSERT_EQUAL(h.s.state, -1);
	CU_ASSERT_EQUAL(tls_conn_reason(h.s.t), TLS_R_VERSION);
	CU_ASSERT_EQUAL(h.c.state, -1);
	hs_close(&h);
}

static void test_no_client_cert(void)
{
	struct hs h;

	hs_open(&h);
	h.c.raw = raw_client(&h, TLS1_3_VERSION, false);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	fix_pump(&h.c, &h.s);
	CU_ASSERT_EQUAL(h.s.state, -1);
	CU_ASSERT_EQUAL(tls_conn_reason(h.s.t), TLS_R_NO_CLIENT_CERT);
	hs_close(&h);
}

/* The control: the same plain client with our certificate passes, so
 * the refusal above is about the certificate alone. */
static void test_raw_client_with_cert(void)
{
	struct hs h;

	hs_open(&h);
	h.c.raw = raw_client(&h, TLS1_3_VERSION, true);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	fix_pump(&h.c, &h.s);
	CU_ASSERT_EQUAL(h.s.state, 1);
	CU_ASSERT_EQUAL(h.c.state, 1);
	hs_close(&h);
}

static void test_garbage(void)
{
	static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct hs h;

	hs_open(&h);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	CU_ASSERT_FATAL(write(h.fd[0], junk, sizeof(junk) - 1) > 0);
	CU_ASSERT_EQUAL(tls_conn_handshake(h.s.t), TLS_HS_REFUSED);
	CU_ASSERT_EQUAL(tls_conn_reason(h.s.t), TLS_R_GARBAGE);
	hs_close(&h);
}

/* A ClientHello cut short, then EOF. */
static void test_truncated(void)
{
	struct hs h;
	char hello[4096];
	ssize_t n;

	hs_open(&h);
	struct spiffe_id want = fix_id(FIX_TD, "ns1", "model");
	h.c.t = tls_conn_client(h.cli, h.fd[0], &want, NULL);
	CU_ASSERT_EQUAL(tls_conn_handshake(h.c.t), TLS_HS_WANT_READ);
	n = read(h.fd[1], hello, sizeof(hello));	/* the ClientHello */
	CU_ASSERT_FATAL(n > 20);
	int p[2];
	fix_pair(p);
	h.s.t = tls_conn_server(h.srv, p[1]);
	CU_ASSERT_FATAL(write(p[0], hello, (size_t)n / 2) > 0);
	close(p[0]);
	p[0] = -1;
	CU_ASSERT_EQUAL(tls_conn_handshake(h.s.t), TLS_HS_REFUSED);
	CU_ASSERT_EQUAL(tls_conn_reason(h.s.t), TLS_R_TRUNCATED);
	hs_close(&h);
	fix_close(p);
}

/* A client that never speaks: the bounded wait refuses with TIMEOUT. */
static void test_timeout(void)
{
	struct hs h;

	hs_open(&h);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	CU_ASSERT_EQUAL(tls_conn_handshake_wait(h.s.t, 50), TLS_HS_REFUSED);
	CU_ASSERT_EQUAL(tls_conn_reason(h.s.t), TLS_R_TIMEOUT);
	hs_close(&h);
}

/* A full handshake, data (which carries the stateful ticket), then a
 * second connection offering the session. */
static SSL_SESSION *first_session(struct hs *h)
{
	struct spiffe_id want = fix_id(FIX_TD, "ns1", "model");
	SSL_SESSION *sess;

	run(h, h->cli, &want);
	CU_ASSERT_FATAL(h->c.state == 1 && h->s.state == 1);
	CU_ASSERT_FALSE(tls_conn_resumed(h->c.t));
	CU_ASSERT_TRUE(fix_echo(tls_conn_ssl(h->s.t), tls_conn_ssl(h->c.t), "x"));
	sess = tls_conn_session(h->c.t);
	CU_ASSERT_FATAL(sess != NULL);
	fix_end_free(&h->c);
	fix_end_free(&h->s);
	fix_close(h->fd);
	fix_pair(h->fd);
	return sess;
}

static void test_resumption(void)
{
	struct spiffe_id want = fix_id(FIX_TD, "ns1", "model");
	SSL_SESSION *sess;
	struct hs h;

	hs_open(&h);
	sess = first_session(&h);
	h.c.t = tls_conn_client(h.cli, h.fd[0], &want, sess);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	fix_pump(&h.c, &h.s);
	CU_ASSERT_EQUAL(h.c.state, 1);
	CU_ASSERT_EQUAL(h.s.state, 1);
	CU_ASSERT_TRUE(tls_conn_resumed(h.c.t));
	CU_ASSERT_TRUE(tls_conn_resumed(h.s.t));
	/* the identities survive resumption */
	CU_ASSERT(tls_conn_peer(h.s.t) &&
		  !strcmp(tls_conn_peer(h.s.t)->sa, "gateway"));
	CU_ASSERT(tls_conn_peer(h.c.t) && spiffe_eq(tls_conn_peer(h.c.t), &want));
	/* stateful tickets are single-use: the next resumption takes the
	 * ticket this connection got */
	SSL_SESSION_free(sess);
	CU_ASSERT_TRUE(fix_echo(tls_conn_ssl(h.s.t), tls_conn_ssl(h.c.t), "y"));
	sess = tls_conn_session(h.c.t);
	CU_ASSERT_FATAL(sess != NULL);
	fix_end_free(&h.c);
	fix_end_free(&h.s);
	fix_close(h.fd);

	/* a session offered where another identity is expected is refused:
	 * the handshake resumes (no verify callback runs), and the SAN
	 * check after it still refuses */
	fix_pair(h.fd);
	struct spiffe_id other = fix_id(FIX_TD, "ns1", "other-sa");
	h.c.t = tls_conn_client(h.cli, h.fd[0], &other, sess);
	h.s.t = tls_conn_server(h.srv, h.fd[1]);
	fix_pump(&h.c, &h.s);
	CU_ASSERT_EQUAL(SSL_session_reused(tls_conn_ssl(h.c.t)), 1);
	CU_ASSERT_EQUAL(h.c.state, -1);
	CU_ASSERT_EQUAL(tls_conn_reason(h.c.t), TLS_R_SAN_MISMATCH);
	CU_ASSERT_PTR_NULL(tls_conn_peer(h.c.t));
	SSL_SESSION_free(sess);
	hs_close(&h);
}

static void test_reason_names(void)
{
	int r;

	for (r = 0; r < TLS_R__COUNT; r++)
		CU_ASSERT_STRING_NOT_EQUAL(tls_refusal_name(r), "unknown");
	CU_ASSERT_STRING_EQUAL(tls_refusal_name(TLS_R__COUNT), "unknown");
	CU_ASSERT_STRING_EQUAL(tls_refusal_name(TLS_R_OTHER_CA), "other_ca");
}

UNIT_SUITE(tls_conn)
{
	UNIT_TEST(s, test_success_exact_san);
	UNIT_TEST(s, test_san_mismatch);
	UNIT_TEST(s, test_other_ca);
	UNIT_TEST(s, test_expired);
	UNIT_TEST(s, test_other_trust_domain);
	UNIT_TEST(s, test_alpn);
	UNIT_TEST(s, test_tls12_client);
	UNIT_TEST(s, test_no_client_cert);
	UNIT_TEST(s, test_raw_client_with_cert);
	UNIT_TEST(s, test_garbage);
	UNIT_TEST(s, test_truncated);
	UNIT_TEST(s, test_timeout);
	UNIT_TEST(s, test_resumption);
	UNIT_TEST(s, test_reason_names);
}
