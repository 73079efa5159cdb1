// SPDX-License-Identifier: Apache-2.0
/*
 * In-pod listeners following pods (user/proxy/inpod_set.c), as root: a
 * pod is a cgroup with a process in it that lives in a network namespace
 * of its own (an fd, dp_netns.h) holding the pod's address. Pods appear,
 * go, restart (a new namespace, the same address) and are found from
 * their cgroup alone. Every process made here is ended by its pid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture_fix.h"
#include "engine_fix.h"
#include "proxy/inpod_set.h"

#define N_PODS 3

struct pod {
	struct cgroup_tmp cg;
	int ns;			/* its namespace, or -1 */
	pid_t pid;		/* its process, or -1 */
	int hold;		/* the process lives until this closes */
	uint32_t ip;
};

static void pod_stop(struct pod *p)
{
	int st;

	if (p->hold >= 0)
		close(p->hold);
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);	/* our own child */
		waitpid(p->pid, &st, 0);
	}
	p->hold = p->pid = -1;
}

/* A process in the pod's cgroup and namespace, until pod_stop(); back
 * once it is in both (it says so on <ready>), at most 2 s. */
static int pod_start(struct pod *p)
{
	struct pollfd pfd = { .events = POLLIN };
	int fds[2], ready[2];
	char c;

	if (pipe(fds))
		return -errno;
	if (pipe(ready)) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid == 0) {
		close(fds[1]);
		if (cgroup_tmp_enter(&p->cg, 0) || setns(p->ns, CLONE_NEWNET) ||
		    write(ready[1], "r", 1) != 1)
			_exit(1);
		(void)!read(fds[0], &c, 1);	/* until the write end closes */
		_exit(0);
	}
	close(fds[0]);
	close(ready[1]);
	p->hold = fds[1];
	pfd.fd = ready[0];
	c = 0;
	if (p->pid > 0 && poll(&pfd, 1, 2000) == 1)
		(void)!read(ready[0], &c, 1);
	close(ready[0]);
	return p->pid < 0 ? -EAGAIN : c == 'r' ? 0 : -ETIMEDOUT;
}

/* A fresh namespace holding the pod's address. */
static int pod_ns(struct pod *p)
{
	char a[INET_ADDRSTRLEN];

	if (p->ns >= 0)
		close(p->ns);
	p->ns = dp_ns_new();
	inet_ntop(AF_INET, &p->ip, a, sizeof(a));
	return p->ns < 0 ? -1 :
	       dp_ip_in(p->ns, "link set lo up") |
	       dp_ip_in(p->ns, "addr add %s/32 dev lo", a);
}

static bool pod_up(struct pod *p, int i, bool process)
{
	char root[256];

	p->ns = p->pid = p->hold = -1;
	p->ip = htonl(IP4(10, 214, 0, 2 + i));
	return CHECK_EQ(cgroup2_root(root, sizeof(root)), 0, "cgroup2") &&
	       CHECK_EQ(cgroup_tmp_create(&p->cg, root, "im-inpod"), 0,
			"pod %d cgroup", i) &&
	       CHECK_EQ(pod_ns(p), 0, "pod %d namespace", i) &&
	       (!process || CHECK_EQ(pod_start(p), 0, "pod %d process", i));
}

static void pod_down(struct pod *p)
{
	pod_stop(p);
	if (p->ns >= 0)
		close(p->ns);
	p->ns = -1;
	cgroup_tmp_remove(&p->cg);
}

static int cookie_here(void *out)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err = fd < 0 ? -errno : inpod_netns_cookie(fd, out);

	if (fd >= 0)
		close(fd);
	return err;
}

static uint64_t cookie_of(int ns)
{
	uint64_t c = 0;

	CHECK_EQ(inpod_call(ns, cookie_here, &c), 0, "a namespace's cookie");
	return c;
}

/* The cookie of the namespace the calling thread is in now. */
static uint64_t cookie_home(void)
{
	uint64_t c = 0;

	CHECK_EQ(cookie_here(&c), 0, "this thread's namespace cookie");
	return c;
}

static int fails(void *unused)
{
	return -EXDEV;
}

struct caller {
	int ns;
	uint64_t in, home_before, home_after;
};

static void *call_once(void *arg)
{
	struct caller *c = arg;

	cookie_here(&c->home_before);
	inpod_call(c->ns, cookie_here, &c->in);
	cookie_here(&c->home_after);
	return NULL;
}

/* inpod_call runs on the calling thread and brings it back to the
 * namespace it was in at the call, after every call, failed or not, and
 * keeps nothing open. */
