/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's mTLS proxy (issue 8): the worker threads that carry every
 * captured mesh call as an HBONE stream and answer every local workload's
 * :15008.
 *
 * Outbound: a connect() that connect4 captured arrives on the calling
 * pod's 127.0.0.1:15001 (inpod.h); origdst_take() says where it was going
 * and which workload called (the kernel's record, by cgroup: a pod cannot
 * forge it). The call leaves as a CONNECT stream <endpoint ip:port> on a
 * pooled HBONE connection (hbone_pool.h) dialled inside the caller's
 * network namespace from its own address to <endpoint ip>:15008, with the
 * caller's SVID; the server must prove the endpoint workload's SPIFFE ID.
 *
 * Inbound: on a local workload's <pod ip>:15008 the worker presents that
 * workload's SVID, requires a client SVID of the mesh's trust domain, and
 * answers each CONNECT: 400 when the address is not this workload's, 401
 * when AuthorizationPolicy (authz.h) denies the authenticated peer, 503
 * when the workload does not answer, 200 once the leg to it (tleg.h,
 * from the peer's own address) is up; then bytes flow both ways. On a
 * port the policy judges per HTTP request (l7.h) the CONNECT needs only
 * a proven peer, and the bytes flow through an HTTP filter (hfilt.h)
 * that judges every request.
 *
 * Anything missing or unknown refuses the connection and counts why:
 * never a plaintext fallback, never a guessed identity.
 *
 * Threads: px_engine_start, _update and _stop are called from one thread
 * (the agent's loop); px_engine_counters and _tunnels from any thread
 * (they take turns on each worker). The workers run on their own and
 * read the directory, the SVID store and the policy generation through
 * references.
 */
#ifndef IM_PROXY_ENGINE_H
#define IM_PROXY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../authz/authz.h"
#include "../authz/l7.h"
#include "../tls/idents.h"
#include "../tls/refusal.h"
#include "hbone.h"

/* One mesh workload, as the tunnels need it. */
struct px_peer {
	uint32_t ip;			/* network order */
	char id[HBONE_ID_MAX];		/* spiffe://<td>/ns/<ns>/sa/<sa> */
	bool local;			/* placed on this node */
	/* local only: the workload's cgroup v2 directory (absolute), whose
	 * processes' network namespace is the pod's (inpod.h) */
	char cgroup[256];
};

/* Why the proxy refused a connection (besides hbone_refuse and
 * tls_refusal, counted as they are). Stable: counters are indexed by
 * it; append before PX_R_MAX. */
enum px_refuse {
	PX_R_NO_RECORD,		/* captured socket without an im_cap_v2
				   record */
	PX_R_UNKNOWN_SOURCE,	/* the calling workload is not a local peer */
	PX_R_UNKNOWN_DEST,	/* the chosen endpoint is not a mesh peer */
	PX_R_NO_SVID,		/* no SVID could be issued for a workload */
	PX_R_DIAL,		/* the tunnel could not be dialled */
	PX_R_POOL_FULL,		/* HBONE_POOL_MAX_CONNS reached */
	PX_R_UPSTREAM_STATUS,	/* the peer answered the CONNECT with non-200 */
	PX_R_NOT_LOCAL,		/* inbound CONNECT to another address: 400 */
	PX_R_DENIED,		/* inbound, AuthorizationPolicy: 401 */
	PX_R_WORKLOAD_DOWN,	/* inbound, the workload did not answer: 503 */
	PX_R_TOO_MANY,		/* the per-worker connection limit */
	PX_R_NO_MEMORY,
	PX_R_HTTP_DENIED,	/* a request on an L7 port refused: 403 */
	PX_R_HTTP_BAD,		/* malformed / smuggling / too big: 400, 431,
				   or a reset once a body went out */
	PX_R_L7_NO_POLICY,	/* a request judged with no L7 generation */
	PX_R_FD_LIMIT,		/* out of descriptors: accepted and reset */
	PX_R_MAX
};

const char *px_refuse_name(enum px_refuse r);

/* Which record crypto a tunnel's TLS runs on. */
enum px_crypto {
	PX_CRYPTO_OPENSSL,	/* userspace: this kernel has no kTLS */
	PX_CRYPTO_KTLS,		/* the kernel, with this handshake's keys */
};

struct px_counters {
	uint64_t refused[PX_R_MAX];
	uint64_t tls_refused[TLS_R__COUNT];	/* handshakes we served */
	/* handshakes we dialled: the endpoint failed to prove its identity
	 * (san_mismatch: another SPIFFE ID), or the dial itself failed */
	uint64_t tls_out_refused[TLS_R__COUNT];
	uint64_t out_accepted, out_streams;	/* captured calls carried */
	uint64_t in_tunnels, in_streams;	/* tunnels and 200s answered */
	uint64_t bytes_out, bytes_in;	/* app bytes: to peers, from peers */
	/* captured calls' outcomes charged to their hosts (px_charge.h) */
	uint64_t charged_ok, charged_fail, ejections;
	uint64_t charge_stale;		/* the host's slot had a new owner */
	uint64_t charge_errors;		/* running im_outcome failed */
	struct hbone_counters hbone;
};

/* One tunnel (an HBONE connection) as `proxy-config tunnels` shows it. */
struct px_tunnel {
	bool outbound;			/* we dialled it */
	uint32_t local_ip, peer_ip;	/* network order */
	char local_id[HBONE_ID_MAX];	/* the SVID we present */
	char peer_id[HBONE_ID_MAX];	/* the one the peer proved ("" before) */
	unsigned streams;		/* open now */
	uint64_t streams_total, bytes_tx, bytes_rx;
	enum px_crypto crypto;
	const char *crypto_why;		/* static string: why this path */
};

struct px_engine_conf {
	struct tls_idents *idents;	/* SVIDs; outlives the engine */
	struct authz_live *authz;	/* the live policy; outlives it */
	struct l7_live *l7;		/* the same per HTTP request, on the
					   ports l7_port names; outlives it */
	int cap_fd;			/* im_cap_v2 (origdst.h) */
	int outcome_fd;			/* im_outcome (px_charge.h); 0: the
					   outcomes are not charged */
	unsigned workers;		/* 0: one per online CPU */
	int connect_timeout_ms;		/* dial and workload leg; 0: 10 s */
	unsigned max_conns;		/* per worker; 0: 65536 */
};

struct px_engine;

/* Starts the workers (no listeners yet). Returns 0 or -errno. */
int px_engine_start(const struct px_engine_conf *c, struct px_engine **out);

/* The mesh's workloads after a reload or a pod event: peers by address
 * for both directions, and listeners (inpod_set.h) for exactly the local
 * ones that have a process. Connections already carried go on. Returns
 * how many local workloads have listeners, or -errno (the previous
 * directory stays). */
int px_engine_update(struct px_engine *e, const struct px_peer *v, size_t n);

/* A snapshot of the counters, summed over the workers. */
void px_engine_counters(struct px_engine *e, struct px_counters *out);

/* Calls <fn> once per open tunnel (the workers' pools and the inbound
 * connections); returns how many. */
typedef void (*px_tunnel_fn)(void *ctx, const struct px_tunnel *t);
int px_engine_tunnels(struct px_engine *e, px_tunnel_fn fn, void *ctx);

/* Closes the listeners, ends every connection, joins the workers. NULL is
 * fine. */
void px_engine_stop(struct px_engine *e);

#endif
