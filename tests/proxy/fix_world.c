// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fix_world.h"
#include "proxy/hbone_int.h"

#define ECHO_CHUNK 16384
#define UNTIL_MS 5000

/* ---- the server's owner: an in-memory upstream that echoes ---- */

struct echo {
	struct world *w;
	struct hbone_stream *s;
	uint8_t buf[ECHO_CHUNK];
	size_t off, len;	/* read, not yet written back */
	bool shut;
};

static void echo_pump(struct echo *e)
{
	int i;

	if (e->w->hold)
		return;	/* an upstream that reads nothing for now */
	for (i = 0; i < 64; i++) {
		ssize_t n;

		if (e->len) {
			n = hbone_stream_write(e->s, e->buf + e->off, e->len);
			if (n <= 0)
				return;	/* full (writable() resumes) or gone */
			e->off += (size_t)n;
			e->len -= (size_t)n;
			if (e->len)
				return;
		}
		n = hbone_stream_read(e->s, e->buf, sizeof(e->buf));
		if (n == 0 && !e->shut) {
			e->shut = true;
			hbone_stream_shutdown(e->s);	/* EOF answers EOF */
		}
		if (n <= 0)
			return;
		e->off = 0;
		e->len = (size_t)n;
	}
}

static void srv_request(void *owner, struct hbone_stream *s,
			const struct authority *a, const char *peer_id)
{
	struct world *w = owner;
	struct echo *e;

	if (a->family != AF_INET || a->ip.v4.s_addr != w->addr.sin_addr.s_addr) {
		hbone_stream_respond(s, 400);	/* not this workload */
		hbone_stream_release(s);
		return;
	}
	if (w->deny_id && !strcmp(peer_id, w->deny_id)) {
		hbone_stream_respond(s, 401);
		hbone_stream_release(s);
		return;
	}
	e = a->port == WORLD_ECHO_PORT ? calloc(1, sizeof(*e)) : NULL;
	if (!e) {
		hbone_stream_respond(s, 503);	/* no upstream there */
		hbone_stream_release(s);
		return;
	}
	e->w = w;
	e->s = s;
	w->last_srv_stream = s;
	hbone_stream_set_ctx(s, e);
	hbone_stream_respond(s, 200);
}

static void srv_io(void *ctx, struct hbone_stream *s)
{
	if (ctx)
		echo_pump(ctx);
}

static void srv_closed(void *ctx, struct hbone_stream *s, uint32_t err)
{
	struct echo *e = ctx;

	if (e && e->w->last_srv_stream == s) {
		e->w->last_srv_stream = NULL;
		e->w->last_srv_error = err;
	}
	free(ctx);
	hbone_stream_release(s);
}

static const struct hbone_ops srv_ops = {
	.request = srv_request,
	.readable = srv_io,
	.writable = srv_io,
	.closed = srv_closed,
};

/* ---- the client side: what each test stream saw ---- */

static void cli_response(void *ctx, struct hbone_stream *s, int status)
{
	((struct cstream *)ctx)->status = status;
}

static void cli_readable(void *ctx, struct hbone_stream *s)
{
	struct cstream *cs = ctx;
	uint8_t buf[ECHO_CHUNK];
	ssize_t n;
	int i;

	for (i = 0; i < 256; i++) {
		n = hbone_stream_read(s, buf, sizeof(buf));
		if (n <= 0) {
			cs->eof |= n == 0;
			return;
		}
		if (bytebuf_put(&cs->got, buf, (size_t)n))
			return;
	}
}

static void cli_closed(void *ctx, struct hbone_stream *s, uint32_t err)
{
	struct cstream *cs = ctx;

	cli_readable(ctx, s);
	cs->closed = true;
	cs->h2_error = err;
	cs->s = NULL;
	hbone_stream_release(s);
}

const struct hbone_ops world_client_ops = {
	.response = cli_response,
	.readable = cli_readable,
	.closed = cli_closed,
};

/* ---- sockets ---- */

uint64_t world_now(const struct world *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 +
	       w->skew_ms;
}

