/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthorizationPolicy for connections the agent terminates (HBONE on
 * :15008), judged on the authenticated peer as ztunnel does: principals
 * and namespaces on the client certificate's SPIFFE id, ipBlocks on the
 * tunnel's TCP source, destination.ip/port on the upstream pod address
 * and the CONNECT port.
 *
 * The verdict comes from the very code the kernel runs (bpf/lib/policy.h,
 * compiled for userspace by authz_eval.c) over the very tables the agent
 * wrote into the maps (struct tables), copied into an immutable
 * generation. The agent swaps the live generation on every reload; a
 * check holds a reference for its duration, so threads may check while
 * the agent swaps.
 */
#ifndef IM_AUTHZ_H
#define IM_AUTHZ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../compile/compile.h"

/* The verified peer of a tunnel: the first SPIFFE SAN of its client
 * certificate, spiffe://<td>/ns/<ns>/sa/<sa>. */
struct authz_peer {
	bool authenticated;	/* false: plaintext, no identity */
	const char *td, *ns, *sa;
};

struct authz_req {
	uint32_t wl_ip;		/* local workload whose :15008 got the CONNECT
				   (network order) */
	struct authz_peer peer;
	uint32_t src_ip;	/* TCP peer of the tunnel (network order) */
	uint32_t dst_ip;	/* upstream address (network order) */
	uint16_t dst_port;	/* CONNECT port (host order) */
};

/* Why. Stable numbers: counters are indexed by them. */
enum authz_reason {
	AUTHZ_ALLOW_NO_POLICY = 0,	/* no policy selects the workload */
	AUTHZ_ALLOW_NO_ALLOW_POLICY,	/* only DENY policies, none matched */
	AUTHZ_ALLOW_RULE,		/* an ALLOW rule matched */
	AUTHZ_DENY_RULE,		/* a DENY rule matched */
	AUTHZ_DENY_NO_ALLOW_MATCH,	/* ALLOW policies apply, none matched */
	AUTHZ_DENY_UNKNOWN_PEER,	/* identity unknown to the tables, and
					   the policy tests identities */
	AUTHZ_DENY_UNKNOWN_DEST,	/* the workload is not in the tables */
	AUTHZ_DENY_NO_TABLES,		/* no live generation yet */
	AUTHZ_DENY_BAD_PEER,		/* identity too long or incomplete */
	AUTHZ_REASON_MAX
};

struct authz_verdict {
	bool allow;
	enum authz_reason reason;
	uint32_t polset;	/* the workload's policy set, 0 = none */
	uint32_t rule_id;	/* the matched rule (0 = none) */
	const char *rule;	/* its "ns/policy[rule]" name, or NULL; valid
				   while the caller holds the generation */
};

/* One immutable copy of the policy tables. */
struct authz_gen;

/* Copies the policy part of <t>, and the identities of <principals> and
 * <namespaces> (the interning the compile used), into a new generation
 * holding one reference. NULL on allocation failure. */
struct authz_gen *authz_gen_new(const struct tables *t,
				const struct intern *principals,
				const struct intern *namespaces);
/* Another reference to <g>, returned. */
struct authz_gen *authz_gen_ref(struct authz_gen *g);
void authz_gen_put(struct authz_gen *g);

/* The verdict for <r> under <g>. No allocation, no lock. On a port
 * judged per HTTP request (IM_WLPORT_L7) a CONNECT alone is judged by
 * the TCP reduction: the HTTP filter judges its requests (l7.h). */
void authz_eval(const struct authz_gen *g, const struct authz_req *r,
		struct authz_verdict *v);
/* The kernel's own verdict (connect4, the tc guard) on <r>: on such a
 * port, the wider set the kernel holds there. For tests and tools. */
void authz_eval_kernel(const struct authz_gen *g, const struct authz_req *r,
		       struct authz_verdict *v);

/* The live generation, swapped as a whole. */
struct authz_live {
	pthread_mutex_t mu;	/* held only to take a reference or swap */
	struct authz_gen *gen;	/* NULL before the first tables */
	uint64_t counts[AUTHZ_REASON_MAX];	/* verdicts, by reason */
};

void authz_live_init(struct authz_live *l);
void authz_live_free(struct authz_live *l);
/* Makes <g> live (taking over its reference); the old one is dropped
 * once its last check ends. */
void authz_live_swap(struct authz_live *l, struct authz_gen *g);
/* The live generation with a reference for the caller (NULL if none). */
struct authz_gen *authz_live_get(struct authz_live *l);

/* authz_eval against the live generation, counted by reason. When
 * <rule> is not NULL, the rule's name is copied there (<n> bytes). */
void authz_check(struct authz_live *l, const struct authz_req *r,
		 struct authz_verdict *v, char *rule, size_t n);

const char *authz_reason_name(enum authz_reason r);

#endif
