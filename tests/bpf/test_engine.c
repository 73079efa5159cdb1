// SPDX-License-Identifier: Apache-2.0
/*
 * The proxy engine end to end (user/proxy/engine.c and px_*.c), without
 * the agent: pod A's plain connect() to a service VIP is captured by the
 * kernel, carried by the engine over an HBONE tunnel (mTLS, A's SVID,
 * B's proven) from A's address to B's :15008, answered by the engine on
 * B's side after policy, and delivered to B's app from A's own address.
 * Refusals are counted by their exact reason. The world is in
 * engine_fix.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine_fix.h"
#include "tls/ktls.h"

#define TOTAL (4u << 20)	/* bytes each way */
#define ECHO_MS 30000

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 13));
}

struct echo {
	int cli, srv;
	size_t sent, back, srv_in, srv_out;
	bool cli_shut, srv_eof, srv_shut, cli_eof, bad;
	unsigned char sbuf[65536];	/* the server's, in flight */
};

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void cli_send(struct echo *x)
{
	unsigned char buf[16384];
	size_t i, n = TOTAL - x->sent < sizeof(buf) ? TOTAL - x->sent
						    : sizeof(buf);
	ssize_t w;

	for (i = 0; i < n; i++)
		buf[i] = pattern(x->sent + i);
	w = send(x->cli, buf, n, MSG_NOSIGNAL);
	if (w > 0)
		x->sent += (size_t)w;
	if (x->sent == TOTAL && !x->cli_shut) {
		shutdown(x->cli, SHUT_WR);	/* half-close: reads go on */
		x->cli_shut = true;
	}
}

static void cli_recv(struct echo *x)
{
	unsigned char buf[16384];
	ssize_t r = recv(x->cli, buf, sizeof(buf), 0), i;

	if (r == 0)
		x->cli_eof = true;
	if (r < 0 && errno != EAGAIN)
		x->bad = x->cli_eof = true;
	for (i = 0; i < r; i++)
		if (buf[i] != pattern(x->back + (size_t)i))
			x->bad = true;
	if (r > 0)
		x->back += (size_t)r;
}

/* The server echoes what it reads, and half-closes after the client's
 * EOF once everything went back. */
static void srv_step(struct echo *x, short rev)
{
	ssize_t r;

	if (x->srv_out < x->srv_in) {
		r = send(x->srv, x->sbuf + x->srv_out, x->srv_in - x->srv_out,
			 MSG_NOSIGNAL);
		if (r > 0)
			x->srv_out += (size_t)r;
	}
	if (x->srv_out == x->srv_in) {
		x->srv_in = x->srv_out = 0;
		if (!x->srv_eof && rev & POLLIN) {
			r = recv(x->srv, x->sbuf, sizeof(x->sbuf), 0);
			if (r > 0)
				x->srv_in = (size_t)r;
			else if (!r || errno != EAGAIN)
				x->srv_eof = true;
		}
	}
	if (x->srv_eof && x->srv_out == x->srv_in && !x->srv_shut) {
		shutdown(x->srv, SHUT_WR);
		x->srv_shut = true;
	}
}

/* TOTAL bytes from the client, echoed by the server, back intact; both
 * half-closes arrive. */
static bool echo_through(int cli, int srv)
{
	struct echo *x = calloc(1, sizeof(*x));
	uint64_t until = ef_now_ms() + ECHO_MS;
	bool ok;

	if (!x)
		return false;
	x->cli = cli;
	x->srv = srv;
	nonblock(cli);
	nonblock(srv);
	while (!x->cli_eof && ef_now_ms() < until) {
		struct pollfd p[2] = {
			{ .fd = cli, .events = POLLIN |
				     (x->sent < TOTAL ? POLLOUT : 0) },
			{ .fd = srv, .events = (x->srv_eof ? 0 : POLLIN) |
				     (x->srv_out < x->srv_in ? POLLOUT : 0) },
		};

		if (poll(p, 2, 100) < 0)
			break;
		if (p[0].revents & POLLOUT)
			cli_send(x);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			cli_recv(x);
		srv_step(x, p[1].revents);
	}
	ok = CHECK_EQ(x->sent, TOTAL, "the client sent it all") &&
	     CHECK_EQ(x->back, TOTAL, "and got it all back") &&
	     CHECK_EQ(x->bad, 0, "intact") &&
	     CHECK_EQ(x->srv_eof, 1, "the server saw the client's EOF") &&
	     CHECK_EQ(x->cli_eof, 1, "the client saw the server's");
	free(x);
	return ok;
}

