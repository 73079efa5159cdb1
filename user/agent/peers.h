/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mesh's workloads as the mTLS proxy needs them (proxy/engine.h):
 * every workload of the model with an IPv4 address, by its SPIFFE
 * identity, on any node; the ones placed on this node marked local with
 * their cgroup directory, where the proxy finds their network namespace.
 *
 * Pure: built from a model, no kernel, no files; the agent hands the list
 * to px_engine_update() after each apply and again on link events.
 */
#ifndef IM_AGENT_PEERS_H
#define IM_AGENT_PEERS_H

#include <stddef.h>

#include "../model/model.h"
#include "../proxy/engine.h"

struct agent_peers {
	struct px_peer *v;
	size_t n, cap;
	size_t n_local;
	/* left out or limited, fail closed (the proxy refuses what it does
	 * not find): counted so the agent can say so */
	size_t conflicts;	/* addresses claimed by two identities */
	size_t too_long;	/* an identity or cgroup path that does not fit */
	size_t no_cgroup;	/* local, without infermesh.io/cgroup: no
				   listener, its calls and :15008 refused */
};

/*
 * Fills <out> from <m>: workloads of <node> are local, with cgroup
 * <cgroup_root>/<infermesh.io/cgroup>. ServiceEntry endpoints are not
 * mesh workloads (no SVID of theirs exists). Two workloads at one address
 * with one identity are one peer; with two identities the address is
 * left out (which one answers is unknown). Sorted by address. Returns 0
 * or -ENOMEM; free <out> with agent_peers_free() in every case.
 */
int agent_peers_build(const struct model *m, const char *node,
		      const char *cgroup_root, struct agent_peers *out);
void agent_peers_free(struct agent_peers *p);
/* The peer at <ip> (network order), or NULL. */
const struct px_peer *agent_peers_find(const struct agent_peers *p,
				       uint32_t ip);

#endif
