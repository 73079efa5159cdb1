/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the proxy engine (engine.h): the directory of peers, the pods
 * with listeners, the workers and what lives on their epoll. Shared by
 * engine.c (control), px_dir.c, px_worker.c (the loop), px_out.c
 * (captured calls), px_in.c (:15008) and px_pipe.c (the byte relay).
 *
 * Ownership: the control thread builds directories and pods; a worker
 * holds a directory reference for one batch of events, a connection
 * holds a pod reference for its life. Everything else on a worker is the
 * worker's alone.
 */
#ifndef IM_PROXY_PX_INT_H
#define IM_PROXY_PX_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../tls/conn.h"
#include "../tls/spiffe.h"
#include "engine.h"
#include "hbone_pool.h"
#include "inpod.h"
#include "px_charge.h"

/* What an epoll event's data points at: each object starts with one. */
enum px_ev_kind {
	PX_EV_KICK,		/* the worker's command eventfd */
	PX_EV_LIS_CAP,		/* a pod's 127.0.0.1:15001 */
	PX_EV_LIS_HBONE,	/* a pod's <ip>:15008 */
	PX_EV_HCONN,		/* an HBONE connection, either way */
	PX_EV_PIPE,		/* the plain side of a relayed stream */
};

struct px_ev {
	enum px_ev_kind kind;
	int fd;
	uint32_t events;	/* the interest registered now */
};

/* A local workload with listeners. Refcounted: the directory, its
 * listeners and every connection of it hold one. */
struct px_pod {
	int refs;			/* atomic */
	uint32_t ip;			/* network order */
	uint64_t cookie;		/* its namespace's */
	int netns_fd;
	struct spiffe_id sid;
	char id[HBONE_ID_MAX];
};

struct px_pod *px_pod_get(struct px_pod *p);
void px_pod_put(struct px_pod *p);

/* A listener as the workers see it: our own dup of inpod_set's fd, so
 * the set may close its copy whenever; ours goes only after every worker
 * has left the batch that might have seen it. */
struct px_lis {
	struct px_ev ev;
	struct px_pod *pod;
	struct px_lis *next;
};

struct px_dir_ent {
	struct px_peer p;
	struct spiffe_id sid;
	struct px_pod *pod;		/* local with listeners, else NULL */
};

/* Immutable once published; sorted by address. */
struct px_dir {
	int refs;			/* atomic */
	size_t n;
	struct px_dir_ent v[];
};

struct px_dir *px_dir_new(const struct px_peer *v, size_t n);
const struct px_dir_ent *px_dir_find(const struct px_dir *d, uint32_t ip);
struct px_dir *px_dir_get(struct px_dir *d);
void px_dir_put(struct px_dir *d);

struct px_engine;
struct px_worker;
struct px_pipe;

/* One HBONE connection on a worker, over a tls_conn (hbone_conn_new_tls:
 * the refusal reasons are kept). Outbound ones belong to the pool
 * (hbone_pool.gone tells us when it frees them), inbound ones to the
 * worker. */
struct px_hconn {
	struct px_ev ev;
	struct px_worker *w;
	struct hbone_conn *c;
	struct px_pod *pod;		/* ours: the caller's / the callee's */
	bool outbound;
	bool proven;			/* the peer's identity was proven */
	uint32_t peer_ip;		/* network order */
	uint64_t deadline;		/* inbound handshake */
	uint64_t streams_total, bytes_tx, bytes_rx;
	struct px_hconn *prev, *next;
};

/* A command the control thread runs on a worker (engine.c). */
struct px_cmd {
	void (*fn)(struct px_worker *w, void *arg);
	void *arg;
	bool done;
};

struct px_worker {
	struct px_engine *e;
	unsigned idx;
	pthread_t th;
	int epfd;
	struct px_ev kick;		/* eventfd */
	pthread_mutex_t mu;		/* cmd, stop */
	pthread_cond_t cv;
	struct px_cmd *cmd;
	bool stop;
	uint64_t now;			/* ms, CLOCK_MONOTONIC, this batch */
	struct px_dir *dir;		/* this batch's */
	struct hbone_pool pool;
	struct px_hconn *conns;		/* both directions */
	struct px_pipe *pipes;
	struct px_pipe *dead;		/* freed at the end of the batch */
	unsigned npipes;
	struct px_pod *dial_pod;	/* the caller, during hbone_pool_open */
	enum px_refuse dial_why;	/* why that dial failed */
	struct px_counters cnt;
	int spare_fd;			/* px_accept's reserve (-1: none) */
};

struct px_engine {
	struct px_engine_conf conf;
	unsigned nworkers;
	struct px_worker *w;
	pthread_mutex_t dir_mu;		/* the pointer below */
	struct px_dir *dir;
	struct inpod_set *set;		/* the control thread's */
	struct px_lis *lis;		/* registered with every worker */
};

uint64_t px_now_ms(void);
/* Sets the epoll interest of <ev> on <w> to <events> (0: none). */
int px_watch(struct px_worker *w, struct px_ev *ev, uint32_t events);
void px_count(struct px_worker *w, enum px_refuse r);
/* accept4 (non-blocking, close-on-exec) on listener <lfd>; <peer> may be
 * NULL. Out of descriptors, it takes the connection with a spare one and
 * resets it (counted as fd_limit) and returns -1: a level-triggered
 * listener left holding it would wake the worker again at once. */
