/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's mTLS proxy (--mtls; user/proxy/engine.h): started once the
 * programs are loaded with capture on, fed the mesh's workloads after each
 * apply, and on link events, on its cgroup's first process (podwatch.h)
 * and a retry timer while a local workload has no process yet to enter
 * (its listeners wait for one), stopped on
 * SIGTERM before the programs are left attached.
 *
 * While no agent runs (stopped, killed, between the two agents of a
 * rolling update) the programs keep capturing: a captured connect meets
 * no listener on the pod's 127.0.0.1:15001 and fails (ECONNREFUSED), and
 * nothing answers :15008 (the guard lets only the agent's port in): the
 * mesh calls fail closed, never in plaintext, until the next agent
 * listens again.
 */
#ifndef IM_AGENT_MTLS_H
#define IM_AGENT_MTLS_H

#include "../model/model.h"

struct agent;

/* The retry while local workloads have no listeners: every
 * MTLS_RETRY_MS, at most MTLS_RETRY_MAX times (agent_opts.mtls_retries)
 * after each change (about 30 s); a link event or reload starts it
 * again, and so does a first process in a local workload's cgroup
 * (podwatch.h). */
#define MTLS_RETRY_MS 250
#define MTLS_RETRY_MAX 120

/* With --mtls: starts the proxy's workers and the retry timer. Without:
 * nothing. Returns 0 or -errno. */
int mtls_start(struct agent *a);
/* After an apply: the peers from model <m>, handed to the proxy. A list
 * that cannot be built keeps the previous one (logged). */
void mtls_peers(struct agent *a, const struct model *m);
/* A link event: pods may have come or gone; the listeners follow. */
void mtls_links_changed(struct agent *a);
/* Closes the listeners, ends the connections, joins the workers. */
void mtls_stop(struct agent *a);

#endif
