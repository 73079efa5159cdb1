/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Real connect()s from inside a cgroup: a forked child joins the cgroup,
 * dials an address <n> times and reports what happened through a pipe.
 * Every wait is bounded; a child that overstays is killed by its pid.
 */
#ifndef IM_TEST_DP_CHILD_H
#define IM_TEST_DP_CHILD_H

#include <stdbool.h>
#include <linux/types.h>
#include <sys/types.h>

#include "kernel/cgroup.h"

struct dp_dial {
	__u32 ip;		/* network order */
	__u16 port;		/* network order */
	int n;			/* connects, at most DP_DIAL_MAX */
	bool hold;		/* keep them open until dp_child_finish() */
	bool v4mapped;		/* from an AF_INET6 socket to ::ffff:<ip> */
	int netns_fd;		/* > 0: dial from inside that network
				   namespace (a pod's); 0: the caller's */
};

#define DP_DIAL_MAX 1000

struct dp_dial_result {
	int ok;			/* connected */
	int eperm;		/* refused by connect4 (policy) */
	int refused;		/* ECONNREFUSED (host, or no healthy host) */
	int other;		/* any other error */
	int last_errno;		/* of the last "other" */
	int peer_bad;		/* getpeername() was not the dialled address */
	int user_timeout;	/* connected, TCP_USER_TIMEOUT not 0 (or not
				   readable) right after connect() */
	long elapsed_ms;	/* wall time of the <n> connects */
};

struct dp_child {
	pid_t pid;
	int res_fd;		/* the child's report */
	int go_fd;		/* one byte: close the held sockets, exit */
};

/* Forks a child that joins <cg> and dials. Returns 0 or -errno. */
int dp_child_start(struct dp_child *c, const struct cgroup_tmp *cg,
		   const struct dp_dial *d);
/* Waits (at most 30 s) for the child's report. Returns 0 or -errno. */
int dp_child_report(struct dp_child *c, struct dp_dial_result *r);
/* Lets a holding child close its sockets, reaps it (killing it after
 * 5 s). Safe after a failed start. */
void dp_child_finish(struct dp_child *c);
/* start + report + finish. Returns 0 or -errno. */
int dp_dial_from(const struct cgroup_tmp *cg, const struct dp_dial *d,
		 struct dp_dial_result *r);

#endif
