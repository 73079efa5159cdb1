// SPDX-License-Identifier: Apache-2.0
/* Inbound: a tunnel to a local workload's <pod ip>:15008. We present that
 * workload's SVID and shake hands with tls_conn (so every refusal has its
 * reason), then HTTP/2 takes over; each CONNECT is judged (the address
 * must be this workload's, AuthorizationPolicy must allow the proven
 * peer) and answered only once the leg to the workload is up. On a port
 * the policy judges per HTTP request (l7.h) the CONNECT only needs a
 * proven peer: the stream's pipe carries an HTTP filter (px_l7.c) and
 * every request is judged on everything the policy says. */
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

/* The tunnel's handshake, as it went: a proven peer is a tunnel served;
 * a connection that ended without one is a refused handshake, counted
 * by the reason tls_conn kept (or the deadline, or our side). */
void px_in_account(struct px_hconn *h)
{
	enum tls_refusal r;

	if (h->proven)
		return;
	if (hbone_conn_peer_id(h->c)[0]) {
		h->proven = true;
		h->w->cnt.in_tunnels++;
		return;
	}
	if (!hbone_conn_done(h->c))
		return;
	h->proven = true;	/* counted once */
	r = hbone_conn_tls_reason(h->c);
	if (!r)
		r = h->w->now >= h->deadline ? TLS_R_TIMEOUT : TLS_R_INTERNAL;
	h->w->cnt.tls_refused[r]++;
}

static void shake(struct px_worker *w, struct px_lis *l, int fd,
		  const struct sockaddr_in *peer)
{
	struct px_hconn *h = calloc(1, sizeof(*h));
	struct hbone_conf cf = { .ops = &px_pipe_ops, .owner = h,
				 .counters = &w->cnt.hbone };
	struct tls_conn *t = NULL;
	struct tls_ctx *ctx;
	char why[128];

	ctx = tls_idents_get(w->e->conf.idents, &l->pod->sid, time(NULL), why,
			     sizeof(why));
	if (ctx)
		t = tls_conn_server(ctx, fd);
	tls_ctx_put(ctx);
	if (!h || !t) {
		w->cnt.refused[!ctx ? PX_R_NO_SVID : PX_R_NO_MEMORY]++;
		tls_conn_free(t);
		close(fd);
		free(h);
		return;
	}
	h->c = hbone_conn_new_tls(fd, t, &cf, w->now);	/* owns fd, t */
	if (!h->c) {
		w->cnt.refused[PX_R_NO_MEMORY]++;
		free(h);
		return;
	}
	h->ev = (struct px_ev){ .kind = PX_EV_HCONN, .fd = fd };
	h->w = w;
	h->pod = px_pod_get(l->pod);
	h->peer_ip = peer->sin_addr.s_addr;
	h->deadline = w->now + HBONE_HANDSHAKE_MS;
	in_link(w, h);
	if (px_watch(w, &h->ev, EPOLLIN)) {
		w->cnt.refused[PX_R_NO_MEMORY]++;
		px_hconn_free(h);
	}
}

void px_in_accept(struct px_worker *w, struct px_lis *l)
{
	struct sockaddr_in peer;
	int i, fd;

	for (i = 0; i < PX_ACCEPTS; i++) {
		fd = px_accept(w, l->ev.fd, &peer);
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
		px_nodelay(fd);
		shake(w, l, fd, &peer);
	}
}

/* The connection as the policy sees it: the proven peer <id> (parsed
 * from <peer_id>) reaching <a> from the tunnel's source. False when the
 * handshake proved no identity: never guess. */
static bool conn_req(struct px_hconn *h, const struct authority *a,
		     const char *peer_id, struct spiffe_id *id,
		     struct authz_req *r)
{
	*r = (struct authz_req){
		.wl_ip = h->pod->ip, .src_ip = h->peer_ip,
		.dst_ip = a->ip.v4.s_addr, .dst_port = a->port,
	};
	if (!peer_id || spiffe_parse(peer_id, strlen(peer_id), id))
		return false;
	r->peer = (struct authz_peer){ .authenticated = true, .td = id->td,
				       .ns = id->ns, .sa = id->sa };
	return true;
}

/* The L4 verdict, for ports not judged per request. */
static bool allowed(struct px_hconn *h, const struct authz_req *r)
{
	struct authz_verdict v;

	authz_check(h->w->e->conf.authz, r, &v, NULL, 0);
	return v.allow;
}

/* How the port speaks if its requests are judged one by one (l7.h):
 * then the CONNECT itself is not judged, every request is. */
static enum l7_proto l7_proto_of(struct px_worker *w, uint32_t wl_ip,
				 uint16_t port)
{
	struct l7_live *live = w->e->conf.l7;
	struct l7_gen *g = live ? l7_live_get(live) : NULL;
	enum l7_proto proto = l7_port(g, wl_ip, port);

	l7_gen_put(g);
	return proto;
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
	enum l7_proto proto;
	struct spiffe_id id;
	struct authz_req r;
	struct px_pipe *p;
	int fd;

	if (a->family != AF_INET || a->ip.v4.s_addr != h->pod->ip)
		return answer(w, s, PX_R_NOT_LOCAL, 400);
	if (!conn_req(h, a, peer_id, &id, &r))
		return answer(w, s, PX_R_DENIED, 401);
	proto = l7_proto_of(w, h->pod->ip, a->port);
	if (proto == L7_NONE && !allowed(h, &r))
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
	if (proto != L7_NONE && px_l7_attach(p, proto, &r)) {
		px_pipe_kill(p, true);	/* no memory */
		return answer(w, s, PX_R_NO_MEMORY, 503);
	}
	px_pipe_attach(p, s, h);
	px_pipe_leg_start(p, w->now + (uint64_t)connect_ms(w));
}
