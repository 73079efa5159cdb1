/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network namespaces for the privileged tests, without names: a test
 * enters a fresh namespace of its own (its "node") and makes others as
 * open fds (its "pods"). Nothing is registered under /run/netns, so a
 * test that dies leaves nothing behind: each namespace goes, with the
 * interfaces and routes built in it, when its last fd and process do.
 */
#ifndef IM_TEST_DP_NETNS_H
#define IM_TEST_DP_NETNS_H

#include <stdint.h>

/* Moves this process into a new network namespace; returns an fd of the
 * one it left (for dp_ns_leave()), or -1 and the test fails. */
int dp_ns_enter(void);
/* Back to the namespace <fd> (from dp_ns_enter()), and closes <fd>. */
void dp_ns_leave(int fd);
/* A fresh namespace as an fd, the caller staying where it is; -1 and the
 * test fails when it cannot be made. */
int dp_ns_new(void);
/* Runs `ip ARGS` in the caller's namespace; its exit status. */
int dp_ip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs `ip ARGS` inside namespace <ns>; its exit status (-1 when the
 * namespace could not be entered or left). */
int dp_ip_in(int ns, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Pod namespace <ns> behind the node's veth <ifc>: <ip>/24 on its eth0,
 * the node side <gw>/24 and the pod's default route through it. 0 or
 * non-zero. */
int dp_wire_pod(int ns, const char *ifc, const char *ip, const char *gw);
/* A veth pair: <name> and its peer "p-<name>" (no pattern of the tests
 * matches it). Veths, not dummies: a kernel may lack the dummy driver. */
int dp_veth(const char *name);
/* Index of interface <name>, 0 when there is none. */
int dp_ifindex(const char *name);
/* Address <s> in network order. */
uint32_t dp_ipv4(const char *s);

#endif
