// SPDX-License-Identifier: Apache-2.0
/*
 * The node agent's life: lock the node, probe, load and attach against
 * the pinned state (user/dataplane/), apply the config, then run the event
 * loop: signals, config changes, slot collection. SIGHUP reloads.
 *
 * Stopping never detaches: after SIGTERM/SIGINT, as after a crash, the
 * programs stay attached through the pinned links and the netlink-attached
 * guards and keep balancing and policing with the last tables applied,
 * and the next agent adopts them (a rolling update has no gap). Only
 * `infermesh uninstall` removes them (uninstall.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "../dataplane/gen.h"
#include "../dataplane/pin.h"
#include "../dataplane/reconcile.h"
#include "../kernel/bpf_load.h"
#include "../kernel/features.h"
#include "admin.h"
#include "apply.h"
#include "context.h"
#include "featcache.h"
#include "guards.h"
#include "identity.h"
#include "mtls.h"
#include "reload.h"
#include "rotate.h"
#include "watch.h"

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void agent_log(const struct agent *a, const char *fmt, ...)
{
	va_list ap;

	FILE *f = a->log_hold ? a->log_hold : stderr;

	fprintf(f, "infermesh agent %s: ", a->o.node);
	if (a->o.verbose)	/* where a start or a reload spends its time */
		fprintf(f, "[+%.1f ms] ", (double)(mono_us() - a->t0_us) / 1e3);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

/* FNV-1a of the node name: the programs' im_node_id. */
static uint32_t node_id(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int need(const struct agent *a, const struct features *f,
		enum feat_id id)
{
	if (f->r[id].state == FEAT_PRESENT)
		return 0;
	agent_log(a, "this kernel lacks %s: %s", feat_title(id),
		  f->r[id].detail);
	return -EOPNOTSUPP;
}

/* The features this agent's programs and hooks need. */
static uint32_t needed(const struct agent *a)
{
	uint32_t m = FEAT_BIT(FEAT_BPF_SYSCALL) | FEAT_BIT(FEAT_CGROUP2) |
		     FEAT_BIT(FEAT_CONNECT4) | FEAT_BIT(FEAT_SOCKOPS);
	size_t i;

	for (i = 0; i < a->o.n_guards; i++)
		m |= FEAT_BIT(a->o.guards[i].hook == DP_GUARD_XDP ? FEAT_XDP
								  : FEAT_TC);
	if (!a->o.no_route_guards)
		m |= FEAT_BIT(FEAT_TC);
	return m;
}

/* Only what the agent needs, and only what this boot of this kernel was
 * not already seen to have (featcache.h): a restart is back sooner. */
static int probe(struct agent *a)
{
	uint32_t want = needed(a);
	uint32_t known = featcache_load(a->paths.state_dir) & want;
	struct features f;
	int id, err = 0;

	if (known == want) {
		agent_log(a, "kernel features: present, as probed earlier in "
			  "this boot (%s/%s)", a->paths.state_dir,
			  FEATCACHE_FILE);
		return 0;
	}
	features_probe_some(&f, want & ~known);
	for (id = 0; !err && id < FEAT__COUNT; id++)
		if (want & ~known & FEAT_BIT(id))
			err = need(a, &f, id);
	a->feat_probed = err ? 0 : want;
	return err;
}

/* Once the node is ours: what the probe found, for the next start. */
static int keep_features(struct agent *a)
{
	int err;

	if (!a->feat_probed)
		return 0;
	err = featcache_store(a->paths.state_dir, a->feat_probed);
	if (err)	/* the next start probes again: slower, not wrong */
		agent_log(a, "keeping the kernel features in %s failed: %s",
			  a->paths.state_dir, strerror(-err));
	return 0;
}

/* ---- signals ---- */

static void on_signal(void *ctx, int fd)
{
	struct signalfd_siginfo si;
	struct agent *a = ctx;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP) {
			loop_stop(&a->loop);
			return;
		}
		agent_log(a, "SIGHUP: reloading");
		agent_reload(a);
	}
}

static int signals(struct agent *a)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &s, NULL))
		return -errno;
	/* A peer that closes while we write must cost its connection only:
	 * OpenSSL writes a tunnel's records with write(), and the relay writes
	 * the workload's socket, so EPIPE, never a SIGPIPE that ends the
	 * agent (a TLS client closing mid-frame did exactly that). */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;
	a->signal_fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->signal_fd < 0)
		return -errno;
	return loop_add(&a->loop, a->signal_fd, on_signal, a);
}

/* ---- start ---- */

/* Before anything is written: a second agent must change nothing. */
static int lock(struct agent *a)
{
	char who[128];

	snprintf(who, sizeof(who), "infermesh agent %s", a->o.node);
	return node_lock(&a->lock, &a->paths, true, who);
}

static int prepare_pins(struct agent *a)
{
	struct dp_pin_report r;
	int err = dp_pins_prepare(a->paths.pin_root, &r);
	size_t i;

	a->adopted = r.adopted;
	for (i = 0; i < r.n_retired; i++)
		agent_log(a, "removed the pin of retired map %s (its format "
			  "changed; see dataplane.h)", r.retired[i]);
	return err;
}

static int load(struct agent *a)
{
	struct dp_opts o = {
		.node_id = node_id(a->o.node),
		.pin_root = a->paths.pin_root,
		.capture = a->o.mtls,
	};
	int err;

	a->cgroup_fd = open(a->paths.cgroup_root,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->cgroup_fd < 0)
		return -errno;
	err = dp_load(&a->dp, &o);
	a->loaded = !err;
	if (err)
		agent_log(a, "loading the programs against the maps pinned "
			  "under %s failed (%s); if they come from an "
			  "incompatible build, remove that directory",
			  a->paths.pin_root, strerror(-err));
	return err;
}

