// SPDX-License-Identifier: Apache-2.0
/*
 * The engine's :15008 driven directly by HBONE client code (user/proxy
 * hbone*.c with a tls_conn), from the node's address: a CONNECT to an
 * address that is not the pod's is answered 400, a client certificate
 * from another CA never gets through the handshake, a CONNECT to a port
 * of the pod where nothing listens is answered 503; each is counted by
 * its reason, and a well-formed CONNECT from the same client gets 200
 * first (the input is right; only what the test changes is refused).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine_fix.h"
#include "proxy/hbone.h"
#include "tls/conn.h"

struct probe {
	int status;		/* 0: no answer yet */
	bool closed;
};

static void on_response(void *ctx, struct hbone_stream *s, int status)
{
	((struct probe *)ctx)->status = status;
}

static void on_closed(void *ctx, struct hbone_stream *s, uint32_t err)
{
	((struct probe *)ctx)->closed = true;
}

static const struct hbone_ops probe_ops = {
	.response = on_response, .closed = on_closed,
};

/* A TCP connection from here (the node) to B's :15008, or -errno. */
static int dial_b(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(IM_HBONE_PORT),
				  .sin_addr.s_addr = htonl(EF_B_IP) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	/* connected, then non-blocking: what hbone_conn wants */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A client handshake as <ctx> expecting B's identity, on a new
 * connection; NULL when it cannot start. */
static struct tls_conn *client_to_b(struct tls_ctx *ctx, int *fd)
{
	struct spiffe_id want;

	*fd = dial_b();
	if (*fd < 0 || spiffe_parse(EF_B_ID, strlen(EF_B_ID), &want))
		return NULL;
	return tls_conn_client(ctx, *fd, &want, NULL);
}

/* Sends CONNECT <authority> on <c> and waits for the answer. */
static int connect_status(struct hbone_conn *c, const char *authority)
{
	uint64_t until = ef_now_ms() + EF_WAIT_MS;
	struct probe p = { 0 };

	if (!hbone_client_open(c, authority, &p))
		return -1;
	while (!p.status && !p.closed && !hbone_conn_done(c) &&
	       ef_now_ms() < until) {
		struct pollfd pf = {
			.fd = hbone_conn_fd(c),
			.events = POLLIN | (hbone_conn_wants_write(c) ? POLLOUT
								     : 0),
		};

		if (poll(&pf, 1, 100) < 0)
			break;
		if (pf.revents & (POLLIN | POLLERR | POLLHUP))
			hbone_conn_on_readable(c, ef_now_ms());
		if (pf.revents & POLLOUT)
			hbone_conn_on_writable(c, ef_now_ms());
		hbone_conn_tick(c, ef_now_ms());
	}
	return p.status;
}

static char a_ip_port[32], b_ip_port[32], b_closed_port[32];

static void authorities(void)
{
	snprintf(a_ip_port, sizeof(a_ip_port), "10.214.1.2:%d", EF_APP);
	snprintf(b_ip_port, sizeof(b_ip_port), "10.214.2.2:%d", EF_APP);
	snprintf(b_closed_port, sizeof(b_closed_port), "10.214.2.2:%d",
		 EF_APP + 1);
}

static void engine_inbound_not_local(void)
{
	struct hbone_counters hc = { 0 };
	struct hbone_conf cf = { .ops = &probe_ops, .owner = NULL,
				 .counters = &hc };
	struct spiffe_id a;
	struct hbone_conn *c = NULL;
	struct tls_conn *t = NULL;
	struct tls_ctx *ctx;
	struct px_counters n;
	struct efix f;
	char why[128];
	int fd = -1, app;

	NEED_ROOT();
	authorities();
	if (!ef_up(&f))
		return;
	spiffe_parse(EF_A_ID, strlen(EF_A_ID), &a);
	ctx = tls_idents_get(&f.idents, &a, time(NULL), why, sizeof(why));
	if (CHECK_EQ(ctx != NULL, 1, "A's SVID"))
		t = client_to_b(ctx, &fd);
	tls_ctx_put(ctx);
	if (!CHECK_EQ(t != NULL, 1, "a TLS client towards B's :15008"))
		goto out;
	c = hbone_conn_new_tls(fd, t, &cf, ef_now_ms());
	if (!CHECK_EQ(c != NULL, 1, "HBONE client") ||
	    !CHECK_EQ(hbone_conn_expect_peer(c, EF_B_ID), 0, "expects B"))
		goto out;
	CHECK_EQ(connect_status(c, b_ip_port), 200, "CONNECT to B itself");
	app = ef_accept_app(&f, &(struct sockaddr_in){ 0 }, EF_WAIT_MS);
	CHECK_EQ(app >= 0, 1, "B's app got that one");
	if (app >= 0)
		close(app);
	CHECK_EQ(connect_status(c, a_ip_port), 400,
		 "CONNECT to A's address on B's :15008");
	/* B itself, a port nobody listens on: the leg is refused */
	CHECK_EQ(connect_status(c, b_closed_port), 503,
		 "CONNECT to a port of B without a listener");
	ef_counters(&f, &n);
	CHECK_EQ(n.refused[PX_R_WORKLOAD_DOWN], 1, "counted: workload down");
	CHECK_EQ(n.refused[PX_R_NOT_LOCAL], 1, "counted: not local");
	CHECK_EQ(n.in_streams, 1, "only the first reached an app");
out:
	hbone_conn_free(c);
	ef_down(&f);
}

/* TLS 1.3: the client may finish before the server judged its
 * certificate; then the server's alert ends the connection. */
static bool ended(struct tls_conn *t, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;

	if (tls_conn_handshake_wait(t, EF_WAIT_MS) == TLS_HS_REFUSED)
		return true;
	if (poll(&p, 1, EF_WAIT_MS) != 1)
		return false;
	return SSL_read(tls_conn_ssl(t), &b, 1) <= 0;
}

static void engine_inbound_other_ca(void)
{
	struct tls_ctx_opts o = { 0 };
	struct tls_idents other;
	struct tls_ca ca, cross;
	struct spiffe_id a;
	struct tls_ctx *ctx = NULL;
	struct tls_conn *t = NULL;
	struct efix f;
	char why[128];
	int fd = -1;

	NEED_ROOT();
	if (!ef_up(&f))
		return;
	spiffe_parse(EF_A_ID, strlen(EF_A_ID), &a);
	if (!CHECK_EQ(ef_ca_make(&ca), true, "another CA"))
		goto out;
	/* issuing from the other CA, trusting the mesh's: the client accepts
	 * B, B must refuse the client */
	cross = ca;
	cross.roots = f.ca.roots;
	if (!CHECK_EQ(tls_idents_init(&other, &cross, 3600, &o), 0,
		      "its store"))
		goto out;
	/* A's very identity, from a CA the mesh does not trust */
	ctx = tls_idents_get(&other, &a, time(NULL), why, sizeof(why));
	if (CHECK_EQ(ctx != NULL, 1, "an SVID of the other CA"))
		t = client_to_b(ctx, &fd);
	if (CHECK_EQ(t != NULL, 1, "a TLS client towards B's :15008"))
		CHECK_EQ(ended(t, fd), 1, "B's side ends it");
	CHECK_EQ(EF_WAIT(&f, tls_refused[TLS_R_OTHER_CA], 1), 1,
		 "counted: other CA");
	tls_conn_free(t);
	if (fd >= 0)
		close(fd);
	tls_ctx_put(ctx);
	tls_idents_free(&other);
out:
	tls_ca_free(&ca);
	ef_down(&f);
}

UNIT_SUITE(engine_in)
{
	UNIT_TEST(s, engine_inbound_not_local);
	UNIT_TEST(s, engine_inbound_other_ca);
}
