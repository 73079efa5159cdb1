/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the CUnit programs: each test file registers its own suite with
 * UNIT_SUITE, so adding a file never means editing a central list. */
#ifndef IM_HARNESS_H
#define IM_HARNESS_H

#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "config/object.h"

typedef void (*unit_fill_fn)(CU_pSuite s);
void unit_add_suite(const char *name, unit_fill_fn fill);

#define UNIT_SUITE(name) \
	static void name##_fill(CU_pSuite s); \
	__attribute__((constructor)) static void name##_ctor(void) \
	{ unit_add_suite(#name, name##_fill); } \
	static void name##_fill(CU_pSuite s)

#define UNIT_TEST(s, fn) CU_add_test(s, #fn, fn)

/* Loads YAML text into a fresh config (validated, not analyzed). Free with
 * config_free() and free(). */
struct config *unit_load(const char *yaml);
/* config_free() and free() */
void unit_free(struct config *c);
/* Number of findings with <code> (any severity). */
size_t unit_count_code(const struct config *c, const char *code);
/* First finding with <code>, or NULL. */
const struct finding *unit_find_code(const struct config *c, const char *code);
/* First object of <kind> named <name>, or NULL. */
struct object *unit_obj(const struct config *c, enum kind k, const char *name);
/* Prints every finding to stderr: call it when an assertion fails. */
void unit_dump(const struct config *c);

#endif
