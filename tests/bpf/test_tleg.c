// SPDX-License-Identifier: Apache-2.0
/*
 * The inbound side for real (user/proxy/inpod.c, tleg.c, the tc guard):
 * a node namespace routes between two pods A and B (namespaces behind
 * veths); the tc guard sits at egress of A's veth on the node side, A's
 * port 8080 is STRICT. B dials A's :15008 (the agent's in-pod listener),
 * a small relay here opens the transparent leg inside A from B's address
 * to the app, and one request and its answer go through. The test runs
 * in a node namespace of its own (dp_netns.h), the pods are fds: all of
 * it goes when the fixture does, even when a check fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture_fix.h"
#include "dataplane/guard.h"
#include "proxy/tleg.h"

#define A_IP	IP4(10, 213, 1, 2)
#define A_GW	IP4(10, 213, 1, 1)
#define B_IP	IP4(10, 213, 2, 2)
#define APP	8080
#define WAIT_MS	2000		/* bound on every wait for a packet */
#define DROP_MS	300		/* a dropped SYN: the connect gives up */

struct tfix {
	int here;			/* where the test came from */
	int a, b;			/* the pods' namespaces */
	struct dp dp;
	bool loaded;
	int app_fd;			/* the app's listener in A */
	struct inpod_listeners l;	/* the agent's, in A */
};

static void fix_down(struct tfix *f)
{
	if (f->app_fd >= 0)
		close(f->app_fd);
	inpod_close(&f->l);
	if (f->a >= 0)
		close(f->a);
	if (f->b >= 0)
		close(f->b);
	if (f->here >= 0)		/* the veths and the filter go too */
		dp_ns_leave(f->here);
	if (f->loaded)
		dp_destroy(&f->dp);
}

/* The node (this process's namespace now) routes between the pods. */
static int topology(struct tfix *f)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	int err = fd < 0 || write(fd, "1", 1) != 1;

	if (fd >= 0)
		close(fd);
	return err | dp_wire_pod(f->a, "a0", "10.213.1.2", "10.213.1.1") |
	       dp_wire_pod(f->b, "b0", "10.213.2.2", "10.213.2.1");
}

static int app_listen(void *unused)
{
	return capfix_listen(htonl(A_IP), htons(APP), NULL);
}

/* A is a STRICT workload of this node, port 8080 too. */
static void strict_a(struct dp *dp)
{
	struct im_wlport wp = { .mode = IM_MODE_STRICT };
	struct im_local loc = { .mode = IM_MODE_STRICT };
	__u32 ip = htonl(A_IP);

	CHECK_EQ(dp_put_wlport(dp, 0, ip, htons(APP), &wp), 0, "A:8080");
	CHECK_EQ(dp_put_wlport(dp, 0, ip, 0, &wp), 0, "A's other ports");
	CHECK_EQ(dp_sync_local(dp, &ip, &loc, 1, true), 0, "A is local");
}

static bool fix_up(struct tfix *f)
{
	struct dp_opts o = { .capture = true };
	struct dp_guard g = { .name = "a0", .kind = DP_GUARD_TC_EGRESS };
	bool ok;

	memset(f, 0, sizeof(*f));
	f->app_fd = f->a = f->b = -1;
	f->l.capture_fd = f->l.hbone_fd = -1;
	f->here = dp_ns_enter();
	if (f->here < 0)
		return false;
	f->loaded = dp_test_load(&f->dp, &o) == 0;
	ok = f->loaded && CHECK_EQ((f->a = dp_ns_new()) >= 0, 1, "pod A") &&
	     CHECK_EQ((f->b = dp_ns_new()) >= 0, 1, "pod B") &&
	     CHECK_EQ(topology(f), 0, "node, pods A and B") &&
	     CHECK_EQ(dp_guard_attach(&f->dp, &g), 0,
		      "tc guard at egress of a0");
	if (ok)
		f->app_fd = inpod_call(f->a, app_listen, NULL);
	ok = ok && CHECK_EQ(f->app_fd >= 0, 1, "the app listens in A") &&
	     CHECK_EQ(inpod_listen(f->a, htonl(A_IP), &f->l), 0,
		      "the agent's listeners in A");
	if (ok)
		strict_a(&f->dp);
	else
		fix_down(f);
	return ok;
}

struct dial {
	__u16 port;		/* A's, host order */
	int mark;		/* SO_MARK; 0: none */
	int timeout_ms;
};

/* From inside B: a connected socket to A:<port> or -errno. */
static int dial_from_b(void *p)
{
	const struct dial *d = p;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(d->port),
				  .sin_addr.s_addr = htonl(A_IP) };
	struct pollfd pfd = { .events = POLLOUT };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -errno;
	if (d->mark)
		setsockopt(fd, SOL_SOCKET, SO_MARK, &d->mark, sizeof(d->mark));
	pfd.fd = fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno != EINPROGRESS)
		err = errno;
	else if (poll(&pfd, 1, d->timeout_ms) != 1)
		err = ETIMEDOUT;
	else
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

