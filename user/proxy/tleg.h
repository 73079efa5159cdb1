/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's leg to a local workload, for a tunnelled connection: made
 * inside the workload's network namespace, from the remote peer's own
 * address (IP_TRANSPARENT), so the application sees who called, as with
 * ztunnel. Its packets carry TLEG_MARK (1337, ztunnel's too).
 *
 * The application's replies go to that foreign address; they must reach
 * the agent's socket, not leave through the pod's interface. Without
 * iptables: with net.ipv4.tcp_fwmark_accept=1 in the pod's namespace the
 * application's accepted socket takes the mark of the SYN that opened
 * it, and a rule "fwmark TLEG_MARK lookup TLEG_TABLE" with "local
 * 0.0.0.0/0 dev lo table TLEG_TABLE" delivers its replies locally, where
 * the transparent socket takes them; with net.ipv4.fwmark_reflect=1 so do
 * the replies the kernel makes itself (a RST from a closed port), so a
 * workload that is down is seen at once. tleg_setup() does that once per pod;
 * no other traffic of the pod carries the mark, so nothing else changes.
 * The leg never crosses the pod's veth, so the tc guard never sees it.
 */
#ifndef IM_PROXY_TLEG_H
#define IM_PROXY_TLEG_H

#include <netinet/in.h>

#define TLEG_MARK	0x539	/* 1337 */
#define TLEG_TABLE	1337
#define TLEG_RULE_PRIO	1337	/* after the local table, before main */

/* Prepares namespace <netns_fd> for transparent legs (above); running it
 * again changes nothing. Returns 0 or -errno. */
int tleg_setup(int netns_fd);

/* Connects, inside <netns_fd>, from <src> (the remote peer's address;
 * port 0: any) to the workload at <dst>, waiting at most <timeout_ms>.
 * Returns the connected socket (blocking, close-on-exec) or -errno:
 * -ECONNREFUSED when the workload does not listen, -ETIMEDOUT. */
int tleg_connect(int netns_fd, const struct sockaddr_in *src,
		 const struct sockaddr_in *dst, int timeout_ms);

/* The same leg for an event loop: returns the socket (non-blocking,
 * close-on-exec) with its connect under way, or -errno. It is up when
 * the socket polls writable with SO_ERROR 0. */
int tleg_connect_start(int netns_fd, const struct sockaddr_in *src,
		       const struct sockaddr_in *dst);

#endif
