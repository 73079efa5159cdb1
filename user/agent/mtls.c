// SPDX-License-Identifier: Apache-2.0
/* The mTLS proxy in the agent (see mtls.h). */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "context.h"
#include "mtls.h"
#include "peers.h"

/* Local workloads the proxy can listen for: those with a cgroup. */
static size_t servable(const struct agent_peers *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->v[i].local && p->v[i].cgroup[0];
	return n;
}

static void retry_arm(struct agent *a, bool on)
{
	struct itimerspec t = { 0 };

	if (on) {
		t.it_value.tv_sec = MTLS_RETRY_MS / 1000;
		t.it_value.tv_nsec = MTLS_RETRY_MS % 1000 * 1000000L;
	}
	timerfd_settime(a->mtls_retry_fd, 0, &t, NULL);
}

static unsigned int retries(const struct agent *a)
{
	return a->o.mtls_retries ? a->o.mtls_retries : MTLS_RETRY_MAX;
}

/* The listeners follow the peer list; while some local workload has none
 * (no process in its cgroup yet), look again soon, a bounded number of
 * times (a first process later is seen by podwatch). Logged when the
 * count changes, not at every event. */
static void sync_listeners(struct agent *a)
{
	size_t want = servable(&a->peers);
	int n = px_engine_update(a->px, a->peers.v, a->peers.n);

	if (n < 0) {
		agent_log(a, "mTLS: updating the proxy's workloads failed "
			  "(%s): the previous ones stay", strerror(-n));
		retry_arm(a, a->mtls_tries++ < retries(a));
		return;
	}
	if (n != a->mtls_listening)
		agent_log(a, "mTLS: listening for %d of %zu local workloads "
			  "(%zu mesh workloads known)", n, want, a->peers.n);
	a->mtls_listening = n;
	if ((size_t)n >= want) {
		retry_arm(a, false);
		return;
	}
	if (a->mtls_tries == retries(a))
		agent_log(a, "mTLS: %zu local workloads still have no "
			  "process to listen in; waiting for one to start "
			  "(its cgroup's events), a link event or a reload",
			  want - (size_t)n);
	retry_arm(a, a->mtls_tries++ < retries(a));
}

/* Some local workload's cgroup got its first process (or lost its last):
 * the listeners follow now. */
static void on_cgroup_event(void *ctx, int fd)
{
	struct agent *a = ctx;

	if (!podwatch_drain(&a->podwatch))
		return;
	a->mtls_tries = 0;
	sync_listeners(a);
}

/* The cgroups to watch are those of the local workloads we know now. */
static void watch_pods(struct agent *a)
{
	int missing = podwatch_set(&a->podwatch, &a->peers);

	if (missing < 0)
		agent_log(a, "mTLS: watching the workloads' cgroups failed "
			  "(%s): a late pod waits for the retry or a link "
			  "event", strerror(-missing));
	else if (missing)
		agent_log(a, "mTLS: %d local workloads' cgroups do not exist "
			  "yet: not watched until a link event or a reload",
			  missing);
}

static void on_retry(void *ctx, int fd)
{
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		sync_listeners(ctx);
}

static void log_left_out(struct agent *a, const struct agent_peers *p)
{
	if (p->conflicts)
		agent_log(a, "mTLS: %zu addresses claimed by workloads of "
			  "different identities: calls to and from them are "
			  "refused", p->conflicts);
	if (p->too_long)
		agent_log(a, "mTLS: %zu workloads with an identity or cgroup "
			  "path too long for the proxy: refused",
			  p->too_long);
	if (p->no_cgroup)
		agent_log(a, "mTLS: %zu local workloads without an "
			  "infermesh.io/cgroup annotation: no listener, their "
			  "calls and tunnels are refused", p->no_cgroup);
}

void mtls_peers(struct agent *a, const struct model *m)
{
	struct agent_peers p;
	int err;

	if (!a->px)
		return;
	err = agent_peers_build(m, a->o.node, a->paths.cgroup_root, &p);
	if (err) {
		agent_log(a, "mTLS: building the workload list failed (%s): "
			  "the previous one stays", strerror(-err));
		agent_peers_free(&p);
		return;
	}
	log_left_out(a, &p);
	agent_peers_free(&a->peers);
	a->peers = p;
	a->mtls_tries = 0;
	watch_pods(a);
	sync_listeners(a);
}

void mtls_links_changed(struct agent *a)
{
	if (!a->px)
		return;
	a->mtls_tries = 0;
	watch_pods(a);
	sync_listeners(a);
}

/* Every carried call holds descriptors (the caller's socket, or the leg
 * to the workload; tunnels are shared), and a service manager's default
 * soft limit (1024) would cap the node at a few hundred calls with
 * nothing said: take the whole hard limit, and say what it is. A proxy
 * out of descriptors refuses new connections and counts them (fd_limit). */
