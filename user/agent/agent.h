/* SPDX-License-Identifier: Apache-2.0 */
/* The node agent, as the CLI and the tests start it. */
#ifndef IM_AGENT_AGENT_H
#define IM_AGENT_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../dataplane/links.h"

struct agent_opts {
	const char *config_dir;
	const char *node;
	const char *pin_root;		/* NULL: IM_PIN_BASE/NODE */
	const char *state_dir;		/* NULL: IM_STATE_BASE/NODE */
	const char *cgroup_root;	/* NULL: the cgroup v2 mount */
	const char *mesh_config;
	const char *locality;		/* default: from the node's workloads */
	const char *ca_dir;		/* NULL: built-in CA in state_dir/ca */
	unsigned int svid_ttl;		/* seconds */
	/* Capture every mesh call that must be mTLS (dp_opts.capture) and
	 * carry it through the proxy's HBONE tunnels (mtls.h). */
	bool mtls;
	/* Looks for a local workload's process every MTLS_RETRY_MS, this
	 * many times after each change (0: MTLS_RETRY_MAX); its cgroup's
	 * first process is noticed at once anyway (podwatch.h). */
	unsigned int mtls_retries;
	/* Interfaces by name and by pattern (links.h's rules (a) and (b)),
	 * as many as given; rule (c), the route to each local workload,
	 * unless <no_route_guards>. */
	const struct links_want *guards;
	size_t n_guards;
	bool no_route_guards;
	unsigned int debounce_ms;
	bool verbose;
};

/* Runs the agent until SIGTERM/SIGINT, which leave the programs attached
 * and the tables live for the next agent. Returns 0 after a clean stop,
 * or a negative errno when it could not start (-EWOULDBLOCK: another
 * agent holds the node). */
int agent_run(const struct agent_opts *o);

/* Removes every program, link, pin, tc filter and XDP program infermesh
 * put on node o->node (o->pin_root, o->state_dir as for agent_run(); the
 * interfaces of this network namespace), and its state dir. Refuses
 * (-EWOULDBLOCK) while an agent runs for the node. Returns 0 or -errno;
 * prints what it did. */
int agent_uninstall(const struct agent_opts *o);

#endif