/* A connection <lfd> has, waiting at most WAIT_MS; its peer in <peer>. */
static int accept_one(int lfd, struct sockaddr_in *peer)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	socklen_t len = sizeof(*peer);

	if (poll(&p, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	return accept4(lfd, (struct sockaddr *)peer, &len, SOCK_CLOEXEC);
}

/* Moves what <from> has (waiting at most WAIT_MS) to <to>: the relay's
 * one step. Returns the bytes moved. */
static int relay(int from, int to)
{
	struct pollfd p = { .fd = from, .events = POLLIN };
	char buf[256];
	ssize_t n;

	if (poll(&p, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return -EIO;
	return write(to, buf, (size_t)n) == n ? (int)n : -EIO;
}

/* What <fd> has, waiting at most WAIT_MS, into <buf> (NUL-terminated). */
static int read_some(int fd, char *buf, size_t n)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t got;

	if (poll(&p, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	got = read(fd, buf, n - 1);
	buf[got > 0 ? got : 0] = 0;
	return (int)got;
}

/* B's address as the leg's source: the app's view of who called. */
static const struct sockaddr_in *b_addr(void)
{
	static struct sockaddr_in sa;

	sa = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(B_IP) };
	return &sa;
}

static const struct sockaddr_in *app_addr(void)
{
	static struct sockaddr_in sa;

	sa = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_port = htons(APP),
				   .sin_addr.s_addr = htonl(A_IP) };
	return &sa;
}

static void tleg_app_sees_remote_source(void)
{
	struct dial to_hbone = { .port = IM_HBONE_PORT, .timeout_ms = WAIT_MS };
	int client = -1, tunnel = -1, leg = -1, app = -1;
	struct sockaddr_in peer, seen;
	socklen_t len = sizeof(seen);
	char got[8] = { 0 };
	struct tfix f;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	client = inpod_call(f.b, dial_from_b, &to_hbone);
	if (!CHECK_EQ(client >= 0 ? 0 : client, 0,
		      "B reaches A:15008 through the guard"))
		goto out;
	tunnel = accept_one(f.l.hbone_fd, &peer);
	if (!CHECK_EQ(tunnel >= 0, 1, "the agent's 15008 accepted it") ||
	    !CHECK_EQ(ntohl(peer.sin_addr.s_addr), B_IP, "from B"))
		goto out;
	CHECK_EQ(tleg_setup(f.a), 0, "A's namespace prepared");
	CHECK_EQ(tleg_setup(f.a), 0, "... and again: no change");
	leg = tleg_connect(f.a, b_addr(), app_addr(), WAIT_MS);
	if (!CHECK_EQ(leg >= 0 ? 0 : leg, 0, "the leg to the app is up"))
		goto out;
	app = accept_one(f.app_fd, &peer);
	if (!CHECK_EQ(app >= 0, 1, "the app accepted the leg"))
		goto out;
	CHECK_EQ(getpeername(app, (struct sockaddr *)&seen, &len), 0,
		 "getpeername");
	CHECK_EQ(ntohl(seen.sin_addr.s_addr), B_IP,
		 "the app sees B's address");
	CHECK_EQ(write(client, "ping", 4), 4, "B sends its request");
	CHECK_EQ(relay(tunnel, leg), 4, "relay: tunnel -> leg");
	CHECK_EQ(relay(app, app), 4, "the app answers with what it read");
	CHECK_EQ(relay(leg, tunnel), 4,
		 "relay: leg -> tunnel (the app's reply to B's address "
		 "reached the leg)");
	CHECK_EQ(read_some(client, got, sizeof(got)), 4, "B has the answer");
	CHECK_EQ(strcmp(got, "ping"), 0, "intact");
out:
	if (client >= 0)
		close(client);
	if (tunnel >= 0)
		close(tunnel);
	if (leg >= 0)
		close(leg);
	if (app >= 0)
		close(app);
	fix_down(&f);
}

/* Without the reply route the app answers B's address through its
 * interface, and the leg never comes up: the setup is what makes it. */
static void tleg_needs_reply_route(void)
{
	struct tfix f;
	int leg;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	leg = tleg_connect(f.a, b_addr(), app_addr(), DROP_MS);
	CHECK_EQ(leg, -ETIMEDOUT, "no leg without tleg_setup()");
	if (leg >= 0)
		close(leg);
	fix_down(&f);
}

/* Plaintext from B to the STRICT port is dropped at A's veth, counted;
 * B cannot pass as the agent's leg by marking its packets (the mark does
 * not survive the way into another namespace). */
static void tleg_guard_drops_plaintext(void)
{
	struct dial plain = { .port = APP, .timeout_ms = DROP_MS };
	struct dial forged = { .port = APP, .mark = TLEG_MARK,
			       .timeout_ms = DROP_MS };
	uint64_t d0[IM_DROP_MAX], d1[IM_DROP_MAX], d2[IM_DROP_MAX];
	struct tfix f;
	int fd;

	NEED_ROOT();
	if (!fix_up(&f))
		return;
	dp_test_drops(&f.dp, d0);
	fd = inpod_call(f.b, dial_from_b, &plain);
	CHECK_EQ(fd, -ETIMEDOUT, "B's plaintext to A:8080 never connects");
	if (fd >= 0)
		close(fd);
	dp_test_drops(&f.dp, d1);
	CHECK_EQ(d1[IM_DROP_STRICT_PLAINTEXT] > d0[IM_DROP_STRICT_PLAINTEXT],
		 1, "counted as strict_plaintext");
	fd = inpod_call(f.b, dial_from_b, &forged);
	CHECK_EQ(fd, -ETIMEDOUT, "marked 0x539 it is dropped the same");
	if (fd >= 0)
		close(fd);
	dp_test_drops(&f.dp, d2);
	CHECK_EQ(d2[IM_DROP_STRICT_PLAINTEXT] > d1[IM_DROP_STRICT_PLAINTEXT],
		 1, "counted again");
	CHECK_EQ(capfix_accept_all(f.app_fd), 0, "the app saw none of it");
	fix_down(&f);
}

UNIT_SUITE(tleg)
{
	UNIT_TEST(s, tleg_app_sees_remote_source);
	UNIT_TEST(s, tleg_needs_reply_route);
	UNIT_TEST(s, tleg_guard_drops_plaintext);
}
