// SPDX-License-Identifier: Apache-2.0
/*
 * The node agent for real, as root: a forked child runs agent_run() on a
 * temporary config dir, pin root and cgroup; the parent reads the pinned
 * maps back through libbpf while it changes the config, kills the agent
 * with SIGKILL and restarts it, stops it with SIGTERM and dials through
 * the gap with real sockets, starts a second agent that must refuse, and
 * uninstalls. The agents run in a network namespace of the test's own,
 * with the tc guard on one end of a veth pair and the XDP guard on the
 * other. Every wait is bounded; only the children started here are
 * signalled, by PID; all that was created is removed, also when an
 * assertion fails.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "dataplane/guard.h"
#include "bpf_test.h"
#include "dataplane/dataplane.h"
#include "kernel/bpffs.h"
#include "dp_child.h"
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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char tmp[160], path[160];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return rename(tmp, path) ? -errno : 0;	/* one event, whole file */
}

static const char *svc_yaml(const char *name, const char *vip, int port)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "apiVersion: v1\nkind: Service\nmetadata: {name: %s, "
		 "namespace: t}\nspec:\n  clusterIP: %s\n  selector: {app: echo}\n"
		 "  ports: [{name: tcp, port: %d}]\n", name, vip, port);
	return buf;
}

#define WL_YAML \
	"apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: echo-1\n  namespace: t\n  annotations:\n" \
	"    infermesh.io/node: n1\n    infermesh.io/cgroup: wl\n" \
	"spec: {address: " EP ", serviceAccount: echo, labels: {app: echo}}\n"

/* ---- reading the pinned maps ---- */

static int map_fd(const struct afix *f, const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", f->pins, name);
	return bpf_obj_get(path);
}

static int lookup(const struct afix *f, const char *map, const void *k,
		  void *v)
{
	int fd = map_fd(f, map), err;

	if (fd < 0)
		return -ENOENT;
	err = bpf_map_lookup_elem(fd, k, v) ? -errno : 0;
	close(fd);
	return err;
}

static int live_gen(const struct afix *f)
{
	struct im_cfg cfg;
	uint32_t zero = 0;

	return lookup(f, "im_cfg", &zero, &cfg) ? -1 : (int)cfg.gen;
}

static bool has_svc(const struct afix *f, int gen, const char *vip,
		    int port, struct im_svc *out)
{
	struct im_svc_key k = { .port = htons((uint16_t)port),
				.gen = (uint8_t)gen };
	struct im_svc v;

	inet_pton(AF_INET, vip, &k.vip);
	if (lookup(f, "im_svc", &k, &v))
		return false;
	if (out)
		*out = v;
	return true;
}

/* Waits until generation <gen> is live and holds <vip>:<port>. */
static bool wait_svc(const struct afix *f, int gen, const char *vip,
		     int port, long ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (live_gen(f) == gen && has_svc(f, gen, vip, port, NULL))
			return true;
		sleep_ms(50);
	}
	return false;
}

/* Programs attached to the cgroup for connect4 (0 when none); the first
 * one's id in *id. */
static int attached(const struct afix *f, __u32 *id)
{
	__u32 ids[4] = { 0 }, cnt = 4, flags = 0;

	if (bpf_prog_query(f->cg.fd, BPF_CGROUP_INET4_CONNECT, 0, &flags, ids,
			   &cnt))
		return -errno;
	if (id)
		*id = ids[0];
	return (int)cnt;
}

static bool pinned(const struct afix *f, const char *rel)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", f->pins, rel);
	return !access(path, F_OK);
}

/* ---- the agent child ---- */

