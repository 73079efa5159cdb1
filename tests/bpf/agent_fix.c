// SPDX-License-Identifier: Apache-2.0
/* The agent tests' fixture (see agent_fix.h). */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_fix.h"
#include "dataplane/guard.h"
#include "kernel/bpffs.h"

uint64_t af_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void af_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int af_write_file(const char *dir, const char *name, const char *text)
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

const char *af_svc_yaml(const char *name, const char *vip, int port)
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

int af_map_fd(const struct afix *f, const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", f->pins, name);
	return bpf_obj_get(path);
}

int af_lookup(const struct afix *f, const char *map, const void *k,
	      void *v)
{
	int fd = af_map_fd(f, map), err;

	if (fd < 0)
		return -ENOENT;
	err = bpf_map_lookup_elem(fd, k, v) ? -errno : 0;
	close(fd);
	return err;
}

int af_live_gen(const struct afix *f)
{
	struct im_cfg cfg;
	uint32_t zero = 0;

	return af_lookup(f, "im_cfg", &zero, &cfg) ? -1 : (int)cfg.gen;
}

bool af_has_svc(const struct afix *f, int gen, const char *vip,
		int port, struct im_svc *out)
{
	struct im_svc_key k = { .port = htons((uint16_t)port),
				.gen = (uint8_t)gen };
	struct im_svc v;

	inet_pton(AF_INET, vip, &k.vip);
	if (af_lookup(f, "im_svc", &k, &v))
		return false;
	if (out)
		*out = v;
	return true;
}

/* Waits until generation <gen> is live and holds <vip>:<port>. */
bool af_wait_svc(const struct afix *f, int gen, const char *vip,
		 int port, long ms)
{
	uint64_t end = af_now_ms() + ms;

	while (af_now_ms() < end) {
		if (af_live_gen(f) == gen && af_has_svc(f, gen, vip, port, NULL))
			return true;
		af_sleep_ms(50);
	}
	return false;
}

/* Waits until the live generation no longer holds <vip>:<port>. */
bool af_wait_no_svc(const struct afix *f, const char *vip, int port,
		    long ms)
{
	uint64_t end = af_now_ms() + ms;

	while (af_now_ms() < end) {
		if (!af_has_svc(f, af_live_gen(f), vip, port, NULL))
			return true;
		af_sleep_ms(50);
	}
	return false;
}

/* Programs attached to the cgroup for connect4 (0 when none); the first
 * one's id in *id. */
int af_attached(const struct afix *f, __u32 *id)
{
	__u32 ids[4] = { 0 }, cnt = 4, flags = 0;

	if (bpf_prog_query(f->cg.fd, BPF_CGROUP_INET4_CONNECT, 0, &flags, ids,
			   &cnt))
		return -errno;
	if (id)
		*id = ids[0];
	return (int)cnt;
}

bool af_pinned(const struct afix *f, const char *rel)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", f->pins, rel);
	return !access(path, F_OK);
}

/* ---- the agent child ---- */

/* Enters the test's network namespace (in a child). */
int af_enter_ns(const struct afix *f)
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
pid_t af_fork_in_ns(const struct afix *f, const char *log,
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
	if (af_enter_ns(f))
		_exit(3);
	_exit(fn(&o) ? 1 : 0);
}

void af_start_agent(struct afix *f)
{
	f->pid = af_fork_in_ns(f, f->log, agent_run);
}

/* Sends <sig> (0: none) to our child <pid> and reaps it within <ms>
 * (then SIGKILL). Returns its wait status, or -1 if it had to be killed. */
int af_reap(pid_t pid, int sig, long ms)
{
	uint64_t end = af_now_ms() + ms;
	int status = -1;
	pid_t r = 0;

	if (pid <= 0)
		return -1;
	if (sig)
		kill(pid, sig);
	while (af_now_ms() < end && !(r = waitpid(pid, &status, WNOHANG)))
		af_sleep_ms(20);
	if (!r) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		status = -1;
	}
	return status;
}

int af_stop_agent(struct afix *f, int sig)
{
	int status = af_reap(f->pid, sig, STOP_MS);

	f->pid = 0;
	return status;
}

void af_dump_file(const char *path)
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

bool af_setup(struct afix *f)
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
	return !af_write_file(f->dir, "svc.yaml", af_svc_yaml("echo", VIP1, 7000)) &&
	       !af_write_file(f->dir, "wl.yaml", WL_YAML);
}

void af_teardown(struct afix *f)
{
	char cmd[128];

	if (f->pid > 0)
		af_stop_agent(f, SIGKILL);
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


int af_put(const struct afix *f, const char *map, const void *k,
	   const void *v)
{
	int fd = af_map_fd(f, map), err;

	if (fd < 0)
		return -ENOENT;
	err = bpf_map_update_elem(fd, k, v, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

int af_file_count(const char *path, const char *text)
{
	char line[1024];
	FILE *l = fopen(path, "r");
	int n = 0;

	while (l && fgets(line, sizeof(line), l))
		n += strstr(line, text) != NULL;
	if (l)
		fclose(l);
	return n;
}

bool af_file_has(const char *path, const char *text)
{
	return af_file_count(path, text) > 0;
}

long af_in_ns(const struct afix *f, const char *ifname,
	      long (*fn)(int ifindex, enum dp_guard_kind k),
	      enum dp_guard_kind k)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	long r = -1;

	if (home < 0)
		return -1;
	if (!af_enter_ns(f)) {
		int ifindex = (int)if_nametoindex(ifname);

		r = ifindex ? fn(ifindex, k) : -1;
		if (setns(home, CLONE_NEWNET))
			abort();	/* the rest would run in the wrong place */
	}
	close(home);
	return r;
}
