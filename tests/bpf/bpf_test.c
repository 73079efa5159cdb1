// SPDX-License-Identifier: Apache-2.0
#include <stdarg.h>

#include "bpf_test.h"

bool check_eq_at(long long got, long long want, unsigned line,
		 const char *file, const char *fmt, ...)
{
	char label[256], msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s: got %lld, want %lld", label, got,
		 want);
	if (got != want)
		fprintf(stderr, "  FAIL %s:%u: %s\n", file, line, msg);
	/* CUnit copies the message into its failure record */
	CU_assertImplementation(got == want, line, msg, file, "", CU_FALSE);
	return got == want;
}