/* Enters the test's network namespace (in a child). */
static int enter_ns(const struct afix *f)
{
	char path[128];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", f->ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

static const struct links_want guards[] = {
	{ .name = TC_IF, .hook = DP_GUARD_TC_EGRESS },
	{ .name = XDP_IF, .hook = DP_GUARD_XDP },
};

static struct agent_opts agent_opts(const struct afix *f)
{
	struct agent_opts o = {
		.config_dir = f->dir, .node = "n1", .pin_root = f->pins,
		.state_dir = f->state, .cgroup_root = f->cg.path,
		.debounce_ms = 50, .guards = guards, .n_guards = 2,
		.no_route_guards = true,
	};

	return o;
}

/* A child in the test's namespace, stderr to <log>, running <fn>. */
static pid_t fork_in_ns(const struct afix *f, const char *log,
			int (*fn)(const struct agent_opts *))
{
	struct agent_opts o = agent_opts(f);
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
	if (fd >= 0)
		dup2(fd, STDOUT_FILENO);
	if (enter_ns(f))
		_exit(3);
	_exit(fn(&o) ? 1 : 0);
}

static void start_agent(struct afix *f)
{
	f->pid = fork_in_ns(f, f->log, agent_run);
}

/* Sends <sig> (0: none) to our child <pid> and reaps it within <ms>
 * (then SIGKILL). Returns its wait status, or -1 if it had to be killed. */
static int reap(pid_t pid, int sig, long ms)
{
	uint64_t end = now_ms() + ms;
	int status = -1;
	pid_t r = 0;

	if (pid <= 0)
		return -1;
	if (sig)
		kill(pid, sig);
	while (now_ms() < end && !(r = waitpid(pid, &status, WNOHANG)))
		sleep_ms(20);
	if (!r) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	}
	return status;
}

static int stop_agent(struct afix *f, int sig)
{
	int status = reap(f->pid, sig, STOP_MS);

	f->pid = 0;
	return status;
}

static void dump_file(const char *path)
{
	char line[512];
	FILE *l = fopen(path, "r");

	if (!l)
		return;
	fprintf(stderr, "--- %s ---\n", path);
	while (fgets(line, sizeof(line), l))
		fputs(line, stderr);
	fclose(l);
}

/* ---- setup and teardown ---- */

static void rm_tree(const char *path)
{
	char cmd[300];

	/* pins and temp files only: paths made by this test, no spaces */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", path);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", path);
}

static bool dir_empty(const char *path)
{
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(path);

	if (!d)
		return false;
	while ((e = readdir(d)))	/* the kernel's own iterators count not */
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		     strcmp(e->d_name, "maps.debug") &&
		     strcmp(e->d_name, "progs.debug");
	closedir(d);
	return !n;
}

/* The agents' namespace: a veth pair TC_IF - XDP_IF, both up. */
static bool make_ns(struct afix *f)
{
	char cmd[512];

	snprintf(f->ns, sizeof(f->ns), "im-agent-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "ip netns add %s && ip -n %s link add "
		 TC_IF " type veth peer name " XDP_IF " && ip -n %s link set "
		 TC_IF " up && ip -n %s link set " XDP_IF " up", f->ns, f->ns,
		 f->ns, f->ns);
	if (!system(cmd))
		return true;
	f->ns[0] = 0;
	return false;
}

/* Listens on <ip_host>:<port> (loopback: the whole 127/8 is local). */
static int listen_on(uint32_t ip_host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(ip_host) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
				 SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 256)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static bool setup(struct afix *f)
{
	char root[256];

	memset(f, 0, sizeof(*f));
	f->cg.fd = f->wl.fd = f->lfd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/im-agent-cfg-XXXXXX");
	snprintf(f->state, sizeof(f->state), "/tmp/im-agent-state-XXXXXX");
	snprintf(f->pins, sizeof(f->pins), "/sys/fs/bpf/im-test-agent-%d",
		 (int)getpid());
	snprintf(f->logs, sizeof(f->logs), "/tmp/im-agent-log-XXXXXX");
	if (!mkdtemp(f->dir) || !mkdtemp(f->state) || !mkdtemp(f->logs))
		return false;
	snprintf(f->log, sizeof(f->log), "%s/agent.log", f->logs);
	snprintf(f->log2, sizeof(f->log2), "%s/other.log", f->logs);
	if (!bpffs_at(BPFFS_DIR)) {
		if (mount("bpf", BPFFS_DIR, "bpf", 0, "mode=0700"))
			return false;
		f->mounted = true;
	}
	if (cgroup2_root(root, sizeof(root)) ||
	    cgroup_tmp_create(&f->cg, root, "im-agent"))
		return false;
	snprintf(f->wl_cg, sizeof(f->wl_cg), "%s/wl", f->cg.path);
	if (mkdir(f->wl_cg, 0755))
		return false;
	if (strlen(f->wl_cg) >= sizeof(f->wl.path))
		return false;
	memcpy(f->wl.path, f->wl_cg, strlen(f->wl_cg) + 1);
	if (!make_ns(f))
		return false;
	f->lfd = listen_on(EP_HOST, 7000);
	if (f->lfd < 0)
		return false;
	return !write_file(f->dir, "svc.yaml", svc_yaml("echo", VIP1, 7000)) &&
	       !write_file(f->dir, "wl.yaml", WL_YAML);
}

