// SPDX-License-Identifier: Apache-2.0
/* The proxy engine's control side (engine.h): workers started and
 * stopped, the directory swapped in, the pods' listeners handed to the
 * workers, counters and tunnels collected. Called from one thread.
 *
 * Every listener goes into every worker's epoll with EPOLLEXCLUSIVE: the
 * kernel wakes one worker per connection, no acceptor thread hands fds
 * over, and a busy worker leaves new connections to idle ones. A
 * listener leaves the epolls first and is closed only once every worker
 * has finished the batch that might still hold it (a px_cmd round). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "inpod_set.h"
#include "px_int.h"
#include "tleg.h"

#define PX_CMD_WAIT_S 10	/* a worker answers within this, or we say so */

static const char *const refuse_names[PX_R_MAX] = {
	[PX_R_NO_RECORD] = "no_record",
	[PX_R_UNKNOWN_SOURCE] = "unknown_source",
	[PX_R_UNKNOWN_DEST] = "unknown_dest",
	[PX_R_NO_SVID] = "no_svid",
	[PX_R_DIAL] = "dial",
	[PX_R_POOL_FULL] = "pool_full",
	[PX_R_UPSTREAM_STATUS] = "upstream_status",
	[PX_R_NOT_LOCAL] = "not_local",
	[PX_R_DENIED] = "denied",
	[PX_R_WORKLOAD_DOWN] = "workload_down",
	[PX_R_TOO_MANY] = "too_many",
	[PX_R_NO_MEMORY] = "no_memory",
	[PX_R_HTTP_DENIED] = "http_denied",
	[PX_R_HTTP_BAD] = "http_bad",
	[PX_R_L7_NO_POLICY] = "l7_no_policy",
	[PX_R_FD_LIMIT] = "fd_limit",
};

const char *px_refuse_name(enum px_refuse r)
{
	return (unsigned)r < PX_R_MAX ? refuse_names[r] : "unknown";
}

/* The one place that says which record crypto a tunnel runs on and why:
 * hbone_conn knows (it installs kTLS where the kernel has it). */
enum px_crypto px_crypto_of(const struct hbone_conn *c, const char **why)
{
	return hbone_conn_crypto(c, why) ? PX_CRYPTO_KTLS : PX_CRYPTO_OPENSSL;
}

/* Runs <fn> on worker <w> between two of its batches and waits for it;
 * callers on several threads take turns (one command slot per worker).
 * Returns 0, or -ETIMEDOUT when the worker did not answer in time. */
static int worker_run(struct px_worker *w,
		      void (*fn)(struct px_worker *, void *), void *arg)
{
	struct px_cmd c = { .fn = fn, .arg = arg };
	struct timespec until;
	uint64_t one = 1;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PX_CMD_WAIT_S;
	pthread_mutex_lock(&w->mu);
	while (!err && w->cmd)
		err = -pthread_cond_timedwait(&w->cv, &w->mu, &until);
	if (err) {
		pthread_mutex_unlock(&w->mu);
		return err;
	}
	w->cmd = &c;
	if (write(w->kick.fd, &one, sizeof(one)) != sizeof(one))
		err = -errno;
	while (!err && !c.done)
		err = -pthread_cond_timedwait(&w->cv, &w->mu, &until);
	w->cmd = NULL;
	pthread_cond_broadcast(&w->cv);	/* the next caller's turn */
	pthread_mutex_unlock(&w->mu);
	return c.done ? 0 : err;
}

static void nothing(struct px_worker *w, void *arg)
{
}

/* Every worker has left the batch it was in. */
static void grace(struct px_engine *e)
{
	unsigned i;

	for (i = 0; i < e->nworkers; i++)
		worker_run(&e->w[i], nothing, NULL);
}

static int worker_init(struct px_engine *e, struct px_worker *w, unsigned i)
{
	struct epoll_event ev = { .events = EPOLLIN };

	w->e = e;
	w->idx = i;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->kick = (struct px_ev){ .kind = PX_EV_KICK,
				  .fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) };
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	hbone_pool_init(&w->pool, px_out_dial, w);
	w->pool.gone = px_out_gone;
	if (w->epfd < 0 || w->kick.fd < 0)
		return -errno;
	ev.data.ptr = &w->kick;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->kick.fd, &ev))
		return -errno;
	w->kick.events = EPOLLIN;
	return -pthread_create(&w->th, NULL, px_worker_main, w);
}

static void worker_stop(struct px_worker *w)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_mutex_unlock(&w->mu);
	if (write(w->kick.fd, &one, sizeof(one)) != sizeof(one))
		return;	/* cannot happen on a counter far from overflow */
	pthread_join(w->th, NULL);
}

static unsigned workers_wanted(unsigned n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (n)
		return n;
	return cpus > 0 ? (unsigned)cpus : 1;
}