static struct hbone_conn *dial(void *owner, const struct hbone_pool_key *k,
			       uint64_t now)
{
	struct world *w = owner;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	SSL *ssl;

	if (fd < 0)
		return NULL;
	if (connect(fd, (const struct sockaddr *)&k->dst, sizeof(struct sockaddr_in)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return NULL;
	}
	ssl = SSL_new(w->dial_ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return hbone_conn_new(fd, ssl, false, &w->cconf, now);
}

static void accept_all(struct world *w)
{
	int i;

	for (i = 0; i < 16 && w->n_srv < WORLD_MAX_SRV; i++) {
		int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		SSL *ssl;
		struct hbone_conn *c;

		if (fd < 0)
			return;
		ssl = SSL_new(w->sctx);
		if (!ssl || !SSL_set_fd(ssl, fd)) {
			SSL_free(ssl);
			close(fd);
			continue;
		}
		SSL_set_accept_state(ssl);
		c = hbone_conn_new(fd, ssl, true, &w->sconf, world_now(w));
		if (c) {
			w->srv[w->n_srv++] = c;
			w->accepted++;
		}
	}
}

static int listen_lo(struct world *w)
{
	socklen_t len = sizeof(w->addr);

	w->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	w->addr = (struct sockaddr_in){ .sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (w->lfd < 0 || bind(w->lfd, (struct sockaddr *)&w->addr, sizeof(w->addr)) ||
	    listen(w->lfd, 64) ||
	    getsockname(w->lfd, (struct sockaddr *)&w->addr, &len))
		return -errno;
	return 0;
}

static int make_pki(struct world *w)
{
	if (fix_ca_new(&w->ca) ||
	    fix_leaf_new(&w->ca, WORLD_SERVER_ID, &w->srv_leaf) ||
	    fix_leaf_new(&w->ca, WORLD_CLIENT_ID, &w->cli_leaf) ||
	    fix_leaf_new(&w->ca, WORLD_DENIED_ID, &w->denied_leaf))
		return -EINVAL;
	w->sctx = fix_ctx(&w->ca, &w->srv_leaf, true);
	w->cctx = fix_ctx(&w->ca, &w->cli_leaf, false);
	w->denied_ctx = fix_ctx(&w->ca, &w->denied_leaf, false);
	return 0;
}

int world_init(struct world *w, const char *pki_dir)
{
	memset(w, 0, sizeof(*w));
	w->lfd = -1;
	if (!pki_dir && make_pki(w))
		return -EINVAL;
	if (pki_dir) {
		w->sctx = fix_ctx_files(pki_dir, "server", true);
		w->cctx = fix_ctx_files(pki_dir, "client", false);
		w->denied_ctx = fix_ctx_files(pki_dir, "denied", false);
	}
	if (!w->sctx || !w->cctx || !w->denied_ctx)
		return -EINVAL;
	w->dial_ctx = w->cctx;
	w->deny_id = WORLD_DENIED_ID;
	w->sconf = (struct hbone_conf){ .ops = &srv_ops, .owner = w,
					.counters = &w->scnt };
	w->cconf = (struct hbone_conf){ .ops = &world_client_ops,
					.counters = &w->ccnt };
	hbone_pool_init(&w->pool, dial, w);
	return listen_lo(w);
}

void world_free(struct world *w)
{
	unsigned i;

	hbone_pool_free(&w->pool);
	for (i = 0; i < w->n_srv; i++)
		hbone_conn_free(w->srv[i]);
	w->n_srv = 0;
	if (w->lfd >= 0)
		close(w->lfd);
	SSL_CTX_free(w->sctx);
	SSL_CTX_free(w->cctx);
	SSL_CTX_free(w->denied_ctx);
	fix_leaf_free(&w->srv_leaf);
	fix_leaf_free(&w->cli_leaf);
	fix_leaf_free(&w->denied_leaf);
	fix_ca_free(&w->ca);
}

/* ---- the loop ---- */

static short events_of(const struct hbone_conn *c)
{
	return POLLIN | (hbone_conn_wants_write(c) ? POLLOUT : 0);
}

static void dispatch(struct hbone_conn *c, short re, uint64_t now)
{
	if (re & (POLLIN | POLLHUP | POLLERR))
		hbone_conn_on_readable(c, now);
	if ((re & POLLOUT) && !hbone_conn_done(c))
		hbone_conn_on_writable(c, now);
}

static void tick_servers(struct world *w, uint64_t now)
{
	unsigned i = 0;

	while (i < w->n_srv) {
		hbone_conn_tick(w->srv[i], now);
		if (hbone_conn_done(w->srv[i])) {
			hbone_conn_free(w->srv[i]);
			w->srv[i] = w->srv[--w->n_srv];
			continue;
		}
		i++;
	}
}

void world_resume(struct world *w)
{
	unsigned i;
	struct hbone_stream *s;

	w->hold = false;
	for (i = 0; i < w->n_srv; i++)
		for (s = w->srv[i]->streams; s; s = s->next)
			if (!s->released && s->ctx)
				echo_pump(s->ctx);
}

void world_pump(struct world *w, int wait_ms)
{
	struct pollfd pfd[1 + WORLD_MAX_SRV + HBONE_POOL_MAX_CONNS];
	struct hbone_conn *who[1 + WORLD_MAX_SRV + HBONE_POOL_MAX_CONNS];
	unsigned n = 0, i;
	uint64_t now;

	pfd[n] = (struct pollfd){ .fd = w->lfd, .events = POLLIN };
	who[n++] = NULL;
	for (i = 0; i < w->n_srv; i++) {
		pfd[n] = (struct pollfd){ .fd = hbone_conn_fd(w->srv[i]),
					  .events = events_of(w->srv[i]) };
		who[n++] = w->srv[i];
	}
	for (i = 0; i < w->pool.n; i++) {
		pfd[n] = (struct pollfd){ .fd = hbone_conn_fd(w->pool.v[i].c),
					  .events = events_of(w->pool.v[i].c) };
		who[n++] = w->pool.v[i].c;
	}
	if (poll(pfd, n, wait_ms) < 0)
		return;
	now = world_now(w);
	for (i = 1; i < n; i++)
		if (pfd[i].revents)
			dispatch(who[i], pfd[i].revents, now);
	if (pfd[0].revents & POLLIN)
		accept_all(w);
	tick_servers(w, now);
	hbone_pool_tick(&w->pool, now);
}

bool world_until(struct world *w, bool (*pred)(void *), void *arg)
{
	struct timespec t0, t;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 100000 && !pred(arg); i++) {
		world_pump(w, 20);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 > UNTIL_MS)
			break;
	}
	return pred(arg);
}

void world_key(const struct world *w, struct hbone_pool_key *k)
{
	struct sockaddr_in *src = (struct sockaddr_in *)&k->src;

	memset(k, 0, sizeof(*k));
	strcpy(k->src_id, WORLD_CLIENT_ID);
	strcpy(k->dst_id, WORLD_SERVER_ID);
	memcpy(&k->dst, &w->addr, sizeof(w->addr));
	src->sin_family = AF_INET;
	src->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

int world_open(struct world *w, struct cstream *cs, const char *authority,
	       uint16_t port)
{
	struct hbone_pool_key k;
	char auth[AUTHORITY_STR_MAX];

	memset(cs, 0, sizeof(*cs));
	bytebuf_init(&cs->got, 8u << 20);
	if (!authority) {
		struct sockaddr_in a = w->addr;

		a.sin_port = htons(port);
		authority_format((struct sockaddr *)&a, auth, sizeof(auth));
		authority = auth;
	}
	world_key(w, &k);
	cs->s = hbone_pool_open(&w->pool, &k, authority, cs, world_now(w));
	return cs->s ? 0 : -EIO;
}

int world_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

int world_write_pki(const struct world *w, const char *dir)
{
	static const char *const names[] = { "server", "client", "denied" };
	const struct fix_leaf *leaves[] = { &w->srv_leaf, &w->cli_leaf, &w->denied_leaf };
	char ca[512], cert[512], key[512];
	int i;

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	for (i = 0; i < 3; i++) {
		snprintf(cert, sizeof(cert), "%s/%s.pem", dir, names[i]);
		snprintf(key, sizeof(key), "%s/%s.key", dir, names[i]);
		if (fix_write_pem(&w->ca, leaves[i], i ? NULL : ca, cert, key))
			return -EIO;
	}
	return 0;
}
