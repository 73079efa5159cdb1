// SPDX-License-Identifier: Apache-2.0
/* user/tls/idents.c and svid.c: SVIDs issued per identity, rotated at
 * half-life; new handshakes present the new certificate while a
 * connection made before keeps working on the old context. */
#include "harness.h"
#include "tls/idents.h"
#include "tls_fix.h"

#define TTL 3600

static void serial_of(struct tls_ctx *c, char *buf)
{
	fix_serial(c->leaf, buf, 64);
}

/* A handshake of <cli> against <srv>; returns the serial the server saw
 * from the client in <seen>. */
static void connect_pair(struct tls_ctx *cli, struct tls_ctx *srv,
			 struct fix_end *c, struct fix_end *s, int fd[2],
			 char *seen)
{
	struct spiffe_id want = srv->id;

	fix_pair(fd);
	c->t = tls_conn_client(cli, fd[0], &want, NULL);
	s->t = tls_conn_server(srv, fd[1]);
	CU_ASSERT_FATAL(c->t && s->t);
	fix_pump(c, s);
	if (c->state != 1 || s->state != 1)
		fprintf(stderr, "client %s, server %s\n",
			tls_refusal_name(tls_conn_reason(c->t)),
			tls_refusal_name(tls_conn_reason(s->t)));
	CU_ASSERT_FATAL(c->state == 1 && s->state == 1);
	fix_serial(SSL_get0_peer_certificate(tls_conn_ssl(s->t)), seen, 64);
}

static void test_rotation(void)
{
	struct spiffe_id gw = fix_id(FIX_TD, "ns2", "gateway");
	struct tls_ctx_opts o = { .resume = true };
	struct fix_end c1 = { 0 }, s1 = { 0 }, c2 = { 0 }, s2 = { 0 };
	char old[64], fresh[64], seen[64], why[256] = "";
	struct tls_ctx *a, *b, *srv;
	struct tls_idents st;
	struct tls_ca ca;
	int fd1[2], fd2[2];
	/* the store's clock starts half a lifetime back, so that both the
	 * first SVID and the one after rotation are valid now */
	time_t now = time(NULL) - TTL / 2 - 60;

	fix_ca(&ca);
	srv = fix_ctx(&ca, "ns1", "model");
	CU_ASSERT_EQUAL_FATAL(tls_idents_init(&st, &ca, TTL, &o), 0);
	a = tls_idents_get(&st, &gw, now, why, sizeof(why));
	CU_ASSERT_FATAL(a != NULL);
	serial_of(a, old);
	CU_ASSERT_EQUAL(tls_idents_next_renewal(&st), now + TTL / 2);
	/* before half-life: the same context, nothing to renew */
	b = tls_idents_get(&st, &gw, now + TTL / 2 - 1, why, sizeof(why));
	CU_ASSERT_PTR_EQUAL(a, b);
	tls_ctx_put(b);
	CU_ASSERT_EQUAL(tls_idents_rotate(&st, now + TTL / 2 - 1), 0);

	connect_pair(a, srv, &c1, &s1, fd1, seen);
	CU_ASSERT_STRING_EQUAL(seen, old);
	tls_ctx_put(a);	/* only the store and connection 1 hold it now */

	CU_ASSERT_EQUAL(tls_idents_rotate(&st, now + TTL / 2), 1);
	b = tls_idents_get(&st, &gw, now + TTL / 2, why, sizeof(why));
	CU_ASSERT_FATAL(b != NULL);
	serial_of(b, fresh);
	CU_ASSERT_STRING_NOT_EQUAL(fresh, old);
	CU_ASSERT_EQUAL(tls_idents_next_renewal(&st), now + TTL / 2 + TTL / 2);

	/* a new handshake presents the new certificate ... */
	connect_pair(b, srv, &c2, &s2, fd2, seen);
	CU_ASSERT_STRING_EQUAL(seen, fresh);
	/* ... and the connection from before still carries data both ways
	 * (its context is freed only with it: ASan would catch a use) */
	CU_ASSERT_TRUE(fix_echo(tls_conn_ssl(c1.t), tls_conn_ssl(s1.t), "old"));
	CU_ASSERT_TRUE(fix_echo(tls_conn_ssl(s1.t), tls_conn_ssl(c1.t), "back"));
	CU_ASSERT_TRUE(fix_echo(tls_conn_ssl(c2.t), tls_conn_ssl(s2.t), "new"));

	fix_end_free(&c1);
	fix_end_free(&s1);
	fix_end_free(&c2);
	fix_end_free(&s2);
	fix_close(fd1);
	fix_close(fd2);
	tls_ctx_put(b);
	tls_ctx_put(srv);
	tls_idents_free(&st);
	tls_ca_free(&ca);
}

/* get() renews lazily too, and drop() forgets an identity. */
static void test_get_renews_and_drop(void)
{
	struct spiffe_id gw = fix_id(FIX_TD, "ns2", "gateway");
	struct spiffe_id ms = fix_id(FIX_TD, "ns1", "model");
	struct tls_ctx_opts o = { 0 };
	char why[256] = "";
	struct tls_ctx *a, *b;
	struct tls_idents st;
	struct tls_ca ca;
	time_t now = time(NULL);

	fix_ca(&ca);
	CU_ASSERT_EQUAL(tls_idents_init(&st, &ca, SVID_TTL_MIN - 1, &o), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(tls_idents_init(&st, &ca, TTL, &o), 0);
	a = tls_idents_get(&st, &gw, now, why, sizeof(why));
	b = tls_idents_get(&st, &ms, now, why, sizeof(why));
	CU_ASSERT_FATAL(a && b && a != b);
	CU_ASSERT_EQUAL(st.n, 2);
	CU_ASSERT_STRING_EQUAL(b->id.sa, "model");
	tls_ctx_put(b);
	b = tls_idents_get(&st, &gw, now + TTL, why, sizeof(why));
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	CU_ASSERT(b->not_after == now + TTL + TTL);
	tls_idents_drop(&st, &gw);
	CU_ASSERT_EQUAL(st.n, 1);
	CU_ASSERT_STRING_EQUAL(b->id.sa, "gateway");	/* still ours */
	tls_ctx_put(a);
	tls_ctx_put(b);
	tls_idents_free(&st);
	tls_ca_free(&ca);
}

UNIT_SUITE(tls_idents)
{
	UNIT_TEST(s, test_rotation);
	UNIT_TEST(s, test_get_renews_and_drop);
}