/* A pin root as an older agent left it: a map under a name whose format
 * has since changed (im_cidr is gone, im_clause became im_clause_v2). */
static bool plant_retired_pin(const struct afix *f, const char *name)
{
	char path[200];
	int fd, err;

	if (mkdir(f->pins, 0700) && errno != EEXIST)
		return false;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, 4, 1, NULL);
	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "%s/%s", f->pins, name);
	err = bpf_obj_pin(fd, path);
	close(fd);
	return !err;
}

static void teardown(struct afix *f)
{
	char cmd[128];

	if (f->pid > 0)
		stop_agent(f, SIGKILL);
	if (f->lfd >= 0)
		close(f->lfd);
	if (f->ns[0]) {	/* the guards go with the namespace's links */
		snprintf(cmd, sizeof(cmd), "ip netns del %s", f->ns);
		if (system(cmd))
			fprintf(stderr, "could not remove netns %s\n", f->ns);
	}
	rm_tree(f->pins);	/* unpinned links detach themselves */
	if (f->wl_cg[0])
		rmdir(f->wl_cg);
	cgroup_tmp_remove(&f->cg);
	rm_tree(f->dir);
	rm_tree(f->state);
	rm_tree(f->logs);
	if (f->mounted && dir_empty(BPFFS_DIR))
		umount(BPFFS_DIR);	/* ours, and nobody pinned anything */
}

/* ---- the steps ---- */

/* First start: tables in generation 1, identity of the workload cgroup,
 * programs attached through pinned links. */
static bool first_start(struct afix *f)
{
	struct im_ident_key ik = { .gen = 1 };
	struct im_ident id;
	bool ok;

	CHECK_EQ(plant_retired_pin(f, "im_cidr") &&
		 plant_retired_pin(f, "im_clause"), true,
		 "pins of retired maps planted (%s)", strerror(errno));
	start_agent(f);
	ok = CHECK_EQ(wait_svc(f, 1, VIP1, 7000, WAIT_MS), true,
		      "%s:7000 in generation 1 within %d ms", VIP1, WAIT_MS);
	if (!ok)
		return false;
	CHECK_EQ(pinned(f, "im_cidr") || pinned(f, "im_clause"), false,
		 "the retired maps' pins are removed");
	CHECK_EQ(pinned(f, "im_clause_v2"), true, "im_clause_v2 pinned");
	CHECK_EQ(attached(f, NULL), 1, "connect4 programs on the cgroup");
	CHECK_EQ(pinned(f, "links/connect4"), true, "connect4 link pinned");
	CHECK_EQ(pinned(f, "im_ep_state"), true, "im_ep_state pinned");
	CHECK_EQ(pinned(f, "im_ep_slot"), true, "im_ep_slot pinned");
	ik.cgroup = cgroup_id_by_path(f->wl_cg);
	CHECK_EQ(lookup(f, "im_ident", &ik, &id), 0, "identity of cgroup wl");
	CHECK_EQ(id.principal != 0 && id.ns != 0, true,
		 "identity has principal and namespace ids");
	return true;
}

/* A new file in the config dir: the other generation goes live with the
 * new service; the old generation keeps what it had. */
