// SPDX-License-Identifier: Apache-2.0
/* The transparent leg to a workload (see tleg.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../dataplane/rtnl.h"
#include "inpod.h"
#include "tleg.h"

#define SYSCTL_V4 "/proc/sys/net/ipv4/"

/* Writes "1" to net.ipv4.<name>. Per namespace: /proc/sys/net shows the
 * opening thread's namespace. */
static int sysctl_on(const char *name)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), SYSCTL_V4 "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

/* tcp_fwmark_accept: the app's accepted socket takes the mark of our SYN,
 * so its replies route back to us. fwmark_reflect: so do the replies the
 * kernel makes itself (a RST from a port where nothing listens, ICMP):
 * without it the RST leaves unmarked, never reaches the leg, and the
 * workload that is down is only noticed when the connect times out. Only
 * packets that carry the mark get a marked reply: nothing else changes. */
static int marks_on(void)
{
	return sysctl_on("tcp_fwmark_accept") ?: sysctl_on("fwmark_reflect");
}

static int setup_here(void *unused)
{
	unsigned int lo = if_nametoindex("lo");
	struct rtnl *r;
	int err = marks_on();

	if (err)
		return err;
	if (!lo)
		return -errno;
	err = rtnl_open(&r);
	if (err)
		return err;
	err = rtnl_route_local_all(r, TLEG_TABLE, (int)lo) ?:
	      rtnl_rule_fwmark(r, TLEG_MARK, TLEG_TABLE, TLEG_RULE_PRIO);
	rtnl_close(r);
	return err;
}

int tleg_setup(int netns_fd)
{
	return inpod_call(netns_fd, setup_here, NULL);
}

struct leg {
	const struct sockaddr_in *src, *dst;
	int timeout_ms;		/* < 0: start the connect, do not wait */
};

/* A non-blocking connect bounded by poll; blocking again once up. */
static int connect_bounded(int fd, const struct sockaddr_in *dst, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0, n;

	if (!connect(fd, (const struct sockaddr *)dst, sizeof(*dst)))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	n = poll(&p, 1, ms);
	if (n <= 0)
		return n ? -errno : -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		return -errno;
	return -soerr;
}

static int leg_here(void *p)
{
	const struct leg *l = p;
	int one = 1, mark = TLEG_MARK, err;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	err = setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
	      setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	      bind(fd, (const struct sockaddr *)l->src, sizeof(*l->src)) ?
		-errno : 0;
	if (!err && l->timeout_ms < 0) {
		if (connect(fd, (const struct sockaddr *)l->dst,
			    sizeof(*l->dst)) && errno != EINPROGRESS)
			err = -errno;
		goto out;
	}
	err = err ?: connect_bounded(fd, l->dst, l->timeout_ms);
	if (!err && fcntl(fd, F_SETFL, 0))
		err = -errno;
out:
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int tleg_connect(int netns_fd, const struct sockaddr_in *src,
		 const struct sockaddr_in *dst, int timeout_ms)
{
	struct leg l = { .src = src, .dst = dst, .timeout_ms = timeout_ms };

	return inpod_call(netns_fd, leg_here, &l);
}

int tleg_connect_start(int netns_fd, const struct sockaddr_in *src,
		       const struct sockaddr_in *dst)
{
	struct leg l = { .src = src, .dst = dst, .timeout_ms = -1 };

	return inpod_call(netns_fd, leg_here, &l);
}
