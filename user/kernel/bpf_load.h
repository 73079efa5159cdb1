/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the BPF objects through their skeletons: libbpf's logging, and
 * the probe object opened with only the programs a caller wants. */
#ifndef IM_KERNEL_BPF_LOAD_H
#define IM_KERNEL_BPF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "probe.skel.h"

/* Routes libbpf's messages to stderr when <verbose>, else drops them: a
 * probe's expected failures would otherwise print whole verifier logs. */
void bpf_log_init(bool verbose);

/* Which probe programs to load; maps only they use follow them. */
struct probe_want {
	bool connect4, sockops, verdict, tc, xdp, ringbuf, timer;
};

/*
 * Opens the probe skeleton, marks the programs of <w> for loading (and no
 * others), sets the load-time configuration and loads it. <target_cgroup>
 * restricts connect4's counting to that cgroup id (0 = every caller).
 * Returns the loaded skeleton, or NULL with *err = -errno. Free with
 * probe_bpf__destroy().
 */
struct probe_bpf *probe_load(const struct probe_want *w, __u64 target_cgroup,
			     int *err);

/*
 * Runs <prog_fd> once over the frame <pkt>/<len> with BPF_PROG_TEST_RUN
 * and stores the program's return value in *retval. Returns 0 or -errno
 * (EINVAL for a frame shorter than an Ethernet header).
 */
int bpf_test_run_pkt(int prog_fd, const void *pkt, size_t len, __u32 *retval);

/* Reads slot <idx> of an ARRAY map of __u64; 0 when it cannot. */
__u64 bpf_array_u64(int map_fd, __u32 idx);

/* Zeroes every slot of an ARRAY map of __u64 with <n> entries. */
void bpf_array_zero(int map_fd, __u32 n);

#endif