/* Before attaching anything: a listed interface whose XDP hook holds
 * someone else's program stops the start with nothing of ours attached.
 * (One that appears later is only logged by the follower, links.c.) */
static int guards_check(struct agent *a)
{
	const struct links_want *w;
	size_t i;
	int ifindex, err;

	for (i = 0; i < a->o.n_guards; i++) {
		w = &a->o.guards[i];
		if (w->hook != DP_GUARD_XDP || w->pattern)
			continue;
		ifindex = (int)if_nametoindex(w->name);
		if (!ifindex)
			continue;	/* waited for */
		err = dp_guard_check(ifindex, DP_GUARD_XDP);
		if (err == -EBUSY)
			agent_log(a, "%s: another XDP program is attached to "
				  "it; infermesh does not replace it (detach "
				  "it, or leave %s out of --xdp-if)", w->name,
				  w->name);
		else if (err)
			agent_log(a, "%s: %s", w->name, strerror(-err));
		if (err)
			return err;
	}
	return 0;
}

/* A start that failed half way on a node nothing enforced before. */
static void detach_all(struct agent *a)
{
	guards_detach(a);
	dp_cgroup_detach_pinned(&a->dp);
}

/* The active counts of the adopted maps, made true to the sockets that
 * exist (connections may have closed while no agent ran); the programs
 * are attached, so nothing closing from now on is missed. A failure only
 * leaves counts low until those connections close: logged, not fatal. */
static int recount(struct agent *a)
{
	struct dp_recount r;
	int err = dp_reconcile(&a->dp, &r);

	if (err)
		agent_log(a, "recounting active connections failed (%s); "
			  "counts may read low until those connections close",
			  strerror(-err));
	if (r.skipped_ns)
		agent_log(a, "recount: %llu network namespaces could not be "
			  "entered; their connections count low until they "
			  "close", (unsigned long long)r.skipped_ns);
	if (!err && (r.leaked || r.closed))
		agent_log(a, "recount: %llu connections counted that no "
			  "longer exist removed, %llu ended unseen, %llu "
			  "established counted",
			  (unsigned long long)r.leaked,
			  (unsigned long long)r.closed,
			  (unsigned long long)r.claimed);
	return 0;
}

/* With -v, a step's end is logged (agent_log says when): the start's
 * time, step by step. */
static int step(struct agent *a, const char *what, int err)
{
	if (a->o.verbose && !err)
		agent_log(a, "start: %s done", what);
	return err;
}

static int start(struct agent *a)
{
	int err = loop_init(&a->loop);

	err = err ?: dp_paths_resolve(&a->paths, a->o.node, a->o.pin_root,
				      a->o.state_dir, a->o.cgroup_root);
	err = err ?: step(a, "kernel probe", probe(a));
	err = err ?: signals(a);
	err = err ?: lock(a);
	err = err ?: keep_features(a);
	err = err ?: step(a, "identity", agent_identity_open(a));
	err = err ?: admin_open(a);	/* before any thread: see admin.h */
	err = err ?: guards_check(a);
	err = err ?: prepare_pins(a);
	err = err ?: step(a, "programs loaded", load(a));
	if (err)
		return err;
	err = dp_cgroup_attach_pinned(&a->dp, a->cgroup_fd, a->paths.pin_root);
	err = err ?: step(a, "attached", guards_start(a));
	if (err && !a->adopted)	/* nothing enforced before us: undo */
		detach_all(a);
	err = err ?: dp_gen_live(&a->dp, &a->live_gen);
	err = err ?: step(a, "recount", recount(a));
	err = err ?: step(a, "apply", apply_init(a));
	err = err ?: rotate_init(a);
	err = err ?: step(a, "mTLS", mtls_start(a));
	return err ?: watch_init(a);
}

static void release(struct agent *a)
{
	admin_close(a);
	mtls_stop(a);		/* before the maps and policy it reads go */
	guards_close(a);	/* what is attached stays */
	watch_close(a);
	rotate_close(a);
	apply_close(a);
	if (a->loaded)
		dp_destroy(&a->dp);	/* closes link fds; pins stay */
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	loop_close(&a->loop);
	agent_identity_close(a);
	node_unlock(&a->lock);
	intern_free(&a->principals);
	intern_free(&a->namespaces);
}

int agent_run(const struct agent_opts *o)
{
	struct agent a = { .o = *o, .cgroup_fd = -1, .inotify_fd = -1,
			   .debounce_fd = -1, .gc_fd = -1, .signal_fd = -1,
			   .rotate_fd = -1, .mtls_retry_fd = -1,
			   .podwatch.fd = -1,
			   .loop.epfd = -1, .lock = { -1, -1, -1 },
			   .admin = { .lfd = -1, .timer_fd = -1 } };
	int err;

	a.t0_us = mono_us();
	bpf_log_init(o->verbose);
	err = start(&a);
	if (!err) {
		agent_log(&a, "running: pins under %s, %s, cgroup %s",
			  a.paths.pin_root, a.adopted ?
			  "adopted the pinned state" : "fresh state",
			  a.paths.cgroup_root);
		agent_reload(&a);
		err = loop_run(&a.loop);
		agent_log(&a, "stopped: the programs stay attached with the "
			  "tables in force (pins under %s) for the next agent; "
			  "`infermesh uninstall` removes them",
			  a.paths.pin_root);
	} else {
		agent_log(&a, "not started: %s", strerror(-err));
	}
	release(&a);
	return err;
}
