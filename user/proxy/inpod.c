// SPDX-License-Identifier: Apache-2.0
/* Listeners inside pods' network namespaces (see inpod.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "infermesh/dataplane.h"
#include "inpod.h"

#define INPOD_BACKLOG 4096

/* The calling thread goes into the pod's namespace for <fn> and comes
 * back (setns(CLONE_NEWNET) moves one thread, not the process): 19 us a
 * call here where a thread per call cost 130 us (a dial or a leg per
 * connection). The way back is opened at each call, not kept: a thread
 * may have changed namespace since its last call (tests do), and a kept
 * fd would take it to the old one. A thread that cannot come back would
 * make its next sockets in the pod's namespace, mixing one pod's traffic
 * with another's: that never continues, the process stops, loudly. */
int inpod_call(int netns_fd, inpod_fn fn, void *arg)
{
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int ret;

	if (home < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET)) {
		ret = -errno;
		close(home);
		return ret;
	}
	ret = fn(arg);
	if (setns(home, CLONE_NEWNET)) {
		fprintf(stderr, "infermesh: a thread could not return from a "
			"pod's network namespace (%s): stopping rather than "
			"going on in the wrong one\n", strerror(errno));
		abort();
	}
	close(home);
	return ret;
}

/* The first pid in <dir>/cgroup.procs, or 0. */
static pid_t first_proc(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;
	int pid = 0;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >=
	    (int)sizeof(path))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

/* Breadth first over <root> and its child cgroups: queue[] holds paths
 * (on the heap: 256 KiB would not fit every thread's stack). */
static pid_t find_proc(const char *root)
{
	static const size_t n_max = INPOD_CG_SCAN;
	char (*queue)[PATH_MAX] = calloc(n_max, PATH_MAX);
	size_t head = 0, tail = 0;
	struct dirent *e;
	pid_t pid = 0;
	DIR *d;

	if (!queue)
		return 0;
	snprintf(queue[tail++], PATH_MAX, "%s", root);
	while (head < tail && !pid) {
		const char *dir = queue[head++];

		pid = first_proc(dir);
		d = pid ? NULL : opendir(dir);
		while (d && (e = readdir(d)) && tail < n_max)
			if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
			    snprintf(queue[tail], PATH_MAX, "%s/%s", dir,
				     e->d_name) < PATH_MAX)
				tail++;
		if (d)
			closedir(d);
	}
	free(queue);
	return pid;
}

int inpod_netns_of_cgroup(const char *cg_path)
{
	char path[64];
	pid_t pid = find_proc(cg_path);
	int fd;

	if (!pid)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int inpod_netns_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) ?
		-errno : 0;
}

static int listen_on(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = ip };
	int one = 1, err;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, INPOD_BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

struct listen_args {
	uint32_t pod_ip;
	struct inpod_listeners *l;
};

static int listen_both(void *p)
{
	struct listen_args *a = p;
	struct inpod_listeners *l = a->l;
	int err;

	l->capture_fd = listen_on(htonl(IM_CAPTURE_IP), IM_CAPTURE_PORT);
	if (l->capture_fd < 0)
		return l->capture_fd;
	l->hbone_fd = listen_on(a->pod_ip, IM_HBONE_PORT);
	if (l->hbone_fd < 0)
		return l->hbone_fd;
	err = inpod_netns_cookie(l->capture_fd, &l->netns);
	return err;
}

int inpod_listen(int netns_fd, uint32_t pod_ip, struct inpod_listeners *l)
{
	struct listen_args a = { .pod_ip = pod_ip, .l = l };
	int err;

	*l = (struct inpod_listeners){ .capture_fd = -1, .hbone_fd = -1 };
	err = inpod_call(netns_fd, listen_both, &a);
	if (err < 0)
		inpod_close(l);
	return err < 0 ? err : 0;
}

void inpod_close(struct inpod_listeners *l)
{
	if (l->capture_fd >= 0)
		close(l->capture_fd);
	if (l->hbone_fd >= 0)
		close(l->hbone_fd);
	l->capture_fd = l->hbone_fd = -1;
}
