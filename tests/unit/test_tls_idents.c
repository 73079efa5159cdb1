// SPDX-License-Identifier: Apache-2.0
/* user/tls/idents.c and svid.c: SVIDs issued per identity, rotated at
 * half-life; new handshakes present the new certificate while a
 * connection made before keeps working on the old context. */
#include <pthread.h>

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

struct seen {
	int n, gw, ms;
	char gw_serial[64];
	bool bad;	/* an entry without a context or with a stale date */
};

static void see(void *ctx, const struct tls_ident *e)
{
	struct seen *s = ctx;

	s->n++;
	if (!e->ctx || e->renew_at >= e->ctx->not_after ||
	    !spiffe_eq(&e->id, &e->ctx->id))
		s->bad = true;
	if (!strcmp(e->id.sa, "gateway")) {
		s->gw++;
		if (e->ctx)
			fix_serial(e->ctx->leaf, s->gw_serial, 64);
	}
	s->ms += !strcmp(e->id.sa, "model");
}

/* each() visits every identity once with the context get() hands out. */
static void test_each(void)
{
	struct spiffe_id gw = fix_id(FIX_TD, "ns2", "gateway");
	struct spiffe_id ms = fix_id(FIX_TD, "ns1", "model");
	struct tls_ctx_opts o = { 0 };
	struct seen s = { 0 };
	char why[256] = "", serial[64];
	struct tls_idents st;
	struct tls_ctx *a, *b;
	struct tls_ca ca;
	time_t now = time(NULL);

	fix_ca(&ca);
	CU_ASSERT_EQUAL_FATAL(tls_idents_init(&st, &ca, TTL, &o), 0);
	CU_ASSERT_EQUAL(tls_idents_each(&st, see, &s), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	a = tls_idents_get(&st, &gw, now, why, sizeof(why));
	b = tls_idents_get(&st, &ms, now, why, sizeof(why));
	CU_ASSERT_FATAL(a && b);
	serial_of(a, serial);
	CU_ASSERT_EQUAL(tls_idents_each(&st, see, &s), 2);
	CU_ASSERT(s.n == 2 && s.gw == 1 && s.ms == 1 && !s.bad);
	CU_ASSERT_STRING_EQUAL(s.gw_serial, serial);
	tls_idents_drop(&st, &gw);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(tls_idents_each(&st, see, &s), 1);
	CU_ASSERT(s.gw == 0 && s.ms == 1);
	tls_ctx_put(a);
	tls_ctx_put(b);
	tls_idents_free(&st);
	tls_ca_free(&ca);
}

#define RACE_ROUNDS 100

struct racer {
	struct tls_idents *st;
	struct spiffe_id id;
	time_t now;
};

/* Renews the SVID on every round: each() on the other thread must never
 * see it half replaced (ASan would catch a freed context). */
static void *rotate_often(void *arg)
{
	struct racer *r = arg;
	char why[256];
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		struct tls_ctx *c = tls_idents_get(r->st, &r->id,
						   r->now + (time_t)i * TTL,
						   why, sizeof(why));

		tls_ctx_put(c);
	}
	return NULL;
}

static void test_each_while_rotating(void)
{
	struct tls_ctx_opts o = { 0 };
	struct tls_idents st;
	struct tls_ca ca;
	struct racer r;
	struct seen s = { 0 };
	pthread_t t;
	int i;

	fix_ca(&ca);
	CU_ASSERT_EQUAL_FATAL(tls_idents_init(&st, &ca, TTL, &o), 0);
	r = (struct racer){ &st, fix_id(FIX_TD, "ns2", "gateway"), time(NULL) };
	tls_ctx_put(tls_idents_get(&st, &r.id, r.now, s.gw_serial, 64));
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, rotate_often, &r), 0);
	for (i = 0; i < RACE_ROUNDS * 4; i++)
		tls_idents_each(&st, see, &s);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(s.n, RACE_ROUNDS * 4);
	CU_ASSERT_FALSE(s.bad);
	tls_idents_free(&st);
	tls_ca_free(&ca);
}

UNIT_SUITE(tls_idents)
{
	UNIT_TEST(s, test_rotation);
	UNIT_TEST(s, test_get_renews_and_drop);
	UNIT_TEST(s, test_each);
	UNIT_TEST(s, test_each_while_rotating);
}