static bool config_change(struct afix *f)
{
	bool ok;

	write_file(f->dir, "svc2.yaml", svc_yaml("echo2", VIP2, 7001));
	ok = CHECK_EQ(wait_svc(f, 0, VIP2, 7001, WAIT_MS), true,
		      "%s:7001 live in generation 0 after the change", VIP2);
	CHECK_EQ(has_svc(f, 0, VIP1, 7000, NULL), true,
		 "%s:7000 still in the new generation", VIP1);
	CHECK_EQ(has_svc(f, 1, VIP2, 7001, NULL), false,
		 "the old generation was not touched");
	return ok;
}

/* More endpoints than a subset holds (IM_SUBSET_EPS): 65 of them. */
static char *too_many_yaml(void)
{
	char *y = malloc(65 * 256 + 1), *p = y;
	int i;

	for (i = 0; y && i <= (int)IM_SUBSET_EPS; i++)
		p += sprintf(p, "---\napiVersion: networking.istio.io/v1\n"
			     "kind: WorkloadEntry\nmetadata: {name: e%d, "
			     "namespace: t}\nspec: {address: 10.251.0.%d, "
			     "labels: {app: echo}}\n", i, i + 1);
	return y;
}

/* A bad file is rejected as a whole and the live tables stay; when it
 * is gone, the config applies again. */
static void bad_file_kept_out(struct afix *f, const char *what,
			      const char *text, int gen)
{
	char path[160];

	write_file(f->dir, "bad.yaml", text);
	sleep_ms(1500);	/* debounce is 50 ms: a reload had time */
	CHECK_EQ(live_gen(f), gen, "live generation after %s", what);
	CHECK_EQ(has_svc(f, gen, VIP2, 7001, NULL), true,
		 "the last good tables stay in force after %s", what);
	snprintf(path, sizeof(path), "%s/bad.yaml", f->dir);
	unlink(path);
	CHECK_EQ(wait_svc(f, gen ^ 1, VIP2, 7001, WAIT_MS), true,
		 "the fixed config goes live in generation %d", gen ^ 1);
}

static void bad_config_kept_out(struct afix *f)
{
	char *big = too_many_yaml();

	bad_file_kept_out(f, "a broken file", "kind: [unclosed\n", 0);
	if (big)
		bad_file_kept_out(f, "65 endpoints in one subset", big, 1);
	free(big);
}

#define NEW_WL "10.250.3.3"

/* Whether im_local holds <ip>, with its mode in <*mode>. */
static bool local_has(const struct afix *f, const char *ip, __u8 *mode)
{
	struct im_local l = { 0 };
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	if (lookup(f, "im_local", &a.s_addr, &l))
		return false;
	*mode = l.mode;
	return true;
}

/* Polls (bounded) until im_local holds <ip> or not, as <want> says. */
static bool wait_local(const struct afix *f, const char *ip, bool want,
		       __u8 *mode)
{
	uint64_t until = now_ms() + WAIT_MS;

	while (local_has(f, ip, mode) != want && now_ms() < until)
		sleep_ms(20);
	return local_has(f, ip, mode) == want;
}

/* A new workload of this node whose WorkloadEntry is rejected is still
 * a mesh workload for the guards, with its namespace's mode; once gone
 * from the config, it is gone from im_local. */
static void rejected_workload_guarded(struct afix *f)
{
	char path[160];
	__u8 mode = 0xff;

	write_file(f->dir, "pending.yaml",
		   "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
		   "metadata: {name: default, namespace: t}\n"
		   "spec: {mtls: {mode: STRICT}}\n---\n"
		   "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		   "metadata:\n  name: pending\n  namespace: t\n"
		   "  annotations: {infermesh.io/node: n1}\n"
		   "spec: {address: " NEW_WL ", ports: {http: 99999}}\n");
	CHECK_EQ(wait_local(f, NEW_WL, true, &mode), true,
		 "rejected local WorkloadEntry %s in im_local", NEW_WL);
	CHECK_EQ(mode, IM_MODE_STRICT, "with its namespace's mode, STRICT");
	snprintf(path, sizeof(path), "%s/pending.yaml", f->dir);
	unlink(path);
	CHECK_EQ(wait_local(f, NEW_WL, false, &mode), true,
		 "%s gone from im_local with its file", NEW_WL);
}

