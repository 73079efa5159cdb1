// SPDX-License-Identifier: Apache-2.0
/*
 * `agent --mtls` across restarts, as root (fixture: agent_fix.h): capture
 * is a load-time setting of the programs (rodata im_capture), and a
 * restart with the other setting must put programs with that setting in
 * the pinned links and on the guard, never keep the previous agent's. Read
 * from the programs the kernel runs: the cgroup's connect4 and sockops and
 * the tc guard, their .rodata maps. The agent with --mtls starts its proxy
 * and stops it on SIGTERM (both logged). A workload whose first process
 * starts after the agent stopped looking for one gets its listeners when
 * it starts.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_fix.h"
#include "bpf_test.h"
#include "connect.skel.h"
#include "dp_netns.h"
#include "proxy/inpod.h"

/* The rodata every dataplane object carries (bpf/lib/config.h): the same
 * layout in each, so connect's skeleton describes them all. */
typedef struct connect_bpf__rodata rodata_t;

/* im_capture of program <id> (0 or 1), or -1 when it cannot be read. */
static int prog_capture(__u32 id)
{
	__u32 maps[8], n = 8, len;
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	int fd = bpf_prog_get_fd_by_id(id), mfd, got = -1;
	rodata_t ro;
	__u32 i, zero = 0;

	if (fd < 0)
		return -1;
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = n;
	pi.map_ids = (__u64)(unsigned long)maps;
	len = sizeof(pi);
	if (bpf_obj_get_info_by_fd(fd, &pi, &len))
		pi.nr_map_ids = 0;
	close(fd);
	for (i = 0; i < pi.nr_map_ids && i < n && got < 0; i++) {
		mfd = bpf_map_get_fd_by_id(maps[i]);
		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &len) &&
		    strstr(mi.name, ".rodata") &&
		    mi.value_size == sizeof(ro) &&
		    !bpf_map_lookup_elem(mfd, &zero, &ro))
			got = ro.im_capture;
		close(mfd);
	}
	return got;
}

/* The program at <type> of the fixture's cgroup (0: none or several). */
static __u32 cgroup_prog(const struct afix *f, enum bpf_attach_type type)
{
	__u32 ids[4] = { 0 }, cnt = 4, flags = 0;

	if (bpf_prog_query(f->cg.fd, type, 0, &flags, ids, &cnt) || cnt != 1)
		return 0;
	return ids[0];
}

static int run_mtls(const struct agent_opts *o)
{
	struct agent_opts m = *o;

	m.mtls = true;
	return agent_run(&m);
}

/* Waits until the programs on the cgroup and the guard are not <old>'s
 * (a new agent's), then reads their capture setting. */
struct progs {
	__u32 connect4, sockops;
	long guard;
};

static bool wait_new_progs(const struct afix *f, const struct progs *old,
			   struct progs *now)
{
	uint64_t end = af_now_ms() + WAIT_MS;

	do {
		now->connect4 = cgroup_prog(f, BPF_CGROUP_INET4_CONNECT);
		now->sockops = cgroup_prog(f, BPF_CGROUP_SOCK_OPS);
		now->guard = 0;
		/* the guard comes after the links: asked only then */
		if (now->connect4 && now->connect4 != old->connect4 &&
		    now->sockops && now->sockops != old->sockops)
			now->guard = af_in_ns(f, TC_IF, dp_guard_find,
					      DP_GUARD_TC_EGRESS);
		if (now->guard > 0 && now->guard != old->guard)
			return true;
		af_sleep_ms(50);
	} while (af_now_ms() < end);
	return false;
}

/* The agent logged one more "generation N live" than <before>. */
static bool wait_applied(const struct afix *f, int before)
{
	uint64_t end = af_now_ms() + WAIT_MS;

	while (af_file_count(f->log, " live: ") <= before) {
		if (af_now_ms() >= end)
			return false;
		af_sleep_ms(50);
	}
	return true;
}

/* Starts an agent (<mtls> or not), checks what its programs say, stops
 * it with SIGTERM. */
static bool one_run(struct afix *f, bool mtls, struct progs *p)
{
	int applied = af_file_count(f->log, " live: ");
	struct progs old = *p;
	int want = mtls ? 1 : 0;
	bool ok;

	f->pid = af_fork_in_ns(f, f->log, mtls ? run_mtls : agent_run);
	ok = CHECK_EQ(wait_new_progs(f, &old, p), true, "a new agent's "
		      "programs on the cgroup and the guard (mtls %d)", want);
	if (ok) {
		CHECK_EQ(prog_capture(p->connect4), want, "connect4 im_capture");
		CHECK_EQ(prog_capture(p->sockops), want, "sockops im_capture");
		CHECK_EQ(prog_capture((__u32)p->guard), want,
			 "tc guard im_capture");
	}
	ok = CHECK_EQ(wait_applied(f, applied), true,
		      "the agent applied its config") && ok;
	CHECK_EQ(af_stop_agent(f, SIGTERM), 0, "the agent stopped cleanly");
	return ok;
}

