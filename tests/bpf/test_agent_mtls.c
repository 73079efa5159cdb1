// SPDX-License-Identifier: Apache-2.0
/*
 * `agent --mtls` across restarts, as root (fixture: agent_fix.h): capture
 * is a load-time setting of the programs (rodata im_capture), and a
 * restart with the other setting must put programs with that setting in
 * the pinned links and on the guard, never keep the previous agent's. Read
 * from the programs the kernel runs: the cgroup's connect4 and sockops and
 * the tc guard, their .rodata maps. The agent with --mtls starts its proxy
 * and stops it on SIGTERM (both logged).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent_fix.h"
#include "bpf_test.h"
#include "connect.skel.h"

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
	if (CU_get_number_of_failures())
		af_dump_file(f.log);
	af_teardown(&f);
}

UNIT_SUITE(agent_mtls)
{
	UNIT_TEST(s, capture_follows_the_flag);
}
