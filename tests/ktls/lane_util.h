/* SPDX-License-Identifier: Apache-2.0 */
/* What every kTLS lane program shares: the case report lines
 * tools/ktls-lane.sh judges, and the kernel's TLS counters. */
#ifndef IM_TESTS_LANE_UTIL_H
#define IM_TESTS_LANE_UTIL_H

extern int lane_passed, lane_failed;

/* Prints "LANE case NAME ok" (<why> NULL) or "LANE case NAME FAIL why"
 * and counts it. Returns 0 or -1. */
int lane_report(const char *name, const char *why);

/* One counter of /proc/net/tls_stat, or -1 when it cannot be read: a
 * check on it then fails. */
long long lane_tls_stat(const char *name);

/* Prints "LANE RESULT passed=N failed=N"; returns the exit status. */
int lane_result(void);

#endif
