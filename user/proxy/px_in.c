// SPDX-License-Identifier: Apache-2.0
/* Inbound: a tunnel to a local workload's <pod ip>:15008. We present that
 * workload's SVID and shake hands with tls_conn (so every refusal has its
 * reason), then HTTP/2 takes over; each CONNECT is judged (the address
 * must be this workload's, AuthorizationPolicy must allow the proven
 * peer) and answered only once the leg to the workload is up. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "px_int.h"
#include "tleg.h"

#define PX_ACCEPTS 64

static int connect_ms(const struct px_worker *w)
{
	return w->e->conf.connect_timeout_ms;
}

static void in_link(struct px_worker *w, struct px_hconn *h)
{
	h->next = w->conns;
	if (w->conns)
		w->conns->prev = h;
	w->conns = h;
}

static void refuse_tls(struct px_hconn *h, enum tls_refusal r)
{
	h->w->cnt.tls_refused[r ? r : TLS_R_INTERNAL]++;
	px_hconn_free(h);
}

/* The handshake is done: the SSL goes to HTTP/2. TLS 1.3 may have
 * brought the client's first frames with its Finished, already in the
 * SSL: read them now, the socket may never poll readable for them. */
static void to_h2(struct px_hconn *h)
{
	struct hbone_conf cf = { .ops = &px_pipe_ops, .owner = h,
				 .counters = &h->w->cnt.hbone };
	SSL *ssl = tls_conn_detach(h->tls);

	h->tls = NULL;
	h->c = hbone_conn_new(h->ev.fd, ssl, true, &cf, h->w->now);
	if (!h->c) {
		/* it closed the socket: out of the epoll already */
		h->ev.fd = -1;
		h->w->cnt.refused[PX_R_NO_MEMORY]++;
		px_hconn_free(h);
		return;
	}
	h->w->cnt.in_tunnels++;
	hbone_conn_on_readable(h->c, h->w->now);
}

void px_in_handshake(struct px_hconn *h)
{
	switch (tls_conn_handshake(h->tls)) {
	case TLS_HS_DONE:
		to_h2(h);
		return;
	case TLS_HS_WANT_READ:
		if (px_watch(h->w, &h->ev, EPOLLIN))
			refuse_tls(h, TLS_R_INTERNAL);
		return;
	case TLS_HS_WANT_WRITE:
		if (px_watch(h->w, &h->ev, EPOLLOUT))
			refuse_tls(h, TLS_R_INTERNAL);
		return;
	case TLS_HS_REFUSED:
		refuse_tls(h, tls_conn_reason(h->tls));
		return;
	}
}

void px_in_tick(struct px_hconn *h)
{
	if (h->c) {
		hbone_conn_tick(h->c, h->w->now);
		return;
	}
	if (h->w->now >= h->deadline)
		refuse_tls(h, TLS_R_TIMEOUT);
}

static void shake(struct px_worker *w, struct px_lis *l, int fd,
		  const struct sockaddr_in *peer)
{
	struct px_hconn *h = calloc(1, sizeof(*h));
	struct tls_ctx *ctx;
	char why[128];

	if (!h) {
		w->cnt.refused[PX_R_NO_MEMORY]++;
		close(fd);
		return;
	}
	h->ev = (struct px_ev){ .kind = PX_EV_HCONN, .fd = fd };
	h->w = w;
	h->pod = px_pod_get(l->pod);
	h->peer_ip = peer->sin_addr.s_addr;
	h->deadline = w->now + HBONE_HANDSHAKE_MS;
	in_link(w, h);
	ctx = tls_idents_get(w->e->conf.idents, &l->pod->sid, time(NULL), why,
			     sizeof(why));
	if (!ctx) {
		w->cnt.refused[PX_R_NO_SVID]++;
		close(fd);
		h->ev.fd = -1;
		px_hconn_free(h);
		return;
	}
	h->tls = tls_conn_server(ctx, fd);
	tls_ctx_put(ctx);
	if (!h->tls) {
		refuse_tls(h, TLS_R_INTERNAL);
		return;
	}
	px_in_handshake(h);
}

void px_in_accept(struct px_worker *w, struct px_lis *l)
{
	struct sockaddr_in peer;
	socklen_t len;
	int i, fd;

	for (i = 0; i < PX_ACCEPTS; i++) {
		len = sizeof(peer);
		fd = accept4(l->ev.fd, (struct sockaddr *)&peer, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (peer.sin_family != AF_INET) {
			close(fd);
			continue;
		}
		if (w->npipes >= w->e->conf.max_conns) {
			w->cnt.refused[PX_R_TOO_MANY]++;
			px_rst_close(fd);
			continue;
		}
		shake(w, l, fd, &peer);
	}
}

/* The policy's verdict on <peer_id> reaching <a> from the tunnel's
 * source. */
static bool allowed(struct px_hconn *h, const struct authority *a,
		    const char *peer_id)
{
	struct authz_verdict v;
	struct spiffe_id id;
	struct authz_req r = {
		.wl_ip = h->pod->ip, .src_ip = h->peer_ip,
		.dst_ip = a->ip.v4.s_addr, .dst_port = a->port,
	};

	if (!peer_id || spiffe_parse(peer_id, strlen(peer_id), &id))
		return false;	/* the handshake proved none: never guess */
	r.peer = (struct authz_peer){ .authenticated = true, .td = id.td,
				      .ns = id.ns, .sa = id.sa };
	authz_check(h->w->e->conf.authz, &r, &v, NULL, 0);
	return v.allow;
}

static void answer(struct px_worker *w, struct hbone_stream *s,
		   enum px_refuse r, int status)
{
	w->cnt.refused[r]++;
	hbone_stream_respond(s, status);
}

void px_in_request(void *owner, struct hbone_stream *s,
		   const struct authority *a, const char *peer_id)
{
	struct px_hconn *h = owner;
	struct px_worker *w = h->w;
	struct sockaddr_in src = { .sin_family = AF_INET,
				   .sin_addr.s_addr = h->peer_ip };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct px_pipe *p;
	int fd;

	if (a->family != AF_INET || a->ip.v4.s_addr != h->pod->ip)
		return answer(w, s, PX_R_NOT_LOCAL, 400);
	if (!allowed(h, a, peer_id))
		return answer(w, s, PX_R_DENIED, 401);
	if (w->npipes >= w->e->conf.max_conns)
		return answer(w, s, PX_R_TOO_MANY, 503);
	dst.sin_addr = a->ip.v4;
	dst.sin_port = htons(a->port);
	fd = tleg_connect_start(h->pod->netns_fd, &src, &dst);
	if (fd < 0)
		return answer(w, s, PX_R_WORKLOAD_DOWN, 503);
	p = px_pipe_new(w, fd, false);
	if (!p) {
		close(fd);
		return answer(w, s, PX_R_NO_MEMORY, 503);
	}
	px_pipe_attach(p, s, h);
	px_pipe_leg_start(p, w->now + (uint64_t)connect_ms(w));
}
