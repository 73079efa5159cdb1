// SPDX-License-Identifier: Apache-2.0
/* A proxy worker: one thread, one epoll (level-triggered), its own pool
 * of outbound tunnels, its own inbound tunnels and pipes, a tick every
 * second. The control thread talks to it only through px_cmd (engine.c),
 * run here between two batches of events. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "px_int.h"

#define PX_EVENTS 64
#define PX_TICK_MS 1000

uint64_t px_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Level-triggered; no interest means out of the set, since EPOLLERR and
 * EPOLLHUP would be reported anyway, again and again. */
int px_watch(struct px_worker *w, struct px_ev *ev, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = ev };
	int op;

	if (ev->events == events)
		return 0;
	op = !ev->events ? EPOLL_CTL_ADD : events ? EPOLL_CTL_MOD
						  : EPOLL_CTL_DEL;
	if (epoll_ctl(w->epfd, op, ev->fd, &e))
		return -errno;
	ev->events = events;
	return 0;
}

void px_count(struct px_worker *w, enum px_refuse r)
{
	w->cnt.refused[r]++;
}

/* Descriptors kept free for what an accepted connection needs next (its
 * tunnel, its leg) and for refusing the next one. The kernel gives the
 * lowest free number, so an accepted fd numbered at or above the limit
 * less this means fewer than this many are left: the connection is reset
 * at once. Without the margin, refusing needed the one spare fd, which
 * another worker can take between its close and the accept, and then a
 * caller waited instead of being refused. */
#define PX_FD_HEADROOM 16

/* The soft limit now (it can change under us: prlimit), or 0. */
static long fd_limit_now(void)
{
	struct rlimit r;

	return getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur == RLIM_INFINITY
		       ? 0 : (long)r.rlim_cur;
}

