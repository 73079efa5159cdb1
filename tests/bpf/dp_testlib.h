/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the dataplane tests (test_dp_*.c), on top of
 * bpf_test.h (NEED_ROOT, CHECK_EQ). */
#ifndef IM_TEST_DP_TESTLIB_H
#define IM_TEST_DP_TESTLIB_H

#include <stdint.h>

#include "bpf_test.h"
#include "dataplane/dataplane.h"

/* Loads the dataplane with <o> (NULL: defaults); a failure fails the
 * test. Returns 0 when loaded. */
int dp_test_load(struct dp *dp, const struct dp_opts *o);

/* Drop counters summed over CPUs; the test fails if they cannot be read. */
void dp_test_drops(const struct dp *dp, uint64_t out[IM_DROP_MAX]);

/* A non-blocking TCP listener on <ip_host> (host order), any port; its
 * address in network order in *<ip>, *<port>. The fd, or -1. */
int dp_listen(__u32 ip_host, int backlog, __u32 *ip, __u16 *port);

/* Milliseconds of CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(). */
uint64_t dp_now_ms(void);

#endif
