// SPDX-License-Identifier: Apache-2.0
/*
 * The node agent for real, as root: a forked child runs agent_run() on a
 * temporary config dir, pin root and cgroup; the parent reads the pinned
 * maps back through libbpf while it changes the config, kills the agent
 * with SIGKILL and restarts it, and stops it with SIGTERM. Every wait is
 * bounded; only the children started here are signalled, by PID; all that
 * was created is removed, also when an assertion fails.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "bpf_test.h"
#include "dataplane/dataplane.h"
#include "kernel/bpffs.h"
#include "kernel/cgroup.h"

#define WAIT_MS 30000		/* start-up probes the kernel first */
#define STOP_MS 10000
#define VIP1 "10.250.0.1"
#define VIP2 "10.250.0.2"
#define EP "10.250.1.1"

struct afix {
	char dir[64];		/* config dir */
	char state[80];
	char pins[96];
	char log[96];
	struct cgroup_tmp cg;
	char wl_cg[320];	/* the workload's cgroup, inside cg */
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

static void start_agent(struct afix *f)
{
	struct agent_opts o = {
		.config_dir = f->dir, .node = "n1", .pin_root = f->pins,
		.state_dir = f->state, .cgroup_root = f->cg.path,
		.debounce_ms = 50,
	};
	int fd;

	fflush(NULL);
	f->pid = fork();
	if (f->pid)
		return;
	fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
	_exit(agent_run(&o) ? 1 : 0);
}

/* Sends <sig> to our child and reaps it within STOP_MS (then SIGKILL).
 * Returns its exit status, or -1. */
static int stop_agent(struct afix *f, int sig)
{
	uint64_t end = now_ms() + STOP_MS;
	int status = -1;
	pid_t r = 0;

	if (f->pid <= 0)
		return -1;
	kill(f->pid, sig);
	while (now_ms() < end && !(r = waitpid(f->pid, &status, WNOHANG)))
		sleep_ms(20);
	if (!r) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, &status, 0);
		status = -1;
	}
	f->pid = 0;
	return status;
}

static void dump_log(const struct afix *f)
{
	char line[512];
	FILE *l = fopen(f->log, "r");

	if (!l)
		return;
	fprintf(stderr, "--- agent log ---\n");
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

static bool setup(struct afix *f)
{
	char root[256];

	memset(f, 0, sizeof(*f));
	f->cg.fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/im-agent-cfg-XXXXXX");
	snprintf(f->state, sizeof(f->state), "/tmp/im-agent-state-XXXXXX");
	snprintf(f->pins, sizeof(f->pins), "/sys/fs/bpf/im-test-agent-%d",
		 (int)getpid());
	if (!mkdtemp(f->dir) || !mkdtemp(f->state))
		return false;
	snprintf(f->log, sizeof(f->log), "%s/agent.log", f->state);
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
	if (f->pid > 0)
		stop_agent(f, SIGKILL);
	rm_tree(f->pins);	/* unpinned links detach themselves */
	if (f->wl_cg[0])
		rmdir(f->wl_cg);
	cgroup_tmp_remove(&f->cg);
	rm_tree(f->dir);
	rm_tree(f->state);
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

static void sigterm_detaches(struct afix *f)
{
	int status = stop_agent(f, SIGTERM);

	CHECK_EQ(WIFEXITED(status) && WEXITSTATUS(status) == 0, true,
		 "agent exits 0 on SIGTERM (status %#x)", status);
	CHECK_EQ(attached(f, NULL), 0, "no program on the cgroup after "
		 "SIGTERM");
	CHECK_EQ(pinned(f, "links/connect4"), false, "link pin removed");
	CHECK_EQ(pinned(f, "im_ep_state"), true, "maps stay pinned");
	CHECK_EQ(pinned(f, "im_svc"), true, "tables stay pinned");
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
	ok = ok && removed_slot_freed(&f);
	ok = ok && kill_and_restart(&f);
	if (ok)
		sigterm_detaches(&f);
	if (CU_get_number_of_failures())
		dump_log(&f);
	teardown(&f);
}

UNIT_SUITE(agent_run)
{
	UNIT_TEST(s, agent_lifecycle);
}