int px_accept(struct px_worker *w, int lfd, struct sockaddr_in *peer);
/* Closes <fd> with a RST (SO_LINGER 0): the peer sees a reset, not EOF. */
void px_rst_close(int fd);
/* Every socket the proxy writes to sends at once (TCP_NODELAY): it relays
 * what arrived, in pieces the app or the peer already chose; Nagle would
 * hold a small piece until the previous one is acked, and the peer's
 * delayed ACK makes that a 40 ms stall per exchange. */
void px_nodelay(int fd);

/* engine.c: the record crypto of tunnel <c>, and why (a static string). */
enum px_crypto px_crypto_of(const struct hbone_conn *c, const char **why);

/* px_worker.c */
void *px_worker_main(void *arg);
void px_hconn_free(struct px_hconn *h);

/* px_out.c: a captured call accepted on <l>. */
void px_out_accept(struct px_worker *w, struct px_lis *l);
struct hbone_conn *px_out_dial(void *owner, const struct hbone_pool_key *key,
			       uint64_t now_ms);
void px_out_gone(void *owner, struct hbone_conn *c);

/* px_in.c: tunnels accepted on <l>. */
void px_in_accept(struct px_worker *w, struct px_lis *l);
/* After events on an inbound tunnel: a handshake just done is counted,
 * one that failed is counted by its reason. */
void px_in_account(struct px_hconn *h);

/* The relay between a plain socket and a stream (px_pipe.c), and, on
 * inbound streams to a port judged per HTTP request, the filter between
 * them (px_l7.c). */
#define PX_CHUNK (16u << 10)
/* A pump runs until a side is full or empty: only then does an event
 * (EPOLLIN/EPOLLOUT, or the stream's readable/writable) bring it back.
 * The buffers end it first (256 KiB of stream tx, a 4 MiB window); this
 * bound only guards against a bug spinning. */
#define PX_STEPS 1024

struct px_l7;

struct px_pipe {
	struct px_ev ev;
	struct px_worker *w;
	struct hbone_stream *s;
	struct px_hconn *h;		/* the tunnel, for its byte counts */
	struct px_l7 *l7;		/* inbound to an L7 port, else NULL */
	bool outbound;
	bool up, connecting, dead;
	bool app_eof, s_shut;		/* app -> stream */
	bool s_eof, app_shut;		/* stream -> app */
	bool s_closed;			/* HTTP/2 closed the stream */
	uint64_t deadline;		/* the leg's connect */
	struct px_charge ch;		/* outbound: the call's outcome */
	uint32_t a2s_off, a2s_len, s2a_off, s2a_len;
	struct px_pipe *prev, *next;
	char a2s[PX_CHUNK], s2a[PX_CHUNK];
};

/* px_pipe.c: the relay between a plain socket and a stream. */
struct px_pipe *px_pipe_new(struct px_worker *w, int fd, bool outbound);
void px_pipe_attach(struct px_pipe *p, struct hbone_stream *s,
		    struct px_hconn *h);
/* The stream is up (200 sent or received): bytes flow. */
void px_pipe_up(struct px_pipe *p);
/* Ends the relay: the socket closes (with a RST when <rst>), the stream
 * is released. Freed at the end of the batch. */
void px_pipe_kill(struct px_pipe *p, bool rst);
void px_pipe_on_event(struct px_pipe *p, uint32_t events);
void px_pipe_reap(struct px_worker *w);
/* Inbound: the leg's connect finished (or not) and its deadline. */
bool px_pipe_connecting(const struct px_pipe *p);
void px_pipe_leg_start(struct px_pipe *p, uint64_t deadline);
void px_pipe_tick(struct px_pipe *p);
void px_pipes_tick(struct px_worker *w);
/* The tunnel <h> is being freed with its streams: its pipes end. */
void px_pipes_detach(struct px_worker *w, struct px_hconn *h);
/* Server: a CONNECT on an inbound tunnel (px_in.c). */
void px_in_request(void *owner, struct hbone_stream *s,
		   const struct authority *a, const char *peer_id);
/* Both directions' callbacks: requests go to px_in, the rest to the
 * stream's pipe. */
extern const struct hbone_ops px_pipe_ops;
/* px_pipe.c, for px_l7.c: byte counts of a pipe's direction. */
void px_pipe_count(struct px_pipe *p, bool tx, size_t n);

/* px_l7.c: inbound pipe <p> filters HTTP (<proto>, not L7_NONE), each
 * request judged with connection <c> (its peer strings are copied) by
 * the live generation. Returns 0 or -ENOMEM. */
int px_l7_attach(struct px_pipe *p, enum l7_proto proto,
		 const struct authz_req *c);
void px_l7_free(struct px_pipe *p);
/* Moves what can move both ways through the filter; false when the pipe
 * died (a reset). */
bool px_l7_pump(struct px_pipe *p);
/* Whether the socket has bytes waiting to go to the workload. */
bool px_l7_app_pending(const struct px_pipe *p);

#endif
