// SPDX-License-Identifier: Apache-2.0
/* infermesh agent: the node agent (user/agent/), and infermesh uninstall.
 * Exit status: 0 after a clean stop (SIGTERM/SIGINT) or a done uninstall,
 * 1 when it could not start (another agent holds the node) or uninstall
 * failed, 2 bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../agent/agent.h"
#include "cli.h"

static void agent_usage(FILE *f)
{
	fputs(
"Usage: infermesh agent --config DIR --node NAME [options]\n"
"       infermesh agent --uninstall --node NAME [--pin-root DIR] [--state-dir DIR]\n"
"\n"
"Runs the node agent: loads the L4 dataplane programs, attaches them to the\n"
"cgroup root, compiles the Istio configuration in DIR for node NAME into the\n"
"kernel tables, and re-applies it whenever DIR changes. Runs until SIGTERM or\n"
"SIGINT; SIGHUP reloads. Stopping (or a crash) detaches nothing: the programs\n"
"keep balancing and policing with the tables in force, and the next agent\n"
"adopts them and the pinned maps (endpoint ejections, active connections).\n"
"Only --uninstall (or `infermesh uninstall`) removes them.\n"
"One agent per node: it locks the pin root and the state dir; a second one\n"
"exits with status 1 naming the holder's pid and changes nothing. Both\n"
"directories are created 0700 and refused when owned by another user or\n"
"group- or world-writable.\n"
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
"  --xdp-if IFNAME      attach the XDP guard to IFNAME (repeatable); an\n"
"                       interface with another XDP program is an error,\n"
"                       never replaced\n"
"  --debounce-ms N      wait N ms after the last change before reloading\n"
"                       (default 200)\n"
"  --uninstall          instead of running: remove every program, cgroup\n"
"                       link, pin, tc filter and XDP program infermesh put on\n"
"                       node NAME (interfaces of this network namespace) and\n"
"                       its state dir; refused while an agent runs for NAME\n"
"  -v                   libbpf and verifier messages\n"
"  -h, --help           this text\n"
"\n"
"Exit status: 0 stopped cleanly (or uninstalled), 1 could not start (or\n"
"uninstall failed), 2 bad usage.\n", f);
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
		      struct cli_opts *o, bool *uninstall)
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
		if (!strcmp(f, "--uninstall")) {
			*uninstall = true;
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
	return a->node && (a->config_dir || *uninstall) ? 0 : -1;
}

static int run(int argc, char **argv, struct cli_opts *o, bool uninstall)
{
	struct agent_opts a = { .debounce_ms = 200, .verbose = o->verbose };
	int r = parse_args(argc, argv, &a, o, &uninstall);

	if (r > 0) {
		agent_usage(stdout);
		return 0;
	}
	if (r < 0) {
		agent_usage(stderr);
		return 2;
	}
	if (uninstall)
		return agent_uninstall(&a) ? 1 : 0;
	return agent_run(&a) ? 1 : 0;
}

int cmd_agent(int argc, char **argv, struct cli_opts *o)
{
	return run(argc, argv, o, false);
}

/* The same flags as the agent's; --config and the guard flags are not
 * needed (and ignored if given). */
int cmd_uninstall(int argc, char **argv, struct cli_opts *o)
{
	return run(argc, argv, o, true);
}
