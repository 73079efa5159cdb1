// SPDX-License-Identifier: Apache-2.0
/* Outbound: a call connect4 captured arrives on its pod's 127.0.0.1:15001;
 * the kernel's record says who called and which endpoint it chose; the
 * call leaves as a CONNECT stream on a pooled tunnel dialled from the
 * caller's own address, inside its namespace, with its SVID. Anything we
 * cannot vouch for is reset and counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "origdst.h"
#include "px_int.h"

/* Connections taken per readable listener event: others get their turn. */
#define PX_ACCEPTS 64

struct dial_sock {
	const struct sockaddr_in *src, *dst;
};

/* Inside the caller's namespace: the socket from its address (any port)
 * towards the endpoint's :15008, connect under way. */
static int dial_here(void *arg)
{
	const struct dial_sock *d = arg;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	px_nodelay(fd);
	if (bind(fd, (const struct sockaddr *)d->src, sizeof(*d->src)) ||
	    (connect(fd, (const struct sockaddr *)d->dst, sizeof(*d->dst)) &&
	     errno != EINPROGRESS))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static struct hbone_conn *client_conn(struct px_worker *w, int fd,
				      const struct hbone_pool_key *key,
				      struct px_hconn *h)
{
	const struct px_dir_ent *dst;
	struct hbone_conf cf = { .ops = &px_pipe_ops, .owner = h,
				 .counters = &w->cnt.hbone };
	struct tls_ctx *ctx;
	struct tls_conn *t;
	char why[128];

	dst = px_dir_find(w->dir, h->peer_ip);
	if (!dst) {
		close(fd);
		return NULL;
	}
	ctx = tls_idents_get(w->e->conf.idents, &w->dial_pod->sid,
			     time(NULL), why, sizeof(why));
	if (!ctx) {
		w->dial_why = PX_R_NO_SVID;
		close(fd);
		return NULL;
	}
	t = tls_conn_client(ctx, fd, &dst->sid, NULL);
	tls_ctx_put(ctx);
	if (!t) {
		close(fd);
		return NULL;
	}
	return hbone_conn_new_tls(fd, t, &cf, w->now);
}

/* hbone_pool's dial: w->dial_pod is the caller. */
struct hbone_conn *px_out_dial(void *owner, const struct hbone_pool_key *key,
			       uint64_t now_ms)
{
	struct px_worker *w = owner;
	struct dial_sock d = { .src = (const void *)&key->src,
			       .dst = (const void *)&key->dst };
	struct px_hconn *h = calloc(1, sizeof(*h));
	int fd;

	if (!h)
		return NULL;
	fd = inpod_call(w->dial_pod->netns_fd, dial_here, &d);
	if (fd < 0) {
		free(h);
		return NULL;
	}
	h->ev = (struct px_ev){ .kind = PX_EV_HCONN, .fd = fd };
	h->w = w;
	h->outbound = true;
	h->peer_ip = d.dst->sin_addr.s_addr;
	h->c = client_conn(w, fd, key, h);
	if (!h->c) {
		free(h);
		return NULL;
	}
	if (px_watch(w, &h->ev, EPOLLIN | EPOLLOUT)) {
		hbone_conn_free(h->c);
		free(h);
		return NULL;
	}
	h->pod = px_pod_get(w->dial_pod);
	h->next = w->conns;
	if (w->conns)
		w->conns->prev = h;
	w->conns = h;
	return h->c;
}

/* hbone_pool frees <c>: its wrapper goes with it. */
void px_out_gone(void *owner, struct hbone_conn *c)
{
	struct px_worker *w = owner;
	struct px_hconn *h;

	for (h = w->conns; h; h = h->next)
		if (h->outbound && h->c == c)
			break;
	if (!h)
		return;
	/* a tunnel that never came up says why (the pool frees a failed
	 * one; the calls on it were refused as dial) */
	if (hbone_conn_tls_reason(c))
		w->cnt.tls_out_refused[hbone_conn_tls_reason(c)]++;
	px_pipes_detach(w, h);
	if (h->prev)
		h->prev->next = h->next;
	else
		w->conns = h->next;
	if (h->next)
		h->next->prev = h->prev;
	px_pod_put(h->pod);
	free(h);
}

static struct px_hconn *hconn_of(struct px_worker *w, struct hbone_stream *s)
{
	struct hbone_conn *c = hbone_stream_conn(s);
	struct px_hconn *h;

	for (h = w->conns; h; h = h->next)
		if (h->c == c)
			return h;
	return NULL;
}

static void pool_key(struct hbone_pool_key *k, const struct px_pod *src,
		     const struct px_dir_ent *dst)
{
	struct sockaddr_in *s = (void *)&k->src, *d = (void *)&k->dst;

	memset(k, 0, sizeof(*k));
	snprintf(k->src_id, sizeof(k->src_id), "%s", src->id);
	snprintf(k->dst_id, sizeof(k->dst_id), "%s", dst->p.id);
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = src->ip;
	d->sin_family = AF_INET;
	d->sin_addr.s_addr = dst->p.ip;
	d->sin_port = htons(IM_HBONE_PORT);
}

/* Where a captured call goes, or the reason it goes nowhere. */
static int judge(struct px_worker *w, struct px_lis *l, int fd,
		 struct im_capture *cap, const struct px_dir_ent **dst)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	const struct px_dir_ent *src;

	if (getpeername(fd, (struct sockaddr *)&peer, &len) ||
	    peer.sin_family != AF_INET ||
	    origdst_take(w->e->conf.cap_fd, l->pod->cookie, &peer, cap))
		return PX_R_NO_RECORD;
	/* the caller (from its cgroup) must be the pod whose namespace the
	 * call came out of */
	src = px_dir_find(w->dir, cap->src_ip);
	if (!src || !src->p.local || src->pod != l->pod)
		return PX_R_UNKNOWN_SOURCE;
	*dst = px_dir_find(w->dir, cap->ep_ip);
	if (!*dst)
		return PX_R_UNKNOWN_DEST;
	return -1;
}