static void inpod_call_returns_home(void)
{
	struct caller c = { .ns = -1 };
	uint64_t home, moved_home, in = 0;
	int i, fds, moved = 0, bad, here;
	pthread_t t;

	NEED_ROOT();
	home = cookie_home();
	c.ns = dp_ns_new();
	if (!CHECK_EQ(c.ns >= 0, 1, "a namespace"))
		return;
	CHECK_EQ(inpod_call(c.ns, cookie_here, &in), 0, "a call there");
	CHECK_EQ(in != home && in != 0, 1, "it ran in the other namespace");
	CHECK_EQ(cookie_home(), home, "and the thread came back");
	CHECK_EQ(inpod_call(c.ns, fails, NULL), -EXDEV, "fn's error returned");
	CHECK_EQ(cookie_home(), home, "back after a failed fn");
	bad = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK_EQ(inpod_call(bad, cookie_here, &in), -EINVAL,
		 "not a namespace: refused");
	close(bad);
	CHECK_EQ(inpod_call(-1, cookie_here, &in), -EBADF, "no fd: refused");
	CHECK_EQ(cookie_home(), home, "still home after both refusals");

	fds = ef_fd_count();
	for (i = 0; i < 1000; i++) {
		in = 0;
		moved += !inpod_call(c.ns, cookie_here, &in) && in != home;
	}
	CHECK_EQ(moved, 1000, "1000 calls, each in the namespace");
	CHECK_EQ(cookie_home(), home, "home after them");
	CHECK_EQ(ef_fd_count(), fds, "no fd per call");

	CHECK_EQ(pthread_create(&t, NULL, call_once, &c), 0, "a thread");
	pthread_join(t, NULL);
	CHECK_EQ(c.in != home && c.in != 0, 1, "its call ran there");
	CHECK_EQ(c.home_after, c.home_before, "and it came back too");

	/* the thread moved since its last call: back to where it is now */
	here = dp_ns_enter();
	if (CHECK_EQ(here >= 0, 1, "a namespace of the test's own")) {
		moved_home = cookie_home();
		CHECK_EQ(inpod_call(c.ns, cookie_here, &in), 0, "a call from it");
		CHECK_EQ(cookie_home(), moved_home, "back to the new home");
		dp_ns_leave(here);
	}
	CHECK_EQ(cookie_home(), home, "the test is home");
	CHECK_EQ(ef_fd_count(), fds, "nothing left open");
	close(c.ns);
}

/* Whether 127.0.0.1:15001 is free in <ns>: nobody listens there. */
static int bind_capture(void *unused)
{
	__u16 port;
	int fd = capfix_listen(htonl(IM_CAPTURE_IP), htons(IM_CAPTURE_PORT),
			       &port);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

/* The listeners of <p>, in <p>'s namespace now. */
static void check_in(const struct inpod_set *s, const struct pod *p,
		     const char *what)
{
	const struct inpod_listeners *l = inpod_set_find(s, p->ip);
	uint64_t c = 0;

	if (!CHECK_EQ(l != NULL, 1, "%s: listeners", what))
		return;
	CHECK_EQ(l->netns, cookie_of(p->ns), "%s: in the pod's namespace",
		 what);
	CHECK_EQ(inpod_netns_cookie(l->hbone_fd, &c), 0, "%s: 15008", what);
	CHECK_EQ(c, l->netns, "%s: 15008 there too", what);
}

static void inpod_listeners_follow_pods(void)
{
	struct pod p[N_PODS];
	struct inpod_pod want[N_PODS];
	struct inpod_set *s = NULL;
	int i, fd_a = -1;
	bool ok = true;

	NEED_ROOT();
	memset(p, 0, sizeof(p));
	for (i = 0; i < N_PODS; i++)
		p[i].cg.fd = p[i].ns = p[i].pid = p[i].hold = -1;
	for (i = 0; ok && i < N_PODS; i++)	/* pod 2 has no process */
		ok = pod_up(&p[i], i, i < 2);
	if (!ok || !CHECK_EQ(inpod_set_new(&s), 0, "a set"))
		goto out;
	for (i = 0; i < N_PODS; i++)
		want[i] = (struct inpod_pod){ p[i].ip, p[i].cg.path };

	CHECK_EQ(inpod_set_sync(s, want, 3), 2, "A and B; C has no process");
	check_in(s, &p[0], "A");
	check_in(s, &p[1], "B");
	CHECK_EQ(inpod_set_find(s, p[2].ip) == NULL, 1, "none for C yet");
	fd_a = inpod_set_find(s, p[0].ip)->capture_fd;

	CHECK_EQ(inpod_set_sync(s, want, 2), 2, "the same pods again");
	CHECK_EQ(inpod_set_find(s, p[0].ip)->capture_fd, fd_a,
		 "A's listeners kept, not reopened");

	CHECK_EQ(inpod_set_sync(s, want, 1), 1, "B went");
	CHECK_EQ(inpod_set_find(s, p[1].ip) == NULL, 1, "B forgotten");
	CHECK_EQ(inpod_call(p[1].ns, bind_capture, NULL), 0,
		 "B's 15001 closed (free again)");

	/* A restarts: a new namespace, the same address and cgroup */
	pod_stop(&p[0]);
	CHECK_EQ(pod_ns(&p[0]), 0, "A's new namespace");
	CHECK_EQ(pod_start(&p[0]), 0, "A's new process");
	CHECK_EQ(inpod_set_sync(s, want, 1), 1, "A again");
	check_in(s, &p[0], "restarted A");

	pod_stop(&p[1]);
	CHECK_EQ(pod_start(&p[2]), 0, "C's process starts");
	CHECK_EQ(inpod_set_sync(s, want, 3), 2, "A and C (B has none)");
	check_in(s, &p[2], "C");
out:
	inpod_set_free(s);
	for (i = 0; i < N_PODS; i++)
		pod_down(&p[i]);
}

UNIT_SUITE(inpod)
{
	UNIT_TEST(s, inpod_call_returns_home);
	UNIT_TEST(s, inpod_listeners_follow_pods);
}
