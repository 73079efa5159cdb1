// SPDX-License-Identifier: Apache-2.0
/*
 * The node agent's life: probe, load and attach against the pinned state,
 * apply the config, then wait for changes and signals. SIGTERM/SIGINT
 * detach everything (the maps stay pinned for the next agent); SIGHUP
 * reloads. A killed agent leaves its programs attached through the pinned
 * links and the netlink-attached guards, so traffic keeps flowing under
 * the last tables it applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../kernel/bpf_load.h"
#include "../kernel/cgroup.h"
#include "../kernel/features.h"
#include "agent_int.h"
#include "epslot.h"

/* How often slots of removed endpoints are looked at while connections
 * still hold them. */
#define EPSLOT_GC_MS 1000

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
	for (size_t i = 0; !err && i < a->o.n_ifs; i++)
		err = need(a, &f, a->o.if_kind[i] == GUARD_XDP ? FEAT_XDP
							       : FEAT_TC);
	return err;
}

static int set_paths(struct agent *a)
{
	int err = 0;

	snprintf(a->pin_root, sizeof(a->pin_root), "%s", a->o.pin_root ?
		 a->o.pin_root : "");
	if (!a->o.pin_root)
		snprintf(a->pin_root, sizeof(a->pin_root),
			 "/sys/fs/bpf/infermesh/%s", a->o.node);
	if (a->o.state_dir)
		snprintf(a->state_dir, sizeof(a->state_dir), "%s",
			 a->o.state_dir);
	else
		snprintf(a->state_dir, sizeof(a->state_dir),
			 "/run/infermesh/%s", a->o.node);
	if (a->o.cgroup_root)
		snprintf(a->cgroup_root, sizeof(a->cgroup_root), "%s",
			 a->o.cgroup_root);
	else
		err = cgroup2_root(a->cgroup_root, sizeof(a->cgroup_root));
	return err;
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
	return a->signal_fd < 0 ? -errno : 0;
}

static int start(struct agent *a)
{
	struct dp_opts o = {
		.node_id = node_id(a->o.node),
		.pin_root = a->pin_root,
	};
	int err = set_paths(a);

	err = err ?: probe(a);
	err = err ?: signals(a);
	err = err ?: pin_prepare(a);
	if (err)
		return err;
	a->cgroup_fd = open(a->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->cgroup_fd < 0)
		return -errno;
	err = dp_load(&a->dp, &o);
	a->loaded = !err;
	if (err) {
		agent_log(a, "loading the programs against the maps pinned "
			  "under %s failed (%s); if they come from an "
			  "incompatible build, remove that directory",
			  a->pin_root, strerror(-err));
		return err;
	}
	err = pin_attach(a);
	err = err ?: guards_attach(a);
	err = err ?: apply_live_gen(a, &a->live_gen);
	return err ?: watch_init(a);
}

/* Returns 1 to stop, 0 to go on. */
static int on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGHUP)
			return 1;
		agent_log(a, "SIGHUP: reloading");
		agent_reload(a);
	}
	return 0;
}

static void on_timer(struct agent *a)
{
	uint64_t ticks;

	if (read(a->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	watch_refresh(a);	/* new subdirectories */
	agent_log(a, "%s changed: reloading", a->o.config_dir);
	agent_reload(a);
}

static int loop(struct agent *a)
{
	struct pollfd p[3] = {
		{ .fd = a->signal_fd, .events = POLLIN },
		{ .fd = a->inotify_fd, .events = POLLIN },
		{ .fd = a->timer_fd, .events = POLLIN },
	};

	int n;

	for (;;) {
		/* slots of removed endpoints wait for their connections: look
		 * again every EPSLOT_GC_MS while some do */
		n = poll(p, 3, epslot_waiting(a) ? EPSLOT_GC_MS : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n && epslot_gc(a) > 0)
			agent_log(a, "endpoint slots freed");
		if ((p[0].revents & POLLIN) && on_signal(a))
			return 0;
		if (p[1].revents & POLLIN)
			watch_on_events(a);
		if (p[2].revents & POLLIN)
			on_timer(a);
	}
}

/* A clean stop: nothing of ours stays attached; the maps stay pinned. */
static void detach_all(struct agent *a)
{
	guards_detach(a);
	pin_detach(a);
	agent_log(a, "stopped: programs detached, maps kept under %s",
		  a->pin_root);
}

static void release(struct agent *a)
{
	int i;

	for (i = 0; i < AGENT_N_LINKS; i++)	/* closes fds; pins stay */
		if (a->links[i])
			bpf_link__destroy(a->links[i]);
	if (a->loaded)
		dp_destroy(&a->dp);
	watch_close(a);
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	intern_free(&a->principals);
	intern_free(&a->namespaces);
	epslot_free(a);
}

int agent_run(const struct agent_opts *o)
{
	struct agent a = { .o = *o, .cgroup_fd = -1, .inotify_fd = -1,
			   .timer_fd = -1, .signal_fd = -1 };
	int err;

	bpf_log_init(o->verbose);
	err = start(&a);
	if (!err) {
		agent_log(&a, "running: pins under %s, %s, cgroup %s",
			  a.pin_root, a.adopted ? "adopted the pinned state" :
			  "fresh state", a.cgroup_root);
		agent_reload(&a);
		err = loop(&a);
		detach_all(&a);
	} else {
		agent_log(&a, "not started: %s", strerror(-err));
	}
	release(&a);
	return err;
}
