/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthorizationPolicy per HTTP request, on the destination node, for the
 * ports of local workloads where a policy needs what only a request has
 * (methods, paths, hosts, notX of those, `when` on request.headers):
 * Istio's sidecar / waypoint semantics (reference/istio-semantics.md,
 * "AuthorizationPolicy"), not the TCP reduction authz.h applies to plain
 * TCP ports.
 *
 * On such a port the CONNECT is not judged by authz_eval: every request
 * is judged here on everything the policy says, L4 fields included
 * (principal, namespace, source address, port), so one evaluator decides
 * the whole verdict. The kernel's source-side tables for these ports are
 * compiled wider, never narrower, than this (compile_authz.c): the kernel
 * may let a connection through that a request is then refused on, never
 * the reverse.
 *
 * Generations are immutable and refcounted as in authz.h: the agent swaps
 * the live one on every apply, a check holds a reference while it runs.
 */
#ifndef IM_AUTHZ_L7_H
#define IM_AUTHZ_L7_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"

/* How the workload's port speaks, as Istio's protocol selection says
 * (Service port name prefix / appProtocol of the services selecting it). */
enum l7_proto {
	L7_NONE = 0,	/* plain TCP, or no policy needs a request: authz.h */
	L7_HTTP,	/* http: HTTP/1.1, or HTTP/2 when the client opens with
			   the h2 preface */
	L7_HTTP2,	/* http2 / grpc: HTTP/2 prior knowledge */
};

struct l7_hdr {
	const char *name;	/* as received; compared case-insensitively */
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* One request as the filter (user/http/) parsed it. Nothing is owned. */
struct l7_req {
	const char *method;
	size_t method_len;
	const char *path;	/* the request-target as received, with its
				   query; already normalized (l7_normalize) */
	size_t path_len;
	const char *host;	/* Host, or :authority */
	size_t host_len;
	const struct l7_hdr *hdrs;	/* every header field */
	size_t nhdrs;
};

struct l7_verdict {
	bool allow;
	enum authz_reason reason;
	/* "ns/policy[rule]" that decided, or "" (default deny / no policy):
	 * for the 403's detail and the logs */
	char rule[160];
};

struct l7_gen;

/* A generation (holding one reference) for the workloads of <m> placed on
 * <node> (all of them when NULL): their enforced policies copied out of
 * the model, the ports model_l7_ports judges per request, MeshConfig's
 * pathNormalization. NULL on allocation failure. */
struct l7_gen *l7_gen_new(const struct model *m, const char *node);

/* Another reference to <g>, returned (NULL stays NULL). */
struct l7_gen *l7_gen_ref(struct l7_gen *g);
void l7_gen_put(struct l7_gen *g);

/* Whether connections to local workload <wl_ip>:<port> (network order
 * address, host order port) are judged per request, and how the port
 * speaks. L7_NONE when <g> is NULL: callers then judge at L4 (authz.h)
 * and the L4 verdict with no tables is a refusal. */
enum l7_proto l7_port(const struct l7_gen *g, uint32_t wl_ip, uint16_t port);

/* Istio's path normalization as MeshConfig pathNormalization says
 * (default BASE: RFC 3986 dot segments, percent-decoding of unreserved
 * characters only; MERGE_SLASHES; DECODE_AND_MERGE_SLASHES) on the path
 * part of <in>; the query is kept as it is. Writes a NUL-terminated
 * result into <out>. Returns its length, or -1 for a request-target that
 * is not origin-form or does not fit: the filter answers 400 and the
 * request never reaches the workload. The workload receives the
 * normalized target, as Envoy forwards it. */
int l7_normalize(const struct l7_gen *g, const char *in, size_t n,
		 char *out, size_t outsz);

/* The verdict on request <r> over connection <c> (its peer, tunnel source
 * address, workload address and CONNECT port). No allocation, no lock. */
void l7_eval(const struct l7_gen *g, const struct authz_req *c,
	     const struct l7_req *r, struct l7_verdict *v);

/* The live generation, as authz_live: counts[] by verdict reason. */
struct l7_live {
	pthread_mutex_t mu;
	struct l7_gen *gen;
	uint64_t counts[AUTHZ_REASON_MAX];
};

void l7_live_init(struct l7_live *l);
void l7_live_free(struct l7_live *l);
/* Replaces the live generation with <g> (its reference moves in). */
void l7_live_swap(struct l7_live *l, struct l7_gen *g);
/* A reference to the live generation (NULL before the first apply). */
struct l7_gen *l7_live_get(struct l7_live *l);
/* Counts verdict <v> by its reason (once per judged request). */
void l7_live_count(struct l7_live *l, const struct l7_verdict *v);

#endif
