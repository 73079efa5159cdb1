/* SPDX-License-Identifier: Apache-2.0 */
/* Bump allocator: everything one config load produces lives and dies together. */
#ifndef IM_ARENA_H
#define IM_ARENA_H

#include <stddef.h>
#include <stdarg.h>

struct arena_blk;

struct arena {
	struct arena_blk *head;
	size_t total; /* bytes handed out, for the benchmark's memory report */
};

/* Returns zeroed memory aligned for any type; aborts on OOM (a config
 * loader that cannot allocate has nothing sensible left to do). */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);
void arena_free(struct arena *a);

#endif
