// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"

struct netns_reply {
	int ret;
	char why[256];
};

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The child: never returns. _exit skips atexit handlers and sanitizer
 * leak checks that belong to the parent. */
static void child(int wfd, netns_fn fn, void *arg)
{
	struct netns_reply r = { 0 };

	if (unshare(CLONE_NEWNET)) {
		r.ret = -errno;
		snprintf(r.why, sizeof(r.why), "unshare(CLONE_NEWNET): %s",
			 strerror(errno));
	} else if ((r.ret = lo_up())) {
		snprintf(r.why, sizeof(r.why), "bringing lo up: %s",
			 strerror(-r.ret));
	} else {
		r.ret = fn(arg, r.why, sizeof(r.why));
	}
	if (write(wfd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

int netns_run(netns_fn fn, void *arg, char *why, size_t n)
{
	struct netns_reply r = { .ret = -ECHILD };
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child(p[1], fn, arg);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	if (read(p[0], &r, sizeof(r)) != sizeof(r))
		snprintf(r.why, sizeof(r.why), "probe child died");
	close(p[0]);
	waitpid(pid, &status, 0);
	snprintf(why, n, "%s", r.why);
	return r.ret;
}
