/* SPDX-License-Identifier: Apache-2.0 */
/* The node agent's state: one struct, owned by agent_run(), no globals. */
#ifndef IM_AGENT_STATE_H
#define IM_AGENT_STATE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "../dataplane/dataplane.h"
#include "../compile/compile.h"

#define AGENT_MAX_IFS	16
#define AGENT_N_LINKS	3	/* connect4, getpeername4, sockops */

enum guard_kind { GUARD_TC_INGRESS, GUARD_TC_EGRESS, GUARD_XDP };

struct agent_opts {
	const char *config_dir;
	const char *node;
	const char *pin_root;		/* default /sys/fs/bpf/infermesh/NODE */
	const char *state_dir;		/* default /run/infermesh/NODE */
	const char *cgroup_root;	/* default: the cgroup v2 mount */
	const char *mesh_config;
	const char *locality;		/* default: from the node's workloads */
	const char *ifs[AGENT_MAX_IFS];
	enum guard_kind if_kind[AGENT_MAX_IFS];
	size_t n_ifs;
	unsigned int debounce_ms;
	bool verbose;
};

struct agent_guard {
	char name[IF_NAMESIZE];
	int ifindex;
	enum guard_kind kind;
	bool attached;
};

struct agent {
	struct agent_opts o;
	char pin_root[PATH_MAX];
	char state_dir[PATH_MAX];
	char cgroup_root[PATH_MAX];
	struct dp dp;
	bool loaded;
	bool adopted;		/* pinned maps were there before us */
	int cgroup_fd;
	struct bpf_link *links[AGENT_N_LINKS];
	struct agent_guard guards[AGENT_MAX_IFS];
	size_t n_guards;
	int inotify_fd, timer_fd, signal_fd;
	struct intern principals, namespaces;
	unsigned int live_gen;
	unsigned long applies;	/* table sets switched in */
	struct epslot *epslot;	/* slots the live tables use (epslot.c) */
};

/* ---- agent.c ---- */
/* Runs the agent until SIGTERM/SIGINT. Returns 0 after a clean stop, or
 * a negative errno when it could not start. */
int agent_run(const struct agent_opts *o);

/* ---- pin.c ---- */
/* Mounts bpffs at /sys/fs/bpf when the pin root is under it and nothing
 * is mounted there; creates the pin root and its links/ directory. */
int pin_prepare(struct agent *a);
/* Attaches connect4, getpeername4 and sockops to the cgroup root through
 * pinned links; links pinned by an earlier agent get the new programs
 * atomically instead. */
int pin_attach(struct agent *a);
/* Detaches the cgroup links and removes their pins; maps stay pinned. */
void pin_detach(struct agent *a);

/* ---- guard.c ---- */
int guards_attach(struct agent *a);
void guards_detach(struct agent *a);

/* ---- apply.c ---- */
/* Writes <t> under the idle generation, then makes it live with one
 * update of im_cfg. On error the idle generation is cleared again and the
 * live tables are untouched. */
int apply_tables(struct agent *a, const struct tables *t);
/* The live generation in im_cfg. */
int apply_live_gen(const struct agent *a, unsigned int *gen);
/* Writes the names of <t> for `infermesh maps` into the state dir. */
int apply_names(struct agent *a, const struct tables *t, unsigned int gen);

/* ---- watch.c ---- */
/* inotify on the config dir (and its subdirectories), and a timer that
 * fires <debounce_ms> after the last change. */
int watch_init(struct agent *a);
/* Consumes inotify events; re-arms the timer when one matters. */
int watch_on_events(struct agent *a);
/* Re-adds watches (directories may have appeared). */
int watch_refresh(struct agent *a);
void watch_close(struct agent *a);

#endif
