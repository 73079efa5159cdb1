/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's admin socket: <state-dir>/admin.sock, a unix stream socket
 * (0600, and the peer must be root or the agent's own user, checked with
 * SO_PEERCRED on every connection), served from the agent's loop. One
 * request line per connection ("status", "secrets", "tunnels",
 * "refusals"), one JSON document back, then the agent closes. `infermesh
 * status` and `infermesh proxy-config` are its clients (user/cli/).
 *
 * The loop is single-threaded, so nothing here blocks: reads and writes
 * are non-blocking, a reply the socket buffer cannot take at once goes
 * on under write interest (loop_want_write), and every client has a
 * deadline from its accept: a silent or slow one is closed when it
 * passes. Requests, replies and clients are bounded; past a bound the
 * client gets a JSON error (or, past ADMIN_CLIENTS, is closed) and the
 * refusal is counted.
 */
#ifndef IM_AGENT_ADMIN_H
#define IM_AGENT_ADMIN_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>

#define ADMIN_SOCK "admin.sock"
#define ADMIN_REQ_MAX 128		/* one request line, with its '\n' */
#define ADMIN_REPLY_MAX (4u << 20)	/* one JSON document */
#define ADMIN_CLIENTS 8			/* served at once */
#define ADMIN_DEADLINE_MS 2000		/* from accept to the last byte */

struct admin_counters {
	uint64_t served;	/* replies written whole (errors included) */
	uint64_t bad_request;	/* unknown, too long, not text */
	uint64_t refused_peer;	/* neither root nor the agent's user */
	uint64_t busy;		/* ADMIN_CLIENTS already connected */
	uint64_t timed_out;	/* deadline passed before the reply was out */
	uint64_t too_big;	/* reply over ADMIN_REPLY_MAX */
};

struct admin_client {
	int fd;			/* -1: a free slot */
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC */
	char req[ADMIN_REQ_MAX];
	size_t got;
	char *reply;		/* NULL while reading the request */
	size_t len, sent;
};

struct admin {
	int lfd, timer_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;		/* the socket we bound: only it is removed */
	struct admin_client c[ADMIN_CLIENTS];
	struct admin_counters n;
	time_t started;		/* when the agent opened it: its uptime */
};

struct agent;

/* Binds <state-dir>/admin.sock (replacing a stale socket or symlink in
 * one rename, never following it) and serves it from the loop. Call it
 * while the agent has no other thread (it sets the umask around bind).
 * Returns 0 or -errno, logged. */
int admin_open(struct agent *a);
/* Closes every client and the socket, and removes its path if it is
 * still the one we bound. */
void admin_close(struct agent *a);

#endif
