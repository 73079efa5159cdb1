/* SPDX-License-Identifier: Apache-2.0 */
/* Table-driven validation cases shared by test_validate_security.c and
 * test_validate_se_we_tel.c: one YAML document named "x", and either no
 * finding at all (code NULL: Istio accepts it silently) or a finding with
 * this code, line, field path and message text. */
#ifndef IM_TEST_VCASE_H
#define IM_TEST_VCASE_H

#include "harness.h"

struct vcase {
	const char *name; /* label printed by CUnit when the case fails */
	const char *yaml;
	const char *code; /* "IST0106" (rejected), "IST0133" (warned), NULL */
	unsigned line;    /* 0: not checked */
	const char *path; /* NULL: not checked */
	const char *msg;  /* substring of the finding's message */
};

void vcase_run(enum kind k, const struct vcase *cases, size_t n);

#endif
