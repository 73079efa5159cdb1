/* SPDX-License-Identifier: Apache-2.0 */
/* The running agent's state: one struct, owned by agent_run(), no
 * globals; every module of user/agent/ takes it. */
#ifndef IM_AGENT_CONTEXT_H
#define IM_AGENT_CONTEXT_H

#include <stdint.h>
#include <stdio.h>

#include "../authz/authz.h"
#include "../authz/l7.h"
#include "../compile/compile.h"
#include "../dataplane/dataplane.h"
#include "../dataplane/epslot.h"
#include "../dataplane/guard.h"
#include "../dataplane/paths.h"
#include "../proxy/engine.h"
#include "../tls/ca.h"
#include "../tls/idents.h"
#include "admin.h"
#include "agent.h"
#include "lock.h"
#include "loop.h"
#include "peers.h"
#include "podwatch.h"

struct agent {
	struct agent_opts o;
	uint64_t t0_us;		/* CLOCK_MONOTONIC at start: with -v, each
				   log line says how long after it came */
	uint32_t feat_probed;	/* present features probed at this start,
				   for featcache.h once the node is ours */
	struct dp_paths paths;
	struct node_lock lock;	/* one agent per node */
	struct dp dp;
	bool loaded;
	bool adopted;		/* pinned maps were there before us */
	int cgroup_fd;
	struct links *links;	/* guards.c: the guard follower */
	struct loop loop;
	int signal_fd;
	int inotify_fd, debounce_fd;	/* watch.c */
	int gc_fd;			/* apply.c: slot collection timer */
	struct intern principals, namespaces;
	unsigned int live_gen;
	unsigned long applies;	/* table sets switched in */
	unsigned long cl_ej_full;	/* clusters left without an ejection
				   list: im_cl_ej was full */
	struct epslot *epslot;	/* slots the live tables use */
	struct authz_live authz;	/* apply.c: the live policy tables, for
					   connections the agent terminates */
	struct l7_live l7;		/* apply.c: the same per HTTP request,
					   on the ports judged that way */
	/* While set, agent_log() and the findings go here instead of
	 * stderr: a reload pass that may be redone holds its lines
	 * (reload.c), so one reload logs each line once. */
	FILE *log_hold;
	struct tls_ca ca;		/* identity.c: the mesh CA */
	struct tls_idents idents;	/* SVIDs of local workloads */
	bool ca_open, idents_open;
	int rotate_fd;			/* rotate.c: SVID renewal timer */
	struct px_engine *px;		/* mtls.c: the mTLS proxy (--mtls) */
	struct agent_peers peers;	/* the mesh's workloads it has */
	int mtls_retry_fd;		/* while local workloads have no
					   listener yet */
	unsigned int mtls_tries;
	struct podwatch podwatch;	/* mtls.c: pods' first processes */
	int mtls_listening;		/* local workloads with listeners */
	struct admin admin;		/* admin.c: <state-dir>/admin.sock */
};

void agent_log(const struct agent *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
