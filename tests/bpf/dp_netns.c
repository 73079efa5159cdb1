// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_test.h"
#include "dp_netns.h"

int dp_ns_enter(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || unshare(CLONE_NEWNET)) {
		CHECK_EQ(-errno, 0, "a network namespace of our own");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

void dp_ns_leave(int fd)
{
	CHECK_EQ(setns(fd, CLONE_NEWNET), 0, "back to the first namespace");
	close(fd);
}

int dp_ns_new(void)
{
	int here = dp_ns_enter(), fd;

	if (here < 0)
		return -1;
	/* no O_CLOEXEC: ip(8) reaches it as /proc/<our pid>/fd/<fd> */
	fd = open("/proc/self/ns/net", O_RDONLY);
	CHECK_EQ(fd >= 0, 1, "an fd on the new namespace");
	dp_ns_leave(here);
	return fd;
}

static int ip_va(const char *fmt, va_list ap)
{
	char cmd[320];
	int n = snprintf(cmd, sizeof(cmd), "ip ");

	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	return system(cmd);
}

int dp_ip(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ip_va(fmt, ap);
	va_end(ap);
	return rc;
}

int dp_ip_in(int ns, const char *fmt, ...)
{
	int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), rc = -1;
	va_list ap;

	if (here < 0)
		return -1;
	if (!setns(ns, CLONE_NEWNET)) {
		va_start(ap, fmt);
		rc = ip_va(fmt, ap);
		va_end(ap);
		if (setns(here, CLONE_NEWNET))
			rc = -1;
	}
	close(here);
	return rc;
}

int dp_veth(const char *name)
{
	return dp_ip("link add %s type veth peer name p-%s", name, name);
}

int dp_ifindex(const char *name)
{
	return (int)if_nametoindex(name);
}

uint32_t dp_ipv4(const char *s)
{
	uint32_t a = 0;

	inet_pton(AF_INET, s, &a);
	return a;
}

int dp_wire_pod(int ns, const char *ifc, const char *ip, const char *gw)
{
	return dp_ip("link add %s type veth peer name eth0 netns /proc/%d/fd/%d",
		     ifc, (int)getpid(), ns) |
	       dp_ip("addr add %s/24 dev %s", gw, ifc) |
	       dp_ip("link set %s up", ifc) |
	       dp_ip_in(ns, "link set lo up") |
	       dp_ip_in(ns, "addr add %s/24 dev eth0", ip) |
	       dp_ip_in(ns, "link set eth0 up") |
	       dp_ip_in(ns, "route add default via %s", gw);
}
