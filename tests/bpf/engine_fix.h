/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The proxy engine's world (test_engine.c), without the agent binary: a
 * node namespace of the test's own routing between two pods A and B
 * (namespaces behind veths, each with a cgroup and a process holding
 * both), the dataplane loaded with capture on and attached to A's
 * cgroup, the service VIP:VPORT -> B:APP (STRICT) and A a workload, a
 * test CA with SVIDs, the policy compiled from WorkloadEntries, B's app
 * listening, and the engine started with both pods. Everything goes in
 * ef_down(), also after a failed check; only children started here are
 * signalled, by PID.
 */
#ifndef IM_TEST_ENGINE_FIX_H
#define IM_TEST_ENGINE_FIX_H

#include <stdbool.h>
#include <sys/types.h>

#include "authz/authz.h"
#include "authz/l7.h"
#include "capture_fix.h"
#include "proxy/engine.h"
#include "tls/idents.h"

#define EF_A_IP		IP4(10, 214, 1, 2)
#define EF_B_IP		IP4(10, 214, 2, 2)
#define EF_VIP		IP4(10, 96, 7, 7)
#define EF_VPORT	8080
#define EF_APP		9080
#define EF_A_ID		"spiffe://cluster.local/ns/ns-a/sa/sa-a"
#define EF_B_ID		"spiffe://cluster.local/ns/ns-b/sa/sa-b"
#define EF_WAIT_MS	10000	/* bound on every wait for a state */

struct ef_pod {
	int ns;			/* its network namespace */
	struct cgroup_tmp cg;
	pid_t holder;		/* a process in both, until ef_down() */
	int holder_fd;		/* closing it lets the holder exit */
};

struct efix {
	int here;
	struct dp dp;
	bool loaded;
	struct ef_pod a, b;
	int app_fd;		/* B's app listener, B:APP */
	struct tls_ca ca;
	struct tls_idents idents;
	bool idents_ok;
	struct authz_live authz;
	struct l7_live l7;		/* the same model, per HTTP request */
	struct px_engine *e;
	struct px_peer peers[2];
};

bool ef_up(struct efix *f);
void ef_down(struct efix *f);

/* A fresh policy generation from <yaml> (AuthorizationPolicies,
 * Services; the fixture's WorkloadEntries are added) made live, the L4
 * one and the L7 one. */
bool ef_policy(struct efix *f, const char *yaml);

/* A plain connect() from a process in A's cgroup and namespace to
 * VIP:VPORT; the connected socket (blocking), or -errno. */
int ef_dial_captured(struct efix *f);
/* A connect from inside A's namespace (this process's cgroup: not
 * captured) to <ip>:<port> (host order); the socket or -errno. */
int ef_dial_in_a(struct efix *f, uint32_t ip, uint16_t port);

/* A connection on B's app, waiting at most <ms>; its peer in <peer>. */
int ef_accept_app(struct efix *f, struct sockaddr_in *peer, int ms);

/* The engine's counters; the test fails if they cannot be read. */
void ef_counters(struct efix *f, struct px_counters *c);
/* Waits until *<field> of the counters reaches <want>. */
bool ef_wait_count(struct efix *f, size_t offset, uint64_t want);
#define EF_WAIT(f, field, want) \
	ef_wait_count(f, offsetof(struct px_counters, field), want)

/* A CA in memory: a self-signed P-256 root, its only trust anchor. */
bool ef_ca_make(struct tls_ca *ca);

int ef_fd_count(void);
uint64_t ef_now_ms(void);

#endif