struct tun_seen {
	int n, outbound, inbound;
	uint64_t out_streams_total;
	bool out_peer_b, in_peer_a, openssl;
};

static void see_tunnel(void *ctx, const struct px_tunnel *t)
{
	struct tun_seen *s = ctx;

	s->n++;
	if (t->outbound) {
		s->outbound++;
		s->out_streams_total += t->streams_total;
		s->out_peer_b = !strcmp(t->peer_id, EF_B_ID) &&
				t->peer_ip == htonl(EF_B_IP);
	} else {
		s->inbound++;
		s->in_peer_a = !strcmp(t->peer_id, EF_A_ID) &&
			       t->peer_ip == htonl(EF_A_IP);
	}
	/* without kTLS in the kernel (this machine's) OpenSSL does the
	 * records, and the view says why */
	s->openssl = t->crypto_why && *t->crypto_why &&
		     (ktls_kernel_has_tls(NULL, 0) ||
		      (t->crypto == PX_CRYPTO_OPENSSL &&
		       strstr(t->crypto_why, "kTLS")));
}

/* One call carried: A dials the VIP, B's app accepts it from A's own
 * address, the bytes echo. */
static bool one_call(struct efix *f)
{
	struct sockaddr_in peer;
	int cli = ef_dial_captured(f), srv = -1;
	bool ok;

	ok = CHECK_EQ(cli >= 0 ? 0 : cli, 0, "A's connect to the VIP");
	if (ok)
		srv = ef_accept_app(f, &peer, EF_WAIT_MS);
	ok = ok && CHECK_EQ(srv >= 0, 1, "B's app got the call") &&
	     CHECK_EQ(ntohl(peer.sin_addr.s_addr), EF_A_IP,
		      "from A's address, not the proxy's") &&
	     echo_through(cli, srv);
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	return ok;
}

static bool wait_fds(int want)
{
	uint64_t until = ef_now_ms() + EF_WAIT_MS;

	while (ef_fd_count() != want && ef_now_ms() < until)
		usleep(2000);
	return ef_fd_count() == want;
}

static void engine_carries_captured_call(void)
{
	struct tun_seen seen = { 0 };
	struct px_counters c;
	struct efix f;
	int base;

	NEED_ROOT();
	if (!ef_up(&f))
		return;
	if (!one_call(&f))
		goto out;
	ef_counters(&f, &c);
	CHECK_EQ(c.out_accepted, 1, "one captured call");
	CHECK_EQ(c.out_streams, 1, "one stream answered 200");
	CHECK_EQ(c.in_tunnels, 1, "one TLS handshake served on B's :15008");
	CHECK_EQ(c.in_streams, 1, "one leg to B's app");
	CHECK_EQ(c.bytes_out, 2ull * TOTAL, "app bytes to the peer, both ends");
	CHECK_EQ(c.bytes_in, 2ull * TOTAL, "and from it");
	/* the tunnel stays pooled: the fds of a second call are the
	 * baseline's plus nothing once it closed */
	base = ef_fd_count();
	if (!one_call(&f))
		goto out;
	ef_counters(&f, &c);
	CHECK_EQ(c.in_tunnels, 1, "the second call reused the tunnel");
	CHECK_EQ(c.out_streams, 2, "as a second stream");
	CHECK_EQ(px_engine_tunnels(f.e, see_tunnel, &seen), 2,
		 "two tunnels listed (both ends of one)");
	CHECK_EQ(seen.outbound, 1, "one outbound");
	CHECK_EQ(seen.inbound, 1, "one inbound");
	CHECK_EQ(seen.out_streams_total, 2, "two streams on it");
	CHECK_EQ(seen.out_peer_b, 1, "B proved its SPIFFE ID to A");
	CHECK_EQ(seen.in_peer_a, 1, "A proved its SPIFFE ID to B");
	CHECK_EQ(seen.openssl, 1, "userspace crypto, and why");
	CHECK_EQ(wait_fds(base), 1, "fds back to %d", base);
out:
	ef_down(&f);
}

