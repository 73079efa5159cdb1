/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the privileged suites: root checks that SKIP loudly, and
 * assertions that carry a label and both values, like the kernel
 * selftests' ASSERT_EQ(got, want, "label"). */
#ifndef IM_TESTS_BPF_TEST_H
#define IM_TESTS_BPF_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"

/* Returns from the test with a visible SKIP line when not root: a test
 * that could not run must never look like a pass. */
#define NEED_ROOT()							\
	do {								\
		if (geteuid()) {					\
			fprintf(stderr, "\n*** SKIP: %s: needs root "	\
				"(BPF programs, cgroups) ***\n",	\
				__func__);				\
			return;						\
		}							\
	} while (0)

/* Records a CUnit assertion "<label>: got G, want W" (printf-style label)
 * and prints it on failure. Returns whether it held. */
bool check_eq_at(long long got, long long want, unsigned line,
		 const char *file, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define CHECK_EQ(got, want, ...) \
	check_eq_at((long long)(got), (long long)(want), __LINE__, __FILE__, \
		    __VA_ARGS__)

#endif