int px_engine_start(const struct px_engine_conf *c, struct px_engine **out)
{
	struct px_engine *e;
	unsigned i;
	int err;

	if (!c->idents || !c->authz || c->cap_fd < 0)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->conf = *c;
	if (!e->conf.connect_timeout_ms)
		e->conf.connect_timeout_ms = 10000;
	if (!e->conf.max_conns)
		e->conf.max_conns = 65536;
	e->nworkers = workers_wanted(c->workers);
	pthread_mutex_init(&e->dir_mu, NULL);
	e->w = calloc(e->nworkers, sizeof(*e->w));
	err = e->w ? inpod_set_new(&e->set) : -ENOMEM;
	for (i = 0; !err && i < e->nworkers; i++) {
		err = worker_init(e, &e->w[i], i);
		if (err) {	/* this one has no thread */
			close(e->w[i].epfd);
			close(e->w[i].kick.fd);
		}
	}
	if (err) {
		e->nworkers = i ? i - 1 : 0;
		px_engine_stop(e);
		return err;
	}
	*out = e;
	return 0;
}

/* Listeners */

static struct px_lis *lis_new(int fd, enum px_ev_kind kind,
			      struct px_pod *pod)
{
	struct px_lis *l = calloc(1, sizeof(*l));
	int d = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;

	if (!l || d < 0) {
		free(l);
		if (d >= 0)
			close(d);
		return NULL;
	}
	l->ev = (struct px_ev){ .kind = kind, .fd = d };
	l->pod = px_pod_get(pod);
	return l;
}

/* Into every worker's epoll; on failure out of all again. */
static int lis_add(struct px_engine *e, struct px_lis *l)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				  .data.ptr = l };
	unsigned i, j;

	for (i = 0; i < e->nworkers; i++)
		if (epoll_ctl(e->w[i].epfd, EPOLL_CTL_ADD, l->ev.fd, &ev)) {
			int err = -errno;

			for (j = 0; j < i; j++)
				epoll_ctl(e->w[j].epfd, EPOLL_CTL_DEL,
					  l->ev.fd, NULL);
			return err;
		}
	l->next = e->lis;
	e->lis = l;
	return 0;
}

/* Takes the listeners <keep> does not want out of the epolls, waits for
 * the workers, then closes them. */
static void lis_prune(struct px_engine *e, bool (*keep)(struct px_lis *,
							void *), void *arg)
{
	struct px_lis **pp = &e->lis, *l, *gone = NULL;
	unsigned i;

	while ((l = *pp)) {
		if (keep && keep(l, arg)) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		for (i = 0; i < e->nworkers; i++)
			epoll_ctl(e->w[i].epfd, EPOLL_CTL_DEL, l->ev.fd, NULL);
		l->next = gone;
		gone = l;
	}
	if (!gone)
		return;
	grace(e);
	while ((l = gone)) {
		gone = l->next;
		close(l->ev.fd);
		px_pod_put(l->pod);
		free(l);
	}
}

/* A listener is kept while its pod is still in the set with the same
 * namespace. */
static bool lis_current(struct px_lis *l, void *arg)
{
	const struct inpod_listeners *il = inpod_set_find(arg, l->pod->ip);

	return il && il->netns == l->pod->cookie;
}

static struct px_lis *lis_of(struct px_engine *e, uint32_t ip)
{
	struct px_lis *l;

	for (l = e->lis; l; l = l->next)
		if (l->pod->ip == ip)
			return l;
	return NULL;
}

/* A new pod: its namespace (for dials and legs, prepared for legs) and
 * its two listeners, put on <fresh>: they go into the epolls only once
 * the directory naming this pod is published (lis_add_fresh), or a
 * worker would judge their first calls by the previous one. */
static struct px_pod *pod_open(struct px_dir_ent *d,
			       const struct inpod_listeners *il,
			       struct px_lis **fresh)
{
	struct px_pod *p = calloc(1, sizeof(*p));
	struct px_lis *cap = NULL, *hb = NULL;

	if (!p)
		return NULL;
	p->refs = 1;
	p->ip = d->p.ip;
	p->cookie = il->netns;
	p->sid = d->sid;
	memcpy(p->id, d->p.id, sizeof(p->id));
	p->netns_fd = inpod_netns_of_cgroup(d->p.cgroup);
	if (p->netns_fd < 0 || tleg_setup(p->netns_fd))
		goto fail;
	cap = lis_new(il->capture_fd, PX_EV_LIS_CAP, p);
	hb = lis_new(il->hbone_fd, PX_EV_LIS_HBONE, p);
	if (!cap || !hb)
		goto fail;
	cap->next = hb;
	hb->next = *fresh;
	*fresh = cap;
	return p;
fail:
	if (cap) {
		close(cap->ev.fd);
		px_pod_put(cap->pod);
		free(cap);
	}
	if (hb) {
		close(hb->ev.fd);
		px_pod_put(hb->pod);
		free(hb);
	}
	px_pod_put(p);
	return NULL;
}

/* The listeners pod_open made, into every worker's epoll. Returns how
 * many pods lost a listener (closed: their calls are refused). */