/* The state slot the live tables give the endpoint of <vip>:<port>
 * (its first host), or -1. */
static int64_t live_slot(const struct afix *f, const char *vip, int port)
{
	int gen = live_gen(f);
	struct im_subset sub;
	struct im_route rt;
	struct im_svc svc;
	struct im_ep ep;
	uint32_t i;

	if (gen < 0 || !has_svc(f, gen, vip, port, &svc))
		return -1;
	i = gen * IM_MAX_ROUTES + svc.route;
	if (lookup(f, "im_route", &i, &rt) || !rt.n_dst)
		return -1;
	i = gen * IM_MAX_SUBSETS + rt.dst[0].subset;
	if (lookup(f, "im_subset", &i, &sub) || !sub.n_ep)
		return -1;
	i = gen * IM_MAX_ENDPOINTS + sub.first_ep;
	return lookup(f, "im_ep_v2", &i, &ep) ? -1 : (int64_t)ep.slot;
}

static int put(const struct afix *f, const char *map, const void *k,
	       const void *v)
{
	int fd = map_fd(f, map), err;

	if (fd < 0)
		return -ENOENT;
	err = bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

/* The allocation entries (im_ep_slot) of slot <slot>. */
static int slot_owners(const struct afix *f, uint32_t slot,
		       struct im_ep_key *key)
{
	struct im_ep_key k, next;
	int fd = map_fd(f, "im_ep_slot"), n = 0;
	void *prev = NULL;
	uint32_t v;

	if (fd < 0)
		return -1;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &v) && v == slot) {
			n++;
			if (key)
				*key = k;
		}
	}
	close(fd);
	return n;
}

/* Waits up to <ms> until slot <slot> has no allocation entry. */
static bool wait_slot_free(const struct afix *f, uint32_t slot, long ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (slot_owners(f, slot, NULL) == 0)
			return true;
		sleep_ms(50);
	}
	return false;
}

/* A removed endpoint keeps its slot while a connection counts on it; once
 * none does, the agent's timer frees the slot (state reset, epoch bumped)
 * and the next new host gets it, here the same address and port as echo's
 * host but in another cluster, so it must not share echo's slot. */
static bool removed_slot_freed(struct afix *f)
{
	int64_t s2 = live_slot(f, VIP2, 7001), s1 = live_slot(f, VIP1, 7000);
	struct im_ep_state st = { .active = 1, .ejections = 3, .epoch = 4 };
	uint32_t slot = (uint32_t)s2;
	char path[160];

	if (!CHECK_EQ(s2 >= 0 && s1 >= 0 && s1 != s2, true,
		      "echo and echo2 hosts have slots (%lld, %lld)",
		      (long long)s1, (long long)s2))
		return false;
	CHECK_EQ(put(f, "im_ep_state", &slot, &st), 0, "one open connection");
	snprintf(path, sizeof(path), "%s/svc2.yaml", f->dir);
	unlink(path);
	sleep_ms(1500);	/* the reload, and the timer had time */
	CHECK_EQ(has_svc(f, live_gen(f), VIP2, 7001, NULL), false,
		 "echo2 is gone from the live tables");
	CHECK_EQ(slot_owners(f, slot, NULL), 1, "its slot is kept while a "
		 "connection counts on it");
	st.active = 0;
	put(f, "im_ep_state", &slot, &st);
	CHECK_EQ(wait_slot_free(f, slot, 5000), true, "slot %u freed within "
		 "5 s of its last connection closing", slot);
	lookup(f, "im_ep_state", &slot, &st);
	CHECK_EQ(st.epoch == 5 && !st.ejections, true,
		 "freed slot reset (epoch %u, ejections %u)", st.epoch,
		 st.ejections);
	write_file(f->dir, "svc2.yaml", svc_yaml("echo3", VIP2, 7000));
	if (!CHECK_EQ(wait_svc(f, 0, VIP2, 7000, WAIT_MS), true,
		      "echo3 %s:7000 live in generation 0", VIP2))
		return false;
	CHECK_EQ(live_slot(f, VIP2, 7000), s2, "the freed slot is reused");
	CHECK_EQ(live_slot(f, VIP1, 7000), s1, "echo's host keeps its slot");
	return true;
}

