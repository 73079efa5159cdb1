// SPDX-License-Identifier: Apache-2.0
/* infermesh agent: the node agent (user/agent/), and infermesh uninstall.
 * Exit status: 0 after a clean stop (SIGTERM/SIGINT) or a done uninstall,
 * 1 when it could not start (another agent holds the node) or uninstall
 * failed, 2 bad usage. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../agent/agent.h"
#include "../tls/svid.h"
#include "../util/grow.h"
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
"  --state-dir DIR      names for `infermesh maps` (names.<gen>.json), the\n"
"                       last good version of each object (lastgood/) and the\n"
"                       admin socket of `infermesh status` (admin.sock)\n"
"                       (default /run/infermesh/NAME; keep it out of --config)\n"
"  --cgroup-root PATH   cgroup v2 directory to attach connect4/6,\n"
"                       getpeername4/6 and sockops to; infermesh.io/cgroup\n"
"                       annotations are relative to it (default: the\n"
"                       cgroup v2 mount)\n"
"  --mesh-config FILE   Istio MeshConfig (trust domain, ...)\n"
"  --locality R/Z[/S]   this node's locality for locality load balancing\n"
"                       (default: that of its first workload with one)\n"
"  --ca-dir DIR         the mesh CA in Istio's cacerts layout (ca-key.pem,\n"
"                       ca-cert.pem, cert-chain.pem, root-cert.pem), e.g. made\n"
"                       once with `infermesh ca init DIR` and shared by the\n"
"                       nodes (default: a built-in CA made on first start in\n"
"                       the state dir, ca/); a CA that cannot work (a file\n"
"                       missing, a key others can read, a key that does not\n"
"                       match, no chain to the root) stops the start\n"
"  --svid-ttl DURATION  lifetime of workload certificates, renewed at\n"
"                       half-life: N, Ns, Nm or Nh (default 24h, at least 4s)\n"
"  --mtls               carry every mesh call over mutual TLS: connect4 sends\n"
"                       each call to a mesh workload's port that is not\n"
"                       DISABLE to the agent inside the caller's pod, which\n"
"                       carries it as an HBONE stream (ztunnel's wire format)\n"
"                       from the caller's address with its SVID to the\n"
"                       destination's :15008, where the destination's agent\n"
"                       checks the peer and AuthorizationPolicy and connects\n"
"                       to the workload from the caller's address. Switching\n"
"                       it on or off across a restart reloads the programs.\n"
"                       While no agent runs, captured calls are refused\n"
"                       (fail closed) until the next one listens\n"
"\n"
"Guards follow the interfaces as they come and go (rtnetlink). By default the\n"
"tc guard sits at egress of every interface the kernel routes a local\n"
"workload's address through directly (a unicast route with no gateway, not a\n"
"loopback): the node side of each pod's link. The flags below add interfaces\n"
"by name or pattern; each may be repeated, and a named interface that does\n"
"not exist yet is guarded when it appears.\n"
"\n"
"  --guard-if IFNAME    the tc guard at ingress of IFNAME\n"
"  --guard-egress-if IFNAME\n"
"                       the tc guard at egress of IFNAME\n"
"  --xdp-if IFNAME      the XDP guard on IFNAME; one that already has another\n"
"                       XDP program is an error (at start) or logged, never\n"
"                       replaced\n"
"  --guard-if-pattern GLOB, --guard-egress-if-pattern GLOB, --xdp-if-pattern GLOB\n"
"                       the same for every interface whose name matches GLOB\n"
"                       (fnmatch(3), e.g. 'cali*'; quote it from the shell)\n"
"  --no-guard-routes    no guard by route: only the names and patterns given\n"
"\n"
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

struct wants {
	struct links_want *v;
	size_t n, cap;
};

/* A name (or pattern) longer than an interface name can be is bad usage. */
static int add_want(struct wants *w, const char *name, enum dp_guard_kind k,
		    bool pattern)
{
	struct links_want *x;

	if (!*name || strlen(name) >= IF_NAMESIZE) {
		fprintf(stderr, "infermesh agent: interface name or pattern "
			"'%s': 1 to %d characters\n", name, IF_NAMESIZE - 1);
		return -1;
	}
	x = GROW_PUSH(w->v, w->n, w->cap);
	if (!x)
		return -1;
	x->name = name;
	x->hook = k;
	x->pattern = pattern;
	return 0;
}

static const struct {
	const char *flag;
	enum dp_guard_kind kind;
	bool pattern;
} guard_flags[] = {
	{ "--guard-if", DP_GUARD_TC_INGRESS, false },
	{ "--guard-egress-if", DP_GUARD_TC_EGRESS, false },
	{ "--xdp-if", DP_GUARD_XDP, false },
	{ "--guard-if-pattern", DP_GUARD_TC_INGRESS, true },
	{ "--guard-egress-if-pattern", DP_GUARD_TC_EGRESS, true },
	{ "--xdp-if-pattern", DP_GUARD_XDP, true },
};

/* 1 when <f> is a guard flag (then *bad says whether its value was bad). */
static int guard_flag(struct wants *w, const char *f, const char *v, int *bad)
{
	size_t i;

	for (i = 0; i < sizeof(guard_flags) / sizeof(guard_flags[0]); i++)
		if (!strcmp(f, guard_flags[i].flag)) {
			*bad = add_want(w, v, guard_flags[i].kind,
					guard_flags[i].pattern);
			return 1;
		}
	return 0;
}

/* "90", "90s", "30m", "24h" as seconds, from SVID_TTL_MIN up to a year. */
static int parse_ttl(const char *v, unsigned int *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10), mul = 1;

	if (end == v || *v == '-')
		goto bad;
	if (*end == 'm')
		mul = 60;
	else if (*end == 'h')
		mul = 3600;
	else if (*end && *end != 's')
		goto bad;
	if (*end && end[1])
		goto bad;
	if (n > 366UL * 24 * 3600 / mul || n * mul < SVID_TTL_MIN)
		goto bad;
	*out = (unsigned int)(n * mul);
	return 0;
bad:
	fprintf(stderr, "infermesh agent: --svid-ttl %s: a duration such as "
		"24h, 90m or 3600s, from %us to 366 days\n", v, SVID_TTL_MIN);
	return -1;
}

/* 0, 1 for --help, -1 on bad usage. */
static int parse_args(int argc, char **argv, struct agent_opts *a,
		      struct cli_opts *o, struct wants *w, bool *uninstall)
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
		if (!strcmp(f, "--mtls")) {
			a->mtls = true;
			continue;
		}
		if (!strcmp(f, "--no-guard-routes")) {
			a->no_route_guards = true;
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
		else if (!strcmp(f, "--ca-dir"))
			a->ca_dir = v;
		else if (!strcmp(f, "--svid-ttl"))
			bad = parse_ttl(v, &a->svid_ttl);
		else if (guard_flag(w, f, v, &bad))
			;
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
	struct wants w = { 0 };
	int r = parse_args(argc, argv, &a, o, &w, &uninstall), rc;

	a.guards = w.v;
	a.n_guards = w.n;
	if (r > 0) {
		agent_usage(stdout);
		rc = 0;
	} else if (r < 0) {
		agent_usage(stderr);
		rc = 2;
	} else if (uninstall) {
		rc = agent_uninstall(&a) ? 1 : 0;
	} else {
		rc = agent_run(&a) ? 1 : 0;
	}
	free(w.v);
	return rc;
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
