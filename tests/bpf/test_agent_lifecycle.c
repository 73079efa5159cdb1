// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's life on a node, as root (fixture: agent_fix.h): SIGTERM
 * leaves everything attached and live, so real connects from a
 * workload's cgroup through the gap are balanced and refused by a DENY;
 * the next agent adopts; a second agent (and an uninstall) refuse while
 * one runs and change nothing; uninstall leaves no program, link, pin, tc
 * filter or XDP program; someone else's XDP program is never replaced;
 * the pin root and state dir are the agent's alone.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_fix.h"
#include "bpf_test.h"
#include "dataplane/guard.h"
#include "dp_child.h"

/* ---- SIGTERM, the gap, a second agent, uninstall ---- */

#define DENY_YAML \
	"apiVersion: v1\nkind: Service\nmetadata: {name: echo4, namespace: t}\n" \
	"spec:\n  clusterIP: " VIP3 "\n  selector: {app: echo}\n" \
	"  ports: [{name: tcp, port: 7001}]\n---\n" \
	"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: deny-7001, namespace: t}\nspec:\n" \
	"  selector: {matchLabels: {app: echo}}\n  action: DENY\n" \
	"  rules: [{to: [{operation: {ports: [\"7001\"]}}]}]\n"

/* In the order of the agent's pinned links (links/<name>). */
#define N_HOOKS 5
static const enum bpf_attach_type cgroup_hooks[N_HOOKS] = {
	BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET4_GETPEERNAME,
	BPF_CGROUP_SOCK_OPS, BPF_CGROUP_INET6_CONNECT,
	BPF_CGROUP_INET6_GETPEERNAME,
};

/* The program attached to the cgroup for each of cgroup_hooks (0: none).
 * Returns how many hooks have exactly one. */
static int prog_ids(const struct afix *f, __u32 ids[N_HOOKS])
{
	int i, n = 0;

	for (i = 0; i < N_HOOKS; i++) {
		__u32 got[4] = { 0 }, cnt = 4, flags = 0;

		ids[i] = 0;
		if (!bpf_prog_query(f->cg.fd, cgroup_hooks[i], 0, &flags, got,
				    &cnt) && cnt == 1) {
			ids[i] = got[0];
			n++;
		}
	}
	return n;
}

/* Any XDP program's id, ours or not. */
static long xdp_id(int ifindex, enum dp_guard_kind k)
{
	__u32 id = 0;

	return bpf_xdp_query_id(ifindex, 0, &id) ? -1 : (long)id;
}

static long tc_guard(const struct afix *f)
{
	return af_in_ns(f, TC_IF, dp_guard_find, DP_GUARD_TC_EGRESS);
}

static long xdp_guard(const struct afix *f)
{
	return af_in_ns(f, XDP_IF, dp_guard_find, DP_GUARD_XDP);
}

/* Lines of `tc filter show` at egress of TC_IF: any filter at all. */
static int tc_filters(const struct afix *f)
{
	char cmd[160], line[256];
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "tc -n %s filter show dev " TC_IF
		 " egress 2>&1", f->ns);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		n++;
	return pclose(p) ? -1 : n;
}

/* Accepts (and closes) what the listener has queued: the connections
 * that reached the endpoint. */