int px_accept(struct px_worker *w, int lfd, struct sockaddr_in *peer)
{
	socklen_t len = sizeof(*peer);
	int fd = accept4(lfd, (struct sockaddr *)peer, peer ? &len : NULL,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	long lim;

	if (fd >= 0) {
		lim = fd_limit_now();
		if (!lim || fd < lim - PX_FD_HEADROOM)
			return fd;
		px_count(w, PX_R_FD_LIMIT);
		px_rst_close(fd);
		errno = EMFILE;
		return -1;
	}
	if (errno != EMFILE && errno != ENFILE)
		return fd;
	px_count(w, PX_R_FD_LIMIT);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	/* another thread may take the freed number first: then the next
	 * wake finds no spare and tries again */
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		px_rst_close(fd);
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	errno = EMFILE;
	return -1;
}

void px_rst_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

void px_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void hconn_unlink(struct px_hconn *h)
{
	struct px_worker *w = h->w;

	if (h->prev)
		h->prev->next = h->next;
	else
		w->conns = h->next;
	if (h->next)
		h->next->prev = h->prev;
}

/* Inbound ones only: the pool frees the outbound ones (px_out_gone). */
void px_hconn_free(struct px_hconn *h)
{
	hbone_conn_free(h->c);	/* its streams hear it first */
	px_pipes_detach(h->w, h);
	hconn_unlink(h);
	px_pod_put(h->pod);
	free(h);
}

/* After any event: the tunnel's wish to write may have changed (streams
 * queued bytes, or HTTP/2 wants to answer). */
static void hconn_sync(struct px_hconn *h)
{
	uint32_t ev = EPOLLIN;

	if (hbone_conn_wants_write(h->c)) {
		hbone_conn_on_writable(h->c, h->w->now);
		if (hbone_conn_wants_write(h->c))
			ev |= EPOLLOUT;
	}
	if (hbone_conn_done(h->c))
		ev = EPOLLIN;	/* freed at the tick */
	px_watch(h->w, &h->ev, ev);
}

static void hconn_event(struct px_hconn *h, uint32_t events)
{
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		hbone_conn_on_readable(h->c, h->w->now);
	if (events & EPOLLOUT && !hbone_conn_done(h->c))
		hbone_conn_on_writable(h->c, h->w->now);
}

static void on_event(struct px_worker *w, struct px_ev *ev, uint32_t events)
{
	uint64_t v;

	switch (ev->kind) {
	case PX_EV_KICK:
		if (read(ev->fd, &v, sizeof(v)) < 0)
			break;
		break;
	case PX_EV_LIS_CAP:
		px_out_accept(w, (struct px_lis *)ev);
		break;
	case PX_EV_LIS_HBONE:
		px_in_accept(w, (struct px_lis *)ev);
		break;
	case PX_EV_HCONN:
		hconn_event((struct px_hconn *)ev, events);
		break;
	case PX_EV_PIPE:
		px_pipe_on_event((struct px_pipe *)ev, events);
		break;
	}
}

/* Inbound tunnels that ended, and the handshake deadlines. */
static void conns_tick(struct px_worker *w, bool tick)
{
	struct px_hconn *h, *next;

	for (h = w->conns; h; h = next) {
		next = h->next;
		if (h->outbound)
			continue;
		if (tick)
			hbone_conn_tick(h->c, w->now);
		else
			hconn_sync(h);
		px_in_account(h);
		if (hbone_conn_done(h->c))
			px_hconn_free(h);
	}
}

static void outbound_sync(struct px_worker *w)
{
	struct px_hconn *h;

	for (h = w->conns; h; h = h->next)
		if (h->outbound)
			hconn_sync(h);
}

static void run_cmd(struct px_worker *w)
{
	pthread_mutex_lock(&w->mu);
	if (w->cmd && !w->cmd->done) {
		w->cmd->fn(w, w->cmd->arg);
		w->cmd->done = true;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
}

static bool stopping(struct px_worker *w)
{
	bool s;

	pthread_mutex_lock(&w->mu);
	s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

static void batch_dir(struct px_worker *w)
{
	struct px_engine *e = w->e;

	px_dir_put(w->dir);
	pthread_mutex_lock(&e->dir_mu);
	w->dir = px_dir_get(e->dir);
	pthread_mutex_unlock(&e->dir_mu);
}

static void teardown(struct px_worker *w)
{
	struct px_pipe *p;

	while ((p = w->pipes))
		px_pipe_kill(p, true);
	px_pipe_reap(w);	/* streams released while tunnels live */
	hbone_pool_free(&w->pool);	/* px_out_gone: the outbound ones */
	while (w->conns)
		px_hconn_free(w->conns);
	px_dir_put(w->dir);
	w->dir = NULL;
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	w->spare_fd = -1;
}

void *px_worker_main(void *arg)
{
	struct px_worker *w = arg;
	struct epoll_event evs[PX_EVENTS];
	uint64_t next_tick = px_now_ms() + PX_TICK_MS;
	int i, n;

	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	while (!stopping(w)) {
		w->now = px_now_ms();
		n = epoll_wait(w->epfd, evs, PX_EVENTS,
			       next_tick > w->now ? (int)(next_tick - w->now) : 0);
		w->now = px_now_ms();
		batch_dir(w);
		for (i = 0; i < n; i++)
			on_event(w, evs[i].data.ptr, evs[i].events);
		outbound_sync(w);
		px_pipe_reap(w);
		conns_tick(w, false);
		if (w->now >= next_tick) {
			next_tick = w->now + PX_TICK_MS;
			hbone_pool_tick(&w->pool, w->now);
			px_pipes_tick(w);
			px_pipe_reap(w);
			conns_tick(w, true);
			outbound_sync(w);
		}
		px_pipe_reap(w);
		/* nothing of this batch is still in hand: the control thread
		 * may close what it took out of our epoll */
		px_dir_put(w->dir);
		w->dir = NULL;
		run_cmd(w);
	}
	teardown(w);
	run_cmd(w);
	return NULL;
}