/* While no agent runs, echo's host is moved to slot 4242 (a fresh
 * allocator would never pick it) with state the kernel would have
 * written: the restarted agent must keep both, except the 5 active
 * connections, which no socket holds: its recount removes them. */
#define MOVED_SLOT 4242U

static void plant_state(const struct afix *f)
{
	struct im_ep_state st = { .active = 5, .ejections = 2 };
	int64_t s = live_slot(f, VIP1, 7000);
	uint32_t slot = MOVED_SLOT;
	struct im_ep_key k;

	if (!CHECK_EQ(s >= 0 && slot_owners(f, (uint32_t)s, &k) == 1, true,
		      "echo's host has one slot"))
		return;
	CHECK_EQ(put(f, "im_ep_slot", &k, &slot), 0, "moving its slot");
	CHECK_EQ(put(f, "im_ep_state", &slot, &st), 0, "planting its state");
}

static void state_survived(const struct afix *f)
{
	struct im_ep_state st = { 0 };
	uint32_t slot = MOVED_SLOT;

	CHECK_EQ(live_slot(f, VIP1, 7000), MOVED_SLOT,
		 "the restarted agent adopted the slot allocation");
	CHECK_EQ(lookup(f, "im_ep_state", &slot, &st), 0, "endpoint state "
		 "after restart");
	CHECK_EQ(st.active, 0, "the 5 counted connections no socket holds "
		 "were recounted away");
	CHECK_EQ(st.ejections, 2, "ejection count adopted");
}

/* SIGKILL: programs stay attached with the last tables; a new agent
 * swaps its programs into the pinned links and adopts the maps. */
static bool kill_and_restart(struct afix *f)
{
	__u32 before = 0, after = 0;

	stop_agent(f, SIGKILL);
	plant_state(f);
	CHECK_EQ(attached(f, &before), 1, "connect4 still attached after "
		 "SIGKILL");
	CHECK_EQ(live_gen(f), 0, "tables still live after SIGKILL");
	start_agent(f);
	if (!CHECK_EQ(wait_svc(f, 1, VIP2, 7000, WAIT_MS), true,
		      "restarted agent switched to generation 1"))
		return false;
	CHECK_EQ(attached(f, &after), 1, "one connect4 program, not two");
	CHECK_EQ(after != before, true, "the new program replaced the old "
		 "(ids %u -> %u)", before, after);
	state_survived(f);
	return true;
}

/* ---- SIGTERM, the gap, a second agent, uninstall ---- */

#define DENY_YAML \
	"apiVersion: v1\nkind: Service\nmetadata: {name: echo4, namespace: t}\n" \
	"spec:\n  clusterIP: " VIP3 "\n  selector: {app: echo}\n" \
	"  ports: [{name: tcp, port: 7001}]\n---\n" \
	"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: deny-7001, namespace: t}\nspec:\n" \
	"  selector: {matchLabels: {app: echo}}\n  action: DENY\n" \
	"  rules: [{to: [{operation: {ports: [\"7001\"]}}]}]\n"

static const enum bpf_attach_type cgroup_hooks[3] = {
	BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET4_GETPEERNAME,
	BPF_CGROUP_SOCK_OPS,
};

/* The program attached to the cgroup for each of cgroup_hooks (0: none).
 * Returns how many hooks have exactly one. */
