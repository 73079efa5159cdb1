/* SPDX-License-Identifier: Apache-2.0 */
/* Hostile files for the badinput program: each test writes its inputs into
 * a fresh mkdtemp directory and removes it afterwards. */
#ifndef IM_BADINPUT_FILES_H
#define IM_BADINPUT_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* A fresh empty directory under $TMPDIR (or /tmp); remove with tmp_rm(). */
const char *tmp_new(void);
/* Removes the directory and everything in it (symlinks are not followed). */
void tmp_rm(const char *dir);
/* Writes <len> bytes to <dir>/<name> and returns the path (static buffer
 * per call, valid until the next 8 calls). */
const char *tmp_write(const char *dir, const char *name, const void *buf,
		      size_t len);
const char *tmp_puts(const char *dir, const char *name, const char *text);
/* A malloc'ed string: <unit> repeated <n> times between <head> and <tail>. */
char *repeat(const char *head, const char *unit, size_t n, const char *tail);
/* Deterministic pseudo-random bytes (xorshift64 from <seed>). */
void junk_bytes(uint8_t *buf, size_t len, uint64_t seed);

/* What the CLI does with a file: config_load_path + config_validate +
 * analyze_all, as `infermesh analyze` does. *rc gets config_load_path's. */
struct config *load_file_cli(const char *path, int *rc);
/* Asserts a finding with <code> exists, is located in a file with
 * line >= 1 (and at <line>:<col> when those are non-zero); returns it. */
const struct finding *expect_code(const struct config *c, const char *code,
				  unsigned line, unsigned col);
/* Exit status of `infermesh-san analyze <args...>` (the binary beside the
 * tests directory), output in <dir>/cli.out; -1 if it could not run. */
int run_cli(const char *dir, const char *const *args);
/* 1 if <dir>/cli.out contains <s> */
int cli_output_has(const char *dir, const char *s);

#endif
