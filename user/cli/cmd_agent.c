// SPDX-License-Identifier: Apache-2.0
/* infermesh agent: the node agent (user/agent/). Exit status: 0 after a
 * clean stop (SIGTERM/SIGINT), 1 when it could not start, 2 bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../agent/agent.h"
#include "cli.h"

static void agent_usage(FILE *f)
{
	fputs(
"Usage: infermesh agent --config DIR --node NAME [options]\n"
"\n"
"Runs the node agent: loads the L4 dataplane programs, attaches them to the\n"
"cgroup root, compiles the Istio configuration in DIR for node NAME into the\n"
"kernel tables, and re-applies it whenever DIR changes. Runs until SIGTERM or\n"
"SIGINT, which detach the programs; SIGHUP reloads. Maps stay pinned, so a\n"
"restarted agent adopts them (endpoint ejections, active connections).\n"
"An object that validation rejects keeps its last good version (stored\n"
"under the state dir, so across restarts too) and the rest of the change\n"
"applies; each rejection is printed with file:line:column. A file that no\n"
"longer parses keeps its objects. A MeshConfig error, or tables that do not\n"
"fit the maps, keep the whole previous tables.\n"
"\n"
"  --config DIR         Istio YAML to apply (watched with inotify, with its\n"
"                       subdirectories)\n"
"  --node NAME          this node: workloads annotated infermesh.io/node: NAME\n"
"                       are local (identities, locality)\n"
"  --pin-root DIR       where maps and links are pinned\n"
"                       (default /sys/fs/bpf/infermesh/NAME; bpffs is mounted at\n"
"                       /sys/fs/bpf when missing)\n"
"  --state-dir DIR      names for `infermesh maps` (names.<gen>.json) and the\n"
"                       last good version of each object (lastgood/)\n"
"                       (default /run/infermesh/NAME; keep it out of --config)\n"
"  --cgroup-root PATH   cgroup v2 directory to attach connect4, getpeername4\n"
"                       and sockops to; infermesh.io/cgroup annotations are\n"
"                       relative to it (default: the cgroup v2 mount)\n"
"  --mesh-config FILE   Istio MeshConfig (trust domain, ...)\n"
"  --locality R/Z[/S]   this node's locality for locality load balancing\n"
"                       (default: that of its first workload with one)\n"
"  --guard-if IFNAME    attach the tc guard at ingress of IFNAME (repeatable)\n"
"  --guard-egress-if IFNAME\n"
"                       attach the tc guard at egress of IFNAME, e.g. the node\n"
"                       side of a pod's veth (repeatable)\n"
"  --xdp-if IFNAME      attach the XDP guard to IFNAME (repeatable)\n"
"  --debounce-ms N      wait N ms after the last change before reloading\n"
"                       (default 200)\n"
"  -v                   libbpf and verifier messages\n"
"  -h, --help           this text\n"
"\n"
"Exit status: 0 stopped cleanly, 1 could not start, 2 bad usage.\n", f);
}

static int add_if(struct agent_opts *a, const char *name, enum dp_guard_kind k)
{
	if (a->n_ifs == AGENT_MAX_IFS)
		return -1;
	a->ifs[a->n_ifs] = name;
	a->if_kind[a->n_ifs++] = k;
	return 0;
}

/* 0, 1 for --help, -1 on bad usage. */
static int parse_args(int argc, char **argv, struct agent_opts *a,
		      struct cli_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(f, "-h") || !strcmp(f, "--help"))
			return 1;
		if (!strcmp(f, "-v")) {
			a->verbose = o->verbose = true;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(f, "--config"))
			a->config_dir = v;
		else if (!strcmp(f, "--node"))
			a->node = v;
		else if (!strcmp(f, "--pin-root"))
			a->pin_root = v;
		else if (!strcmp(f, "--state-dir"))
			a->state_dir = v;
		else if (!strcmp(f, "--cgroup-root"))
			a->cgroup_root = v;
		else if (!strcmp(f, "--mesh-config"))
			a->mesh_config = v;
		else if (!strcmp(f, "--locality"))
			a->locality = v;
		else if (!strcmp(f, "--guard-if"))
			bad = add_if(a, v, DP_GUARD_TC_INGRESS);
		else if (!strcmp(f, "--guard-egress-if"))
			bad = add_if(a, v, DP_GUARD_TC_EGRESS);
		else if (!strcmp(f, "--xdp-if"))
			bad = add_if(a, v, DP_GUARD_XDP);
		else if (!strcmp(f, "--debounce-ms"))
			a->debounce_ms = (unsigned int)strtoul(v, NULL, 10);
		else
			bad = -1;
		if (bad)
			return -1;
	}
	return a->config_dir && a->node ? 0 : -1;
}

int cmd_agent(int argc, char **argv, struct cli_opts *o)
{
	struct agent_opts a = { .debounce_ms = 200, .verbose = o->verbose };
	int r = parse_args(argc, argv, &a, o);

	if (r > 0) {
		agent_usage(stdout);
		return 0;
	}
	if (r < 0) {
		agent_usage(stderr);
		return 2;
	}
	return agent_run(&a) ? 1 : 0;
}