static void capture_follows_the_flag(void)
{
	struct progs p = { 0 };
	struct afix f;
	int started;
	bool ok;

	NEED_ROOT();
	ok = CHECK_EQ(af_setup(&f), true, "test setup (%s)", strerror(errno));
	ok = ok && one_run(&f, true, &p);
	if (ok) {
		started = af_file_count(f.log, "mTLS: proxy started");
		CHECK_EQ(started, 1, "--mtls: the proxy started");
		CHECK_EQ(af_file_count(f.log, "mTLS: proxy stopped"), 1,
			 "and stopped on SIGTERM");
	}
	ok = ok && one_run(&f, false, &p);	/* off: reloaded, not adopted */
	if (ok)
		CHECK_EQ(af_file_count(f.log, "mTLS: proxy started"), 1,
			 "without --mtls no proxy");
	ok = ok && one_run(&f, true, &p);	/* and on again */
	if (ok)
		CHECK_EQ(af_file_count(f.log, "as probed earlier in this boot"),
			 2, "the kernel probed at the first start only");
	if (CU_get_number_of_failures())
		af_dump_file(f.log);
	af_teardown(&f);
}

/* Looks for the workload's process twice (0.5 s), then only waits for
 * events. */
static int run_mtls_short_retry(const struct agent_opts *o)
{
	struct agent_opts m = *o;

	m.mtls = true;
	m.mtls_retries = 2;
	return agent_run(&m);
}

/* The workload's process: it enters namespace <ns> first and the
 * workload's cgroup second (whoever finds it there finds its final
 * namespace), and lives until *<hold> closes. Returns its pid or -1. */
static pid_t pod_process(const struct afix *f, int ns, int *hold)
{
	struct pollfd p = { .events = POLLIN };
	int life[2], ready[2];
	pid_t pid;
	char c = 0;

	if (pipe(life))
		return -1;
	if (pipe(ready)) {
		close(life[0]);
		close(life[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(life[1]);
		if (setns(ns, CLONE_NEWNET) || cgroup_tmp_enter(&f->wl, 0) ||
		    write(ready[1], "r", 1) != 1)
			_exit(1);
		(void)!read(life[0], &c, 1);	/* until the write end closes */
		_exit(0);
	}
	close(life[0]);
	close(ready[1]);
	*hold = life[1];
	p.fd = ready[0];
	if (pid > 0 && poll(&p, 1, 2000) == 1)
		(void)!read(ready[0], &c, 1);
	close(ready[0]);
	return c == 'r' ? pid : -1;
}

/* Connects to 127.0.0.1:15001 where it runs: 0 when someone listens. */
static int capture_answers(void *unused)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(IM_CAPTURE_PORT),
				  .sin_addr.s_addr = htonl(IM_CAPTURE_IP) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		err = -errno;
	close(fd);
	return err;
}

static bool wait_capture_answers(int ns)
{
	uint64_t end = af_now_ms() + WAIT_MS;

	while (inpod_call(ns, capture_answers, NULL)) {
		if (af_now_ms() >= end)
			return false;
		af_sleep_ms(20);
	}
	return true;
}

static bool wait_log(const struct afix *f, const char *text)
{
	uint64_t end = af_now_ms() + WAIT_MS;

	while (!af_file_has(f->log, text)) {
		if (af_now_ms() >= end)
			return false;
		af_sleep_ms(50);
	}
	return true;
}

static void listeners_when_the_pod_starts_late(void)
{
	int ns = -1, hold = -1, st;
	pid_t pod = -1;
	struct afix f;
	bool ok;

	NEED_ROOT();
	ok = CHECK_EQ(af_setup(&f), true, "test setup (%s)", strerror(errno));
	ns = ok ? dp_ns_new() : -1;
	ok = ok && CHECK_EQ(ns >= 0, 1, "the pod's namespace") &&
	     CHECK_EQ(dp_ip_in(ns, "link set lo up"), 0, "its loopback up");
	if (!ok)
		goto out;
	f.pid = af_fork_in_ns(&f, f.log, run_mtls_short_retry);
	ok = CHECK_EQ(wait_log(&f, "still have no process to listen in"), true,
		      "the agent stopped looking for the workload's process");
	ok = ok && CHECK_EQ(inpod_call(ns, capture_answers, NULL),
			    -ECONNREFUSED, "nothing listens in the pod yet");
	pod = ok ? pod_process(&f, ns, &hold) : -1;
	ok = ok && CHECK_EQ(pod > 0, 1, "the pod's process started");
	ok = ok && CHECK_EQ(wait_capture_answers(ns), true,
			    "the agent's 127.0.0.1:15001 answers in the pod");
	if (ok)	/* logged just after the listeners opened */
		CHECK_EQ(wait_log(&f, "listening for 1 of 1 local"), true,
			 "logged: listening for the workload");
	CHECK_EQ(af_stop_agent(&f, SIGTERM), 0, "the agent stopped cleanly");
out:
	if (hold >= 0)
		close(hold);
	if (pod > 0)
		waitpid(pod, &st, 0);	/* ours; it ends with the pipe */
	if (ns >= 0)
		close(ns);
	if (CU_get_number_of_failures())
		af_dump_file(f.log);
	af_teardown(&f);
}

UNIT_SUITE(agent_mtls)
{
	UNIT_TEST(s, capture_follows_the_flag);
	UNIT_TEST(s, listeners_when_the_pod_starts_late);
}