static int lis_add_fresh(struct px_engine *e, struct px_lis *fresh)
{
	struct px_lis *l;
	int lost = 0;

	while ((l = fresh)) {
		fresh = l->next;
		if (!lis_add(e, l))
			continue;
		lost += l->ev.kind == PX_EV_LIS_CAP;
		close(l->ev.fd);
		px_pod_put(l->pod);
		free(l);
	}
	return lost;
}

/* The pods of <d> get their listeners' pod (kept or new; the new ones'
 * listeners on <fresh>). Returns how many local workloads listen. */
static int pods_bind(struct px_engine *e, struct px_dir *d,
		     struct px_lis **fresh)
{
	const struct inpod_listeners *il;
	struct px_lis *l;
	size_t i;
	int n = 0;

	for (i = 0; i < d->n; i++) {
		if (!d->v[i].p.local)
			continue;
		il = inpod_set_find(e->set, d->v[i].p.ip);
		if (!il)
			continue;
		l = lis_of(e, d->v[i].p.ip);
		d->v[i].pod = l ? px_pod_get(l->pod)
				: pod_open(&d->v[i], il, fresh);
		n += d->v[i].pod != NULL;
	}
	return n;
}

int px_engine_update(struct px_engine *e, const struct px_peer *v, size_t n)
{
	struct inpod_pod *pods = calloc(n ? n : 1, sizeof(*pods));
	struct px_dir *d = px_dir_new(v, n), *old;
	struct px_lis *fresh = NULL;
	size_t i, np = 0;
	int rc;

	if (!pods || !d) {
		free(pods);
		px_dir_put(d);
		return pods ? -EINVAL : -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (v[i].local)
			pods[np++] = (struct inpod_pod){ .ip = v[i].ip,
							 .cgroup = v[i].cgroup };
	rc = inpod_set_sync(e->set, pods, np);
	free(pods);
	if (rc < 0) {
		px_dir_put(d);
		return rc;
	}
	/* listeners of pods that went or moved leave first */
	lis_prune(e, lis_current, e->set);
	rc = pods_bind(e, d, &fresh);
	pthread_mutex_lock(&e->dir_mu);
	old = e->dir;
	e->dir = d;
	pthread_mutex_unlock(&e->dir_mu);
	px_dir_put(old);
	return rc - lis_add_fresh(e, fresh);
}

/* Counters */

static void add_counters(struct px_counters *to, const struct px_counters *c)
{
	const uint64_t *s = (const uint64_t *)c;
	uint64_t *t = (uint64_t *)to;
	size_t i;

	/* every field is a uint64_t */
	for (i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		t[i] += s[i];
}

static void take_counters(struct px_worker *w, void *arg)
{
	add_counters(arg, &w->cnt);
}

void px_engine_counters(struct px_engine *e, struct px_counters *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < e->nworkers; i++)
		worker_run(&e->w[i], take_counters, out);
}

/* Tunnels */

struct tunnels_walk {
	px_tunnel_fn fn;
	void *ctx;
	int n;
};

static void one_tunnel(const struct px_hconn *h, struct tunnels_walk *t)
{
	const char *peer = hbone_conn_peer_id(h->c);
	struct px_tunnel v = {
		.outbound = h->outbound, .local_ip = h->pod->ip,
		.peer_ip = h->peer_ip,
		.streams = hbone_conn_active_streams(h->c),
		.streams_total = h->streams_total,
		.bytes_tx = h->bytes_tx, .bytes_rx = h->bytes_rx,
	};

	memcpy(v.local_id, h->pod->id, sizeof(v.local_id));
	if (peer && hbone_conn_ready(h->c))
		snprintf(v.peer_id, sizeof(v.peer_id), "%s", peer);
	v.crypto = px_crypto_of(h->c, &v.crypto_why);
	t->fn(t->ctx, &v);
	t->n++;
}

static void walk_tunnels(struct px_worker *w, void *arg)
{
	const struct px_hconn *h;

	for (h = w->conns; h; h = h->next)
		if (h->c && !hbone_conn_done(h->c))
			one_tunnel(h, arg);
}

int px_engine_tunnels(struct px_engine *e, px_tunnel_fn fn, void *ctx)
{
	struct tunnels_walk t = { .fn = fn, .ctx = ctx };
	unsigned i;

	for (i = 0; i < e->nworkers; i++)
		worker_run(&e->w[i], walk_tunnels, &t);
	return t.n;
}

void px_engine_stop(struct px_engine *e)
{
	unsigned i;

	if (!e)
		return;
	lis_prune(e, NULL, NULL);
	for (i = 0; i < e->nworkers; i++) {
		worker_stop(&e->w[i]);
		close(e->w[i].epfd);
		close(e->w[i].kick.fd);
		pthread_mutex_destroy(&e->w[i].mu);
		pthread_cond_destroy(&e->w[i].cv);
	}
	inpod_set_free(e->set);
	px_dir_put(e->dir);
	free(e->w);
	free(e);
}