static int accepted(const struct afix *f)
{
	int fd, n = 0;

	while ((fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		close(fd);
		n++;
	}
	return n;
}

/* Real connects from the workload's cgroup: the service is balanced onto
 * the endpoint's listener, and the DENY on port 7001 refuses at once. */
static bool enforcing(const struct afix *f, const char *when)
{
	struct dp_dial d = { .port = htons(7000), .n = DIALS };
	struct dp_dial_result r = { 0 };
	bool ok;

	inet_pton(AF_INET, VIP1, &d.ip);
	accepted(f);
	CHECK_EQ(dp_dial_from(&f->wl, &d, &r), 0, "%s: dialled", when);
	ok = CHECK_EQ(r.ok, DIALS, "%s: %s:7000 connects (errno %d)", when,
		      VIP1, r.last_errno);
	CHECK_EQ(r.peer_bad, 0, "%s: getpeername says the service", when);
	ok &= CHECK_EQ(accepted(f), DIALS, "%s: all landed on the endpoint",
		       when);
	memset(&r, 0, sizeof(r));
	inet_pton(AF_INET, VIP3, &d.ip);
	d.port = htons(7001);
	CHECK_EQ(dp_dial_from(&f->wl, &d, &r), 0, "%s: dialled", when);
	ok &= CHECK_EQ(r.eperm, DIALS, "%s: %s:7001 refused by the DENY with "
		       "EPERM", when, VIP3);
	return ok;
}

static bool policy_live(struct afix *f)
{
	int gen = af_live_gen(f) ^ 1;

	af_write_file(f->dir, "deny.yaml", DENY_YAML);
	if (!CHECK_EQ(af_wait_svc(f, gen, VIP3, 7001, WAIT_MS), true,
		      "the DENY and %s:7001 live in generation %d", VIP3, gen))
		return false;
	return enforcing(f, "agent running");
}

/* What must not move while the agent is stopped or a second one tries. */
struct hooks {
	__u32 prog[N_HOOKS];
	long tc, xdp;
	int gen;
};

static void hooks_of(const struct afix *f, struct hooks *h)
{
	prog_ids(f, h->prog);
	h->tc = tc_guard(f);
	h->xdp = xdp_guard(f);
	h->gen = af_live_gen(f);
}

static bool hooks_same(const struct afix *f, const struct hooks *was,
		       const char *when)
{
	struct hooks now;
	bool ok;
	int i;

	hooks_of(f, &now);
	ok = CHECK_EQ(now.gen, was->gen, "%s: live generation kept", when);
	for (i = 0; i < N_HOOKS; i++)
		ok &= CHECK_EQ(now.prog[i] && now.prog[i] == was->prog[i], true,
			       "%s: cgroup hook %d keeps program %u (now %u)",
			       when, i, was->prog[i], now.prog[i]);
	ok &= CHECK_EQ(now.tc > 0 && now.tc == was->tc, true, "%s: tc guard "
		       "on " TC_IF " kept (%ld, now %ld)", when, was->tc,
		       now.tc);
	ok &= CHECK_EQ(now.xdp > 0 && now.xdp == was->xdp, true, "%s: XDP "
		       "guard on " XDP_IF " kept (%ld, now %ld)", when, was->xdp,
		       now.xdp);
	return ok;
}

/* SIGTERM leaves everything attached and live: connects during the gap
 * are balanced and policed. */
static bool sigterm_keeps(struct afix *f)
{
	struct hooks was;
	int status;

	hooks_of(f, &was);
	status = af_stop_agent(f, SIGTERM);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 0, true,
		 "agent exits 0 on SIGTERM (status %#x)", status);
	CHECK_EQ(af_pinned(f, "links/connect4"), true, "link pin kept");
	CHECK_EQ(af_pinned(f, "im_svc"), true, "tables stay pinned");
	return hooks_same(f, &was, "after SIGTERM") &
	       enforcing(f, "agent stopped (SIGTERM)");
}

/* The next agent adopts: its programs go into the pinned links, and it
 * switches generations on the adopted tables. */
static bool restart_adopts(struct afix *f)
{
	struct hooks was, now;
	int i;

	hooks_of(f, &was);
	af_start_agent(f);
	if (!CHECK_EQ(af_wait_svc(f, was.gen ^ 1, VIP3, 7001, WAIT_MS), true,
		      "restarted agent live in generation %d", was.gen ^ 1))
		return false;
	CHECK_EQ(prog_ids(f, now.prog), N_HOOKS, "one program per cgroup hook");
	for (i = 0; i < N_HOOKS; i++)
		CHECK_EQ(now.prog[i] != was.prog[i], true, "hook %d: the new "
			 "program replaced the old (%u -> %u)", i,
			 was.prog[i], now.prog[i]);
	return enforcing(f, "restarted agent");
}


/* A second agent, and an uninstall, while the first runs: both exit 1
 * naming its pid, and nothing of the first moves. */
