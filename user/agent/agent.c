// SPDX-License-Identifier: Apache-2.0
/*
 * The node agent's life: probe, load and attach against the pinned state
 * (user/dataplane/), apply the config, then run the event loop: signals,
 * config changes, slot collection. SIGTERM/SIGINT detach everything (the
 * maps stay pinned for the next agent); SIGHUP reloads. A killed agent
 * leaves its programs attached through the pinned links and the
 * netlink-attached guards, so traffic keeps flowing under the last tables
 * it applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../dataplane/gen.h"
#include "../dataplane/pin.h"
#include "../dataplane/reconcile.h"
#include "../kernel/bpf_load.h"
#include "../kernel/features.h"
#include "../util/dirs.h"
#include "apply.h"
#include "context.h"
#include "guards.h"
#include "reload.h"
#include "watch.h"

void agent_log(const struct agent *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "infermesh agent %s: ", a->o.node);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

static int probe(struct agent *a)
{
	struct features f;
	int err;

	features_probe(&f);
	err = need(a, &f, FEAT_BPF_SYSCALL);
	err = err ?: need(a, &f, FEAT_CGROUP2);
	err = err ?: need(a, &f, FEAT_CONNECT4);
	err = err ?: need(a, &f, FEAT_SOCKOPS);
	for (size_t i = 0; !err && i < a->o.n_guards; i++)
		err = need(a, &f, a->o.guards[i].hook == DP_GUARD_XDP ?
				  FEAT_XDP : FEAT_TC);
	if (!err && !a->o.no_route_guards)
		err = need(a, &f, FEAT_TC);
	return err;
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
	a->signal_fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->signal_fd < 0)
		return -errno;
	return loop_add(&a->loop, a->signal_fd, on_signal, a);
}

/* ---- start ---- */

static int prepare_dirs(struct agent *a)
{
	struct dp_pin_report r;
	int err = dp_pins_prepare(a->paths.pin_root, &r);
	size_t i;

	a->adopted = r.adopted;
	for (i = 0; i < r.n_retired; i++)
		agent_log(a, "removed the pin of retired map %s (its format "
			  "changed; see dataplane.h)", r.retired[i]);
	return err ?: mkdirs(a->paths.state_dir, 0700);
}

static int load(struct agent *a)
{
	struct dp_opts o = {
		.node_id = node_id(a->o.node),
		.pin_root = a->paths.pin_root,
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
	else if (r.leaked || r.closed)
		agent_log(a, "recount: %llu connections counted that no "
			  "longer exist removed, %llu ended unseen, %llu "
			  "established counted",
			  (unsigned long long)r.leaked,
			  (unsigned long long)r.closed,
			  (unsigned long long)r.claimed);
	return 0;
}

static int start(struct agent *a)
{
	int err = loop_init(&a->loop);

	err = err ?: dp_paths_resolve(&a->paths, a->o.node, a->o.pin_root,
				      a->o.state_dir, a->o.cgroup_root);
	err = err ?: probe(a);
	err = err ?: signals(a);
	err = err ?: prepare_dirs(a);
	err = err ?: load(a);
	err = err ?: dp_cgroup_attach_pinned(&a->dp, a->cgroup_fd,
					     a->paths.pin_root);
	err = err ?: guards_start(a);
	err = err ?: dp_gen_live(&a->dp, &a->live_gen);
	err = err ?: recount(a);
	err = err ?: apply_init(a);
	return err ?: watch_init(a);
}

/* A clean stop: nothing of ours stays attached; the maps stay pinned. */
static void detach_all(struct agent *a)
{
	guards_detach(a);
	dp_cgroup_detach_pinned(&a->dp);
	agent_log(a, "stopped: programs detached, maps kept under %s",
		  a->paths.pin_root);
}

static void release(struct agent *a)
{
	guards_close(a);	/* what is attached stays */
	watch_close(a);
	apply_close(a);
	if (a->loaded)
		dp_destroy(&a->dp);	/* closes link fds; pins stay */
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	loop_close(&a->loop);
	intern_free(&a->principals);
	intern_free(&a->namespaces);
}

int agent_run(const struct agent_opts *o)
{
	struct agent a = { .o = *o, .cgroup_fd = -1, .inotify_fd = -1,
			   .debounce_fd = -1, .gc_fd = -1, .signal_fd = -1,
			   .loop.epfd = -1 };
	int err;

	bpf_log_init(o->verbose);
	err = start(&a);
	if (!err) {
		agent_log(&a, "running: pins under %s, %s, cgroup %s",
			  a.paths.pin_root, a.adopted ?
			  "adopted the pinned state" : "fresh state",
			  a.paths.cgroup_root);
		agent_reload(&a);
		err = loop_run(&a.loop);
		detach_all(&a);
	} else {
		agent_log(&a, "not started: %s", strerror(-err));
	}
	release(&a);
	return err;
}
