/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's SVIDs: one TLS context per local workload identity, issued
 * on first use and rotated at half-life. Rotation swaps in a new context;
 * connections holding the old one keep it (refcounted) until they close.
 * Thread-safe: proxy workers take contexts while the agent rotates.
 */
#ifndef IM_TLS_IDENTS_H
#define IM_TLS_IDENTS_H

#include <pthread.h>
#include <time.h>

#include "ca.h"
#include "ctx.h"

struct tls_ident {
	struct spiffe_id id;
	struct tls_ctx *ctx;	/* the current one (one reference) */
	time_t renew_at;
};

struct tls_idents {
	pthread_mutex_t lock;
	const struct tls_ca *ca;	/* outlives the store */
	unsigned int ttl;
	struct tls_ctx_opts o;
	struct tls_ident *v;
	size_t n, cap;
};

/* <ttl>: SVID lifetime in seconds (>= SVID_TTL_MIN). Returns 0 or
 * -EINVAL. */
int tls_idents_init(struct tls_idents *s, const struct tls_ca *ca,
		    unsigned int ttl, const struct tls_ctx_opts *o);
void tls_idents_free(struct tls_idents *s);

/* A reference to the current context of <id> (tls_ctx_put() it), issuing
 * its SVID first when there is none or it is due for renewal at <now>.
 * NULL with the reason in <why>. */
struct tls_ctx *tls_idents_get(struct tls_idents *s,
			       const struct spiffe_id *id, time_t now,
			       char *why, size_t n);
/* Renews every SVID due at <now>; returns how many, or -errno for the
 * first that failed (the others are still renewed; a failed one keeps
 * its current SVID and is retried on the next call). */
int tls_idents_rotate(struct tls_idents *s, time_t now);
/* The earliest renewal time, or 0 when the store is empty. */
time_t tls_idents_next_renewal(struct tls_idents *s);
/* Calls <fn>(<ctx>, <e>) once per identity holding an SVID (in no
 * particular order), with the store locked: a consistent
 * view while workers rotate and take contexts. <fn> must not call into
 * the store and should be short (workers wait on the lock); it may take
 * a reference to e->ctx to keep it. Returns how many. */
typedef void (*tls_ident_fn)(void *ctx, const struct tls_ident *e);
size_t tls_idents_each(struct tls_idents *s, tls_ident_fn fn, void *ctx);
/* Forgets <id> (its workload left the node); live connections keep
 * their context. */
void tls_idents_drop(struct tls_idents *s, const struct spiffe_id *id);

#endif