static void second_agent_refused(struct afix *f)
{
	char pid[32];
	struct hooks was;
	int status;

	hooks_of(f, &was);
	snprintf(pid, sizeof(pid), "(pid %d)", (int)f->pid);
	status = af_reap(af_fork_in_ns(f, f->log2, agent_run), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "a second agent exits 1 (status %#x)", status);
	CHECK_EQ(af_file_has(f->log2, pid), true, "its error names the running "
		 "agent %s", pid);
	hooks_same(f, &was, "after a second agent");
	status = af_reap(af_fork_in_ns(f, f->log2, agent_uninstall), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "uninstall refused while the agent runs (status %#x)",
		 status);
	hooks_same(f, &was, "after a refused uninstall");
	CHECK_EQ(kill(f->pid, 0), 0, "the first agent still runs");
	enforcing(f, "after a second agent");
}

/* Link ids of the pinned cgroup links. */
static void link_ids(const struct afix *f, __u32 ids[N_HOOKS])
{
	static const char *const names[N_HOOKS] = {
		"connect4", "getpeername4", "sockops", "connect6",
		"getpeername6",
	};
	struct bpf_link_info info;
	__u32 len;
	int i, fd;

	for (i = 0; i < N_HOOKS; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "links/%s", names[i]);
		ids[i] = 0;
		fd = af_map_fd(f, rel);
		len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			ids[i] = info.id;
		if (fd >= 0)
			close(fd);
	}
}

/* Waits until no program or link of <ids> exists any more. */
static bool wait_freed(const __u32 *progs, const __u32 *links, long ms)
{
	uint64_t end = af_now_ms() + ms;
	int i, left;

	do {
		for (left = 0, i = 0; i < N_HOOKS; i++) {
			int p = bpf_prog_get_fd_by_id(progs[i]);
			int l = bpf_link_get_fd_by_id(links[i]);

			left += (p >= 0) + (l >= 0);
			if (p >= 0)
				close(p);
			if (l >= 0)
				close(l);
		}
		if (!left)
			return true;
		af_sleep_ms(50);
	} while (af_now_ms() < end);
	return false;
}

static void uninstall_removes_all(struct afix *f)
{
	__u32 progs[N_HOOKS], links[N_HOOKS], now[N_HOOKS];
	long tc = tc_guard(f), xdp = xdp_guard(f);
	int status, i;

	prog_ids(f, progs);
	link_ids(f, links);
	for (i = 0; i < N_HOOKS; i++)
		CHECK_EQ(links[i] != 0, true, "link %d pinned", i);
	af_stop_agent(f, SIGTERM);
	status = af_reap(af_fork_in_ns(f, f->log2, agent_uninstall), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 0, true,
		 "uninstall exits 0 (status %#x)", status);
	CHECK_EQ(prog_ids(f, now), 0, "no program on any cgroup hook");
	CHECK_EQ(access(f->pins, F_OK) && errno == ENOENT, true,
		 "the pin root is gone");
	CHECK_EQ(access(f->state, F_OK) && errno == ENOENT, true,
		 "the state dir is gone");
	CHECK_EQ(tc_filters(f), 0, "no tc filter at egress of " TC_IF
		 " (was program %ld)", tc);
	CHECK_EQ(af_in_ns(f, XDP_IF, xdp_id, DP_GUARD_XDP), 0, "no XDP program "
		 "on " XDP_IF " (was %ld)", xdp);
	CHECK_EQ(wait_freed(progs, links, 5000), true, "the programs and "
		 "links are freed within 5 s");
	for (i = 0; i < N_HOOKS; i++)
		CHECK_EQ(progs[i] != 0, true, "hook %d had a program", i);
}

/* bpf_prog_load()s "return XDP_PASS": someone else's program. */
static int foreign_xdp(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "not_ours", "GPL", insns, 2,
			     NULL);
}

static int foreign_fd = -1;

static long attach_foreign(int ifindex, enum dp_guard_kind k)
{
	return bpf_xdp_attach(ifindex, foreign_fd, 0, NULL);
}

