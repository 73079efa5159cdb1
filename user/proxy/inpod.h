/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's listeners inside each pod's network namespace (in-pod mode,
 * as ztunnel's): 127.0.0.1:15001 takes the connects connect4 captured
 * (origdst.h says where each was going), <pod IP>:15008 the HBONE tunnels
 * from other workloads. A socket stays in the namespace it was created
 * in, so the agent's thread that makes one enters the pod's namespace
 * for the socket call and returns to its own at once (inpod_call).
 *
 * Which namespace is a pod's: that of a process in its cgroup (the
 * workload's cgroup from its WorkloadEntry annotation, or a container
 * cgroup below it). In Kubernetes the CNI hands the namespace over.
 *
 * Every function returns 0 (or what it says) or a negative errno, and
 * leaves nothing open on error. Thread safe.
 */
#ifndef IM_PROXY_INPOD_H
#define IM_PROXY_INPOD_H

#include <stdint.h>

/* Work done inside a namespace: a result >= 0 or -errno. */
typedef int (*inpod_fn)(void *arg);

/* Runs <fn>(<arg>) on the calling thread inside the network namespace
 * <netns_fd>, then takes the thread back to its own namespace; returns
 * <fn>'s result, or -errno when the namespace cannot be entered (the
 * thread stays in its own). <fn> must not change namespace itself. A
 * thread that cannot go back aborts the process: no socket is ever made
 * in the wrong namespace. */
int inpod_call(int netns_fd, inpod_fn fn, void *arg);

/* An fd (O_RDONLY, close-on-exec) on the network namespace of the
 * workload whose cgroup v2 directory is <cg_path>: that of the first
 * process found in it or, breadth first, in its child cgroups (at most
 * INPOD_CG_SCAN of them). -ESRCH when no process runs there. */
int inpod_netns_of_cgroup(const char *cg_path);
#define INPOD_CG_SCAN 64

/* The namespace cookie of socket <fd>'s namespace (SO_NETNS_COOKIE),
 * what bpf_get_netns_cookie() says for sockets there. */
int inpod_netns_cookie(int fd, uint64_t *cookie);

struct inpod_listeners {
	int capture_fd;		/* 127.0.0.1:15001 */
	int hbone_fd;		/* <pod IP>:15008 */
	uint64_t netns;		/* their namespace's cookie */
};

/* Listens (non-blocking, close-on-exec, SO_REUSEADDR) inside <netns_fd>
 * on 127.0.0.1:IM_CAPTURE_PORT and on <pod_ip> (network order):
 * IM_HBONE_PORT. */
int inpod_listen(int netns_fd, uint32_t pod_ip, struct inpod_listeners *l);
/* Closes both; safe twice and after a failed inpod_listen(). */
void inpod_close(struct inpod_listeners *l);

#endif
