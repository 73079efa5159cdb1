/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A loopback HBONE world for tests: one server listener on 127.0.0.1 (an
 * ephemeral port) whose owner is an in-memory upstream, and a client pool,
 * all driven by one poll loop with a clock the test can move forward.
 *
 * The server's owner answers like ztunnel's inbound: 400 when the CONNECT
 * IP is not the listener's, 401 for the denied identity, 503 when the
 * port has no upstream, else 200 and echoes every byte back (half-close
 * answered with half-close).
 */
#ifndef IM_TESTS_FIX_WORLD_H
#define IM_TESTS_FIX_WORLD_H

#include "proxy/bytebuf.h"
#include "proxy/hbone_pool.h"
#include "tls_pair.h"

#define WORLD_ECHO_PORT 7
#define WORLD_MAX_SRV 64
#define WORLD_TD "spiffe://cluster.local"
#define WORLD_SERVER_ID WORLD_TD "/ns/ml/sa/model-server"
#define WORLD_CLIENT_ID WORLD_TD "/ns/gw/sa/api-gateway"
#define WORLD_DENIED_ID WORLD_TD "/ns/ext/sa/intruder"

struct world {
	int lfd;
	struct sockaddr_in addr;
	struct tp_pki pki;	/* when made here, not loaded */
	struct tls_ca ca;
	/* the mesh's own contexts (user/tls), prepared for kTLS */
	struct tls_ctx *sctx, *cctx, *denied_ctx;
	struct tls_ctx *dial_ctx;	/* what the pool dials with */
	struct hbone_counters scnt, ccnt;
	/* why the server's finished connections' handshakes were refused */
	uint64_t srv_tls_refused[TLS_R__COUNT];
	struct hbone_conf sconf, cconf;
	struct hbone_conn *srv[WORLD_MAX_SRV];
	unsigned n_srv;
	unsigned accepted;
	struct hbone_pool pool;
	uint64_t skew_ms;	/* added to the monotonic clock */
	uint32_t until_ms;	/* world_until's bound; 0: 5 s */
	const char *deny_id;	/* the identity the server answers 401 */
	bool hold;		/* the upstream reads nothing (world_resume) */
	struct hbone_stream *last_srv_stream;	/* the latest 200, while open */
	uint32_t last_srv_error;		/* how it closed */
};

/* What a client-side test stream saw. */
struct cstream {
	struct hbone_stream *s;
	int status;
	bool eof, closed;
	uint32_t h2_error;
	struct bytebuf got;
};

/* Makes a fresh test CA (tests/lib/tls_pair.c), or (<pki_dir> not NULL)
 * loads the CA world_make_pki() made there, and issues the three
 * identities' SVIDs from it. */
int world_init(struct world *w, const char *pki_dir);
/* For a peer of another process: a new CA in <dir>/ca (user/tls layout),
 * ca.pem (its root) and {server,client,denied}.{pem,key}, SVIDs of the
 * three identities issued from it. */
int world_make_pki(const char *dir);
void world_free(struct world *w);
uint64_t world_now(const struct world *w);
/* One round: accept, poll (up to <wait_ms>), dispatch, tick. */
void world_pump(struct world *w, int wait_ms);
/* Lets a held upstream read again. */
void world_resume(struct world *w);
/* Pumps until <pred>(<arg>) or until_ms (5 s); returns the predicate's last value. */
bool world_until(struct world *w, bool (*pred)(void *), void *arg);
/* The pool key for the world's server. */
void world_key(const struct world *w, struct hbone_pool_key *k);
/* Opens a stream through the pool into <cs> ("127.0.0.1:<port>" unless
 * <authority> is given). */
int world_open(struct world *w, struct cstream *cs, const char *authority,
	       uint16_t port);
/* The client ops every cstream uses. */
extern const struct hbone_ops world_client_ops;
/* Open file descriptors of this process. */
int world_fd_count(void);

#endif
