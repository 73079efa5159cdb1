/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's pool of HBONE connections, keyed as ztunnel keys it (source
 * identity, expected destination SAN, destination ip:15008, source IP): a
 * new tunnelled connection costs a stream, not a handshake. A connection
 * takes min(100, the server's MAX_CONCURRENT_STREAMS) streams in its life,
 * then leaves the pool (its streams go on); one that saw GOAWAY takes no
 * new stream; one unused for 5 minutes is drained.
 */
#ifndef IM_PROXY_HBONE_POOL_H
#define IM_PROXY_HBONE_POOL_H

#include <netinet/in.h>

#include "hbone.h"

#define HBONE_POOL_MAX_STREAMS 100
#define HBONE_POOL_IDLE_MS (5u * 60 * 1000)
#define HBONE_POOL_MAX_CONNS 500

struct hbone_pool_key {
	char src_id[HBONE_ID_MAX];
	char dst_id[HBONE_ID_MAX];		/* the SAN the server must prove */
	struct sockaddr_storage dst;		/* ip:15008 */
	struct sockaddr_storage src;		/* the IP counts, not the port */
};

/* Opens a new connection for <key> (non-blocking connect, SSL in connect
 * state); the pool sets the expected peer. NULL when it cannot. */
typedef struct hbone_conn *(*hbone_dial_fn)(void *owner,
					    const struct hbone_pool_key *key,
					    uint64_t now_ms);

struct hbone_pool_conn {
	struct hbone_pool_key key;
	struct hbone_conn *c;
	bool pooled;		/* still takes new streams */
	uint64_t idle_since;	/* 0: has streams */
};

/* The pool is about to free <c> (its socket closes with it). */
typedef void (*hbone_gone_fn)(void *owner, struct hbone_conn *c);

struct hbone_pool {
	hbone_dial_fn dial;
	hbone_gone_fn gone;	/* NULL: nobody needs to know */
	void *owner;
	struct hbone_pool_conn *v;
	size_t n, cap;
};

void hbone_pool_init(struct hbone_pool *p, hbone_dial_fn dial, void *owner);
/* Frees every connection (and their streams). */
void hbone_pool_free(struct hbone_pool *p);
/* A CONNECT stream to <authority> on a pooled connection for <key>, dialling
 * one when none has room. NULL when dialling failed or the pool is full. */
struct hbone_stream *hbone_pool_open(struct hbone_pool *p,
				     const struct hbone_pool_key *key,
				     const char *authority, void *ctx,
				     uint64_t now_ms);
/* Ticks every connection, drains idle ones, frees finished ones. */
void hbone_pool_tick(struct hbone_pool *p, uint64_t now_ms);

#endif
