// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fix_world.h"
#include "proxy/hbone_int.h"
#include "tls/spiffe.h"
#include "tls/svid.h"

#define ECHO_CHUNK 16384
#ifndef UNTIL_MS	/* the kTLS lane's build raises it: TCG is slow */
#define UNTIL_MS 5000
#endif

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
	struct spiffe_id expected;
	struct tls_conn *t;

	if (fd < 0)
		return NULL;
	if (spiffe_parse(k->dst_id, strlen(k->dst_id), &expected) ||
	    (connect(fd, (const struct sockaddr *)&k->dst,
		     sizeof(struct sockaddr_in)) && errno != EINPROGRESS)) {
		close(fd);
		return NULL;
	}
	t = tls_conn_client(w->dial_ctx, fd, &expected, NULL);
	if (!t) {
		close(fd);
		return NULL;
	}
	return hbone_conn_new_tls(fd, t, &w->cconf, now);
}

static void accept_all(struct world *w)
{
	int i;

	for (i = 0; i < 16 && w->n_srv < WORLD_MAX_SRV; i++) {
		int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct tls_conn *t;
		struct hbone_conn *c;

		if (fd < 0)
			return;
		t = tls_conn_server(w->sctx, fd);
		if (!t) {
			close(fd);
			continue;
		}
		c = hbone_conn_new_tls(fd, t, &w->sconf, world_now(w));
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

/* The CA: made here, or the one in <pki_dir>/ca. */
static int load_ca(struct world *w, const char *pki_dir)
{
	char dir[512], why[256];

	if (!pki_dir)
		return tp_pki_make(&w->pki) || tp_pki_ca(&w->pki, &w->ca) ?
			       -EINVAL : 0;
	snprintf(dir, sizeof(dir), "%s/ca", pki_dir);
	if (tls_ca_load(&w->ca, dir, why, sizeof(why))) {
		fprintf(stderr, "world: %s\n", why);
		return -EINVAL;
	}
	return 0;
}

int world_init(struct world *w, const char *pki_dir)
{
	/* the contexts HBONE runs on where the kernel has kTLS */
	static const struct tls_ctx_opts ktls_ready = { .no_tickets = true };

	memset(w, 0, sizeof(*w));
	w->lfd = -1;
	if (load_ca(w, pki_dir))
		return -EINVAL;
	w->sctx = tp_tls_ctx(&w->ca, WORLD_SERVER_ID, &ktls_ready);
	w->cctx = tp_tls_ctx(&w->ca, WORLD_CLIENT_ID, &ktls_ready);
	w->denied_ctx = tp_tls_ctx(&w->ca, WORLD_DENIED_ID, &ktls_ready);
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
	tls_ctx_put(w->sctx);
	tls_ctx_put(w->cctx);
	tls_ctx_put(w->denied_ctx);
	tls_ca_free(&w->ca);
	tp_pki_free(&w->pki);
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
			w->srv_tls_refused[hbone_conn_tls_reason(w->srv[i])]++;
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
	for (i = 0; i < 1000000 && !pred(arg); i++) {
		world_pump(w, 20);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >
			    (w->until_ms ? w->until_ms : UNTIL_MS))
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

static int write_pem(const char *dir, const char *name, X509 *cert,
		     EVP_PKEY *key)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ok = cert ? PEM_write_X509(f, cert)
		  : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return fclose(f) || !ok ? -EIO : 0;
}

/* An SVID of <uri> from <ca> as <name>.pem and <name>.key in <dir>. */
static int write_svid(const struct tls_ca *ca, const char *dir,
		      const char *name, const char *uri)
{
	struct spiffe_id id;
	struct tls_svid svid;
	char file[64];
	int err;

	if (spiffe_parse(uri, strlen(uri), &id) ||
	    tls_svid_issue(&svid, ca, &id, time(NULL), SVID_TTL_DEFAULT))
		return -EINVAL;
	snprintf(file, sizeof(file), "%s.pem", name);
	err = write_pem(dir, file, svid.leaf, NULL);
	snprintf(file, sizeof(file), "%s.key", name);
	err = err ?: write_pem(dir, file, NULL, svid.key);
	tls_svid_free(&svid);
	return err;
}

int world_make_pki(const char *dir)
{
	char cadir[512], why[256];
	struct tls_ca ca;
	int err;

	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	if (tls_ca_init(cadir, why, sizeof(why)) ||
	    tls_ca_load(&ca, cadir, why, sizeof(why))) {
		fprintf(stderr, "world: %s\n", why);
		return -EINVAL;
	}
	err = write_pem(dir, "ca.pem", ca.cert, NULL);
	err = err ?: write_svid(&ca, dir, "server", WORLD_SERVER_ID);
	err = err ?: write_svid(&ca, dir, "client", WORLD_CLIENT_ID);
	err = err ?: write_svid(&ca, dir, "denied", WORLD_DENIED_ID);
	tls_ca_free(&ca);
	return err;
}