static void raise_nofile(struct agent *a)
{
	struct rlimit r;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return;
	was = r.rlim_cur;
	r.rlim_cur = r.rlim_max;
	if (was != r.rlim_max && setrlimit(RLIMIT_NOFILE, &r))
		agent_log(a, "mTLS: raising the open files limit from %llu to "
			  "%llu failed (%s)", (unsigned long long)was,
			  (unsigned long long)r.rlim_max, strerror(errno));
	else
		agent_log(a, "mTLS: open files limit %llu (was %llu): new "
			  "calls past it are refused as fd_limit",
			  (unsigned long long)r.rlim_max,
			  (unsigned long long)was);
}

int mtls_start(struct agent *a)
{
	struct px_engine_conf c = {
		.idents = &a->idents, .authz = &a->authz, .l7 = &a->l7,
		.cap_fd = dp_map_fd(&a->dp, "im_cap_v2"),
		.outcome_fd = dp_outcome_prog_fd(&a->dp),
	};
	int err;

	if (!a->o.mtls)
		return 0;
	if (c.cap_fd < 0)
		return c.cap_fd;
	if (c.outcome_fd < 0)
		return c.outcome_fd;
	raise_nofile(a);
	a->mtls_retry_fd = timerfd_create(CLOCK_MONOTONIC,
					  TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->mtls_retry_fd < 0)
		return -errno;
	err = loop_add(&a->loop, a->mtls_retry_fd, on_retry, a);
	err = err ?: podwatch_open(&a->podwatch);
	err = err ?: loop_add(&a->loop, a->podwatch.fd, on_cgroup_event, a);
	err = err ?: px_engine_start(&c, &a->px);
	if (err)
		agent_log(a, "mTLS: the proxy could not start: %s",
			  strerror(-err));
	else
		agent_log(a, "mTLS: proxy started; captured calls go through "
			  "HBONE tunnels, :15008 is answered per workload");
	return err;
}

/* What the proxy did, in one line, and each refusal reason that moved:
 * at stop, so a log says it even when nothing asked while it ran. */
static void log_counters(struct agent *a)
{
	struct px_counters c;
	int i;

	px_engine_counters(a->px, &c);
	agent_log(a, "mTLS: %llu captured calls carried in %llu streams, "
		  "%llu tunnels and %llu streams answered, %llu bytes out, "
		  "%llu in", (unsigned long long)c.out_accepted,
		  (unsigned long long)c.out_streams,
		  (unsigned long long)c.in_tunnels,
		  (unsigned long long)c.in_streams,
		  (unsigned long long)c.bytes_out,
		  (unsigned long long)c.bytes_in);
	agent_log(a, "mTLS: outcomes charged to their hosts: %llu success, "
		  "%llu failure (%llu ejections), %llu stale, %llu errors",
		  (unsigned long long)c.charged_ok,
		  (unsigned long long)c.charged_fail,
		  (unsigned long long)c.ejections,
		  (unsigned long long)c.charge_stale,
		  (unsigned long long)c.charge_errors);
	for (i = 0; i < PX_R_MAX; i++)
		if (c.refused[i])
			agent_log(a, "mTLS: refused %llu: %s",
				  (unsigned long long)c.refused[i],
				  px_refuse_name(i));
	for (i = 0; i < TLS_R__COUNT; i++)
		if (c.tls_refused[i])
			agent_log(a, "mTLS: handshakes refused %llu: %s",
				  (unsigned long long)c.tls_refused[i],
				  tls_refusal_name(i));
	for (i = 0; i < TLS_R__COUNT; i++)
		if (c.tls_out_refused[i])
			agent_log(a, "mTLS: handshakes dialled, refused %llu: %s",
				  (unsigned long long)c.tls_out_refused[i],
				  tls_refusal_name(i));
	for (i = 0; i < HBONE_R_MAX; i++)
		if (c.hbone.refused[i])
			agent_log(a, "mTLS: HBONE refused %llu: %s",
				  (unsigned long long)c.hbone.refused[i],
				  hbone_refuse_name(i));
}

void mtls_stop(struct agent *a)
{
	if (a->px) {
		log_counters(a);
		px_engine_stop(a->px);
		agent_log(a, "mTLS: proxy stopped; captured calls are refused "
			  "until the next agent listens");
	}
	a->px = NULL;
	if (a->mtls_retry_fd >= 0) {
		loop_del(&a->loop, a->mtls_retry_fd);
		close(a->mtls_retry_fd);
	}
	a->mtls_retry_fd = -1;
	if (a->podwatch.fd >= 0)
		loop_del(&a->loop, a->podwatch.fd);
	podwatch_close(&a->podwatch);
	agent_peers_free(&a->peers);
}