static int prog_ids(const struct afix *f, __u32 ids[3])
{
	int i, n = 0;

	for (i = 0; i < 3; i++) {
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

/* Runs <fn>(<ifindex of name>, <kind>) inside the test's namespace. */
static long in_ns(const struct afix *f, const char *ifname,
		  long (*fn)(int ifindex, enum dp_guard_kind k),
		  enum dp_guard_kind k)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	long r = -1;

	if (home < 0)
		return -1;
	if (!enter_ns(f)) {
		int ifindex = (int)if_nametoindex(ifname);

		r = ifindex ? fn(ifindex, k) : -1;
		if (setns(home, CLONE_NEWNET))
			abort();	/* the rest would run in the wrong place */
	}
	close(home);
	return r;
}

/* Any XDP program's id, ours or not. */
static long xdp_id(int ifindex, enum dp_guard_kind k)
{
	__u32 id = 0;

	return bpf_xdp_query_id(ifindex, 0, &id) ? -1 : (long)id;
}

static long tc_guard(const struct afix *f)
{
	return in_ns(f, TC_IF, dp_guard_find, DP_GUARD_TC_EGRESS);
}

static long xdp_guard(const struct afix *f)
{
	return in_ns(f, XDP_IF, dp_guard_find, DP_GUARD_XDP);
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
	int gen = live_gen(f) ^ 1;

	write_file(f->dir, "deny.yaml", DENY_YAML);
	if (!CHECK_EQ(wait_svc(f, gen, VIP3, 7001, WAIT_MS), true,
		      "the DENY and %s:7001 live in generation %d", VIP3, gen))
		return false;
	return enforcing(f, "agent running");
}

/* What must not move while the agent is stopped or a second one tries. */
struct hooks {
	__u32 prog[3];
	long tc, xdp;
	int gen;
};

static void hooks_of(const struct afix *f, struct hooks *h)
{
	prog_ids(f, h->prog);
	h->tc = tc_guard(f);
	h->xdp = xdp_guard(f);
	h->gen = live_gen(f);
}

static bool hooks_same(const struct afix *f, const struct hooks *was,
		       const char *when)
{
	struct hooks now;
	bool ok;
	int i;

	hooks_of(f, &now);
	ok = CHECK_EQ(now.gen, was->gen, "%s: live generation kept", when);
	for (i = 0; i < 3; i++)
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
	status = stop_agent(f, SIGTERM);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 0, true,
		 "agent exits 0 on SIGTERM (status %#x)", status);
	CHECK_EQ(pinned(f, "links/connect4"), true, "link pin kept");
	CHECK_EQ(pinned(f, "im_svc"), true, "tables stay pinned");
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
	start_agent(f);
	if (!CHECK_EQ(wait_svc(f, was.gen ^ 1, VIP3, 7001, WAIT_MS), true,
		      "restarted agent live in generation %d", was.gen ^ 1))
		return false;
	CHECK_EQ(prog_ids(f, now.prog), 3, "one program per cgroup hook");
	for (i = 0; i < 3; i++)
		CHECK_EQ(now.prog[i] != was.prog[i], true, "hook %d: the new "
			 "program replaced the old (%u -> %u)", i,
			 was.prog[i], now.prog[i]);
	return enforcing(f, "restarted agent");
}

static bool file_has(const char *path, const char *text)
{
	char line[1024];
	bool hit = false;
	FILE *l = fopen(path, "r");

	while (l && !hit && fgets(line, sizeof(line), l))
		hit = strstr(line, text) != NULL;
	if (l)
		fclose(l);
	return hit;
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
	status = reap(fork_in_ns(f, f->log2, agent_run), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "a second agent exits 1 (status %#x)", status);
	CHECK_EQ(file_has(f->log2, pid), true, "its error names the running "
		 "agent %s", pid);
	hooks_same(f, &was, "after a second agent");
	status = reap(fork_in_ns(f, f->log2, agent_uninstall), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "uninstall refused while the agent runs (status %#x)",
		 status);
	hooks_same(f, &was, "after a refused uninstall");
	CHECK_EQ(kill(f->pid, 0), 0, "the first agent still runs");
	enforcing(f, "after a second agent");
}