/* The caller's connection is reset or closed, never carried. */
static bool refused(int cli)
{
	struct pollfd p = { .fd = cli, .events = POLLIN };
	char b;

	if (poll(&p, 1, EF_WAIT_MS) != 1)
		return false;
	return recv(cli, &b, 1, 0) <= 0;
}

static bool app_quiet(struct efix *f)
{
	struct sockaddr_in peer;
	int fd = ef_accept_app(f, &peer, 0);

	if (fd >= 0)
		close(fd);
	return fd < 0;
}

#define DENY_A \
	"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: no-a, namespace: ns-b}\n" \
	"spec:\n  selector: {matchLabels: {app: b}}\n  action: DENY\n" \
	"  rules:\n  - from:\n    - source: {principals: " \
	"[cluster.local/ns/ns-a/sa/sa-a]}\n"

static void engine_refuses_by_reason(void)
{
	struct px_counters c;
	struct efix f;
	int cli;

	NEED_ROOT();
	if (!ef_up(&f))
		return;
	/* a policy of B's denies A: 401 on B's side, A's call reset */
	if (!ef_policy(&f, DENY_A))
		goto out;
	cli = ef_dial_captured(&f);
	if (CHECK_EQ(cli >= 0 ? 0 : cli, 0, "A's connect to the VIP")) {
		CHECK_EQ(EF_WAIT(&f, refused[PX_R_DENIED], 1), 1,
			 "denied by policy, counted");
		CHECK_EQ(EF_WAIT(&f, refused[PX_R_UPSTREAM_STATUS], 1), 1,
			 "A's side saw the 401");
		CHECK_EQ(refused(cli), 1, "A's call ends");
		CHECK_EQ(app_quiet(&f), 1, "B's app never got it");
		close(cli);
	}
	ef_policy(&f, NULL);
	/* a socket on 15001 the kernel did not capture: no record */
	cli = ef_dial_in_a(&f, 0x7f000001, IM_CAPTURE_PORT);
	if (CHECK_EQ(cli >= 0 ? 0 : cli, 0, "a plain connect to A's 15001")) {
		CHECK_EQ(EF_WAIT(&f, refused[PX_R_NO_RECORD], 1), 1,
			 "refused: no record");
		CHECK_EQ(refused(cli), 1, "and reset");
		close(cli);
	}
	/* B leaves the directory: the endpoint is nobody we know */
	CHECK_EQ(px_engine_update(f.e, f.peers, 1), 1, "only A now");
	cli = ef_dial_captured(&f);
	if (CHECK_EQ(cli >= 0 ? 0 : cli, 0, "A's connect to the VIP")) {
		CHECK_EQ(EF_WAIT(&f, refused[PX_R_UNKNOWN_DEST], 1), 1,
			 "refused: unknown destination");
		CHECK_EQ(refused(cli), 1, "and reset");
		close(cli);
	}
	ef_counters(&f, &c);
	CHECK_EQ(c.out_streams, 0, "nothing was carried");
	CHECK_EQ(c.in_streams, 0, "nothing reached B");
	CHECK_EQ(app_quiet(&f), 1, "B's app got nothing");
out:
	ef_down(&f);
}

UNIT_SUITE(engine)
{
	UNIT_TEST(s, engine_carries_captured_call);
	UNIT_TEST(s, engine_refuses_by_reason);
}
