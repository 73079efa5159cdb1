/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent tests' fixture (test_agent_run.c, test_agent_lifecycle.c): a
 * temporary config dir, state dir, pin root and cgroup (with a workload
 * cgroup "wl" inside), a network namespace of its own with a veth pair
 * for the guards, a listener for the workload's address, and agents run
 * by agent_run() in forked children. Every wait is bounded; only the
 * children started here are signalled, by PID; af_teardown() removes all
 * that af_setup() made, also after a failed assertion.
 */
#ifndef IM_TESTS_AGENT_FIX_H
#define IM_TESTS_AGENT_FIX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/agent.h"
#include "dataplane/dataplane.h"
#include "dataplane/guard.h"
#include "kernel/cgroup.h"

#define WAIT_MS 30000		/* start-up probes the kernel first */
#define STOP_MS 10000
#define VIP1 "10.250.0.1"
#define VIP2 "10.250.0.2"
#define VIP3 "10.250.0.3"
#define EP "127.0.0.71"	/* the workload: a listener on loopback */
#define EP_HOST 0x7f000047
#define TC_IF "imx0"	/* the veth ends in the test's namespace */
#define XDP_IF "imx1"
#define DIALS 20

struct afix {
	char dir[64];		/* config dir */
	char state[80];
	char pins[96];
	char logs[64];		/* not the config dir: it is watched */
	char log[96];
	char log2[96];		/* a second agent's, and uninstall's */
	struct cgroup_tmp cg;
	char wl_cg[320];	/* the workload's cgroup, inside cg */
	struct cgroup_tmp wl;	/* the same, for dp_child */
	char ns[64];		/* the agents' network namespace */
	int lfd;		/* listening on EP:7000 */
	bool mounted;		/* bpffs mounted by this test */
	pid_t pid;
};

uint64_t af_now_ms(void);
void af_sleep_ms(long ms);
/* Writes <dir>/<name> in one rename: the agent sees a whole file. */
int af_write_file(const char *dir, const char *name, const char *text);
/* A Service <name> at <vip>:<port> selecting app: echo (static buffer). */
const char *af_svc_yaml(const char *name, const char *vip, int port);

/* Reading and writing the pinned maps. */
int af_map_fd(const struct afix *f, const char *name);
int af_lookup(const struct afix *f, const char *map, const void *k, void *v);
int af_put(const struct afix *f, const char *map, const void *k,
	   const void *v);
int af_live_gen(const struct afix *f);
bool af_has_svc(const struct afix *f, int gen, const char *vip, int port,
		struct im_svc *out);
/* Waits until generation <gen> is live and holds <vip>:<port>. */
bool af_wait_svc(const struct afix *f, int gen, const char *vip, int port,
		 long ms);
/* Waits until the live generation no longer holds <vip>:<port>. */
bool af_wait_no_svc(const struct afix *f, const char *vip, int port,
		    long ms);
/* Programs on the cgroup for connect4 (the first one's id in *id). */
int af_attached(const struct afix *f, __u32 *id);
bool af_pinned(const struct afix *f, const char *rel);

/* Agents in children. */
int af_enter_ns(const struct afix *f);
/* Runs <fn>(<ifindex of ifname>, <k>) inside the fixture's namespace and
 * comes back; -1 when the interface is missing or the namespace cannot be
 * entered. */
long af_in_ns(const struct afix *f, const char *ifname,
	      long (*fn)(int ifindex, enum dp_guard_kind k),
	      enum dp_guard_kind k);
/* A child in the fixture's namespace, stdout and stderr to <log>,
 * running <fn> on the fixture's agent options; exits 0 when <fn> returned
 * 0, 1 otherwise. */
pid_t af_fork_in_ns(const struct afix *f, const char *log,
		    int (*fn)(const struct agent_opts *));
void af_start_agent(struct afix *f);
/* Sends <sig> (0: none) to our child <pid> and reaps it within <ms>
 * (then SIGKILL). Returns its wait status, or -1 if it had to be killed. */
int af_reap(pid_t pid, int sig, long ms);
int af_stop_agent(struct afix *f, int sig);
void af_dump_file(const char *path);
bool af_file_has(const char *path, const char *text);
/* Lines of <path> holding <text>. */
int af_file_count(const char *path, const char *text);

bool af_setup(struct afix *f);
void af_teardown(struct afix *f);

#endif