/* Link ids of the pinned cgroup links. */
static void link_ids(const struct afix *f, __u32 ids[3])
{
	static const char *const names[3] = {
		"connect4", "getpeername4", "sockops",
	};
	struct bpf_link_info info;
	__u32 len;
	int i, fd;

	for (i = 0; i < 3; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "links/%s", names[i]);
		ids[i] = 0;
		fd = map_fd(f, rel);
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
	uint64_t end = now_ms() + ms;
	int i, left;

	do {
		for (left = 0, i = 0; i < 3; i++) {
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
		sleep_ms(50);
	} while (now_ms() < end);
	return false;
}

static void uninstall_removes_all(struct afix *f)
{
	__u32 progs[3], links[3], now[3];
	long tc = tc_guard(f), xdp = xdp_guard(f);
	int status, i;

	prog_ids(f, progs);
	link_ids(f, links);
	CHECK_EQ(links[0] && links[1] && links[2], true, "links pinned");
	stop_agent(f, SIGTERM);
	status = reap(fork_in_ns(f, f->log2, agent_uninstall), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 0, true,
		 "uninstall exits 0 (status %#x)", status);
	CHECK_EQ(prog_ids(f, now), 0, "no program on any cgroup hook");
	CHECK_EQ(access(f->pins, F_OK) && errno == ENOENT, true,
		 "the pin root is gone");
	CHECK_EQ(access(f->state, F_OK) && errno == ENOENT, true,
		 "the state dir is gone");
	CHECK_EQ(tc_filters(f), 0, "no tc filter at egress of " TC_IF
		 " (was program %ld)", tc);
	CHECK_EQ(in_ns(f, XDP_IF, xdp_id, DP_GUARD_XDP), 0, "no XDP program "
		 "on " XDP_IF " (was %ld)", xdp);
	CHECK_EQ(wait_freed(progs, links, 5000), true, "the programs and "
		 "links are freed within 5 s");
	for (i = 0; i < 3; i++)
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
	__u32 ids[3];
	long before;
	int status;

	foreign_fd = foreign_xdp();
	if (!CHECK_EQ(foreign_fd >= 0 && !in_ns(f, XDP_IF, attach_foreign,
						DP_GUARD_XDP), true,
		      "someone else's XDP program on " XDP_IF))
		return;
	before = in_ns(f, XDP_IF, xdp_id, DP_GUARD_XDP);
	truncate(f->log2, 0);
	status = reap(fork_in_ns(f, f->log2, agent_run), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "the agent exits 1 (status %#x)", status);
	CHECK_EQ(file_has(f->log2, XDP_IF ": another XDP program"), true,
		 "its error names " XDP_IF);
	CHECK_EQ(in_ns(f, XDP_IF, xdp_id, DP_GUARD_XDP), before,
		 "the other program stays on " XDP_IF);
	CHECK_EQ(prog_ids(f, ids), 0, "nothing attached to the cgroup");
	CHECK_EQ(tc_filters(f), 0, "no tc filter on " TC_IF);
	CHECK_EQ(pinned(f, "links/connect4"), false, "no link pinned");
	in_ns(f, XDP_IF, detach_xdp, DP_GUARD_XDP);
	close(foreign_fd);
	foreign_fd = -1;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

/* The pin root and state dir are the agent's alone: made 0700, and a
 * group-writable one is refused before anything is attached. */
static void dirs_private(struct afix *f)
{
	__u32 ids[3];
	int status;

	CHECK_EQ(mode_of(f->pins), 0700, "pin root created 0700");
	CHECK_EQ(mode_of(f->state), 0700, "state dir created 0700");
	chmod(f->state, 0770);
	truncate(f->log2, 0);
	status = reap(fork_in_ns(f, f->log2, agent_run), 0, WAIT_MS);
	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 1, true,
		 "an agent with a group-writable state dir exits 1 "
		 "(status %#x)", status);
	CHECK_EQ(file_has(f->log2, "group- or world-writable"), true,
		 "its error says why");
	CHECK_EQ(prog_ids(f, ids), 0, "nothing attached to the cgroup");
}

static void agent_lifecycle(void)
{
	struct afix f;
	bool ok;

	NEED_ROOT();
	ok = CHECK_EQ(setup(&f), true, "test setup (%s)", strerror(errno));
	ok = ok && first_start(&f);
	ok = ok && config_change(&f);
	if (ok)
		bad_config_kept_out(&f);
	if (ok)
		rejected_workload_guarded(&f);
	ok = ok && removed_slot_freed(&f);
	ok = ok && kill_and_restart(&f);
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
		dump_file(f.log);
		dump_file(f.log2);
	}
	teardown(&f);
}

UNIT_SUITE(agent_run)
{
	UNIT_TEST(s, agent_lifecycle);
}