static void carry(struct px_worker *w, struct px_lis *l, int fd)
{
	const struct px_dir_ent *dst = NULL;
	struct hbone_pool_key key;
	struct hbone_stream *s;
	struct im_capture cap;
	struct sockaddr_in ep = { .sin_family = AF_INET };
	char authority[AUTHORITY_STR_MAX];
	struct px_pipe *p;
	int why = judge(w, l, fd, &cap, &dst);

	if (why < 0 && w->npipes >= w->e->conf.max_conns)
		why = PX_R_TOO_MANY;
	if (why >= 0) {
		px_count(w, why);
		px_rst_close(fd);
		return;
	}
	ep.sin_addr.s_addr = cap.ep_ip;
	ep.sin_port = cap.ep_port;
	authority_format((struct sockaddr *)&ep, authority, sizeof(authority));
	p = px_pipe_new(w, fd, true);
	if (!p) {
		px_count(w, PX_R_NO_MEMORY);
		px_rst_close(fd);
		return;
	}
	px_charge_arm(&p->ch, &cap);
	pool_key(&key, l->pod, dst);
	w->dial_pod = l->pod;
	w->dial_why = PX_R_DIAL;	/* unless the dial says better */
	s = hbone_pool_open(&w->pool, &key, authority, p, w->now);
	w->dial_pod = NULL;
	if (!s) {
		why = w->pool.n >= HBONE_POOL_MAX_CONNS ? PX_R_POOL_FULL
							: w->dial_why;
		px_count(w, why);
		if (why == PX_R_DIAL)	/* the endpoint's, not ours */
			px_charge_settle(w, &p->ch, 0);
		px_pipe_kill(p, true);
		return;
	}
	px_pipe_attach(p, s, hconn_of(w, s));
	w->cnt.out_accepted++;
}

void px_out_accept(struct px_worker *w, struct px_lis *l)
{
	int i, fd;

	for (i = 0; i < PX_ACCEPTS; i++) {
		fd = px_accept(w, l->ev.fd, NULL);
		if (fd < 0)
			return;	/* EAGAIN: another worker took it, or none */
		carry(w, l, fd);
	}
}