static long detach_xdp(int ifindex, enum dp_guard_kind k)
{
	return bpf_xdp_detach(ifindex, 0, NULL);
}

/* An agent on a node where someone else's XDP program holds XDP_IF: it
 * exits 1 naming the interface and attaches nothing of its own. */
static void foreign_xdp_refused(struct afix *f)
{
	__u32 ids[N_HOOKS];
	long before;
	int status;

	foreign_fd = foreign_xdp();
	if (!CHECK_EQ(foreign_fd >= 0 && !af_in_ns(f, XDP_IF, attach_foreign,
						DP_GUARD_XDP), true,
		      "someone else's XDP program on " XDP_IF))
		return;
	before = af_in_ns(f, XDP_IF, xdp_id, DP_GUARD_XDP);
	truncate(f->log2, 0);
	status = af_reap(af_fork_in_ns(f, f->log2, agent_run), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "the agent exits 1 (status %#x)", status);
	CHECK_EQ(af_file_has(f->log2, XDP_IF ": another XDP program"), true,
		 "its error names " XDP_IF);
	CHECK_EQ(af_in_ns(f, XDP_IF, xdp_id, DP_GUARD_XDP), before,
		 "the other program stays on " XDP_IF);
	CHECK_EQ(prog_ids(f, ids), 0, "nothing attached to the cgroup");
	CHECK_EQ(tc_filters(f), 0, "no tc filter on " TC_IF);
	CHECK_EQ(af_pinned(f, "links/connect4"), false, "no link pinned");
	af_in_ns(f, XDP_IF, detach_xdp, DP_GUARD_XDP);
	close(foreign_fd);
	foreign_fd = -1;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

/* An agent that must refuse <dir>: exits 1 saying <why>, attaches
 * nothing. */
static void refused_dir(struct afix *f, const char *what, const char *why)
{
	__u32 ids[N_HOOKS];
	int status;

	truncate(f->log2, 0);
	status = af_reap(af_fork_in_ns(f, f->log2, agent_run), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "an agent with %s exits 1 (status %#x)", what, status);
	CHECK_EQ(af_file_has(f->log2, why), true, "its error says \"%s\"",
		 why);
	CHECK_EQ(prog_ids(f, ids), 0, "nothing attached to the cgroup");
}

/* The pin root and state dir are the agent's alone: made 0700, and one
 * that is group-writable or someone else's is refused before anything is
 * attached. */
static void dirs_private(struct afix *f)
{
	CHECK_EQ(mode_of(f->pins), 0700, "pin root created 0700");
	CHECK_EQ(mode_of(f->state), 0700, "state dir created 0700");
	chmod(f->state, 0770);
	refused_dir(f, "a group-writable state dir", "group- or world-writable");
	chmod(f->state, 0700);
	CHECK_EQ(chown(f->state, 65534, 65534), 0, "state dir given to "
		 "nobody");
	refused_dir(f, "someone else's state dir", "owned by uid 65534");
	chown(f->state, 0, 0);	/* for teardown */
}

static void agent_lifecycle(void)
{
	struct afix f;
	bool ok;

	NEED_ROOT();
	ok = CHECK_EQ(af_setup(&f), true, "test setup (%s)", strerror(errno));
	if (ok)
		af_start_agent(&f);
	ok = ok && CHECK_EQ(af_wait_svc(&f, 1, VIP1, 7000, WAIT_MS), true,
			    "%s:7000 live in generation 1", VIP1);
	ok = ok && policy_live(&f);
	ok = ok && sigterm_keeps(&f);
	ok = ok && restart_adopts(&f);
	if (ok)
		second_agent_refused(&f);
	if (ok)
		uninstall_removes_all(&f);
	if (ok)
		foreign_xdp_refused(&f);
	if (ok)
		dirs_private(&f);
	if (CU_get_number_of_failures()) {
		af_dump_file(f.log);
		af_dump_file(f.log2);
	}
	af_teardown(&f);
}

UNIT_SUITE(agent_lifecycle)
{
	UNIT_TEST(s, agent_lifecycle);
}
