/* SPDX-License-Identifier: Apache-2.0 */
/* Findings: every message infermesh has about a config, from a YAML syntax
 * error to an analyzer verdict, is one of these, with a stable code. */
#ifndef IM_DIAG_H
#define IM_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "arena.h"

enum severity { SEV_INFO, SEV_WARNING, SEV_ERROR };

struct ynode;
struct object;

struct finding {
	const char *code;   /* "IST0106", "IM1003": stable, never reused */
	enum severity sev;
	const char *file;   /* where the problem is; NULL if nowhere */
	unsigned line, col; /* 1-based; 0 when unknown */
	const char *resource; /* "VirtualService ns/name" or NULL */
	const char *path;   /* field path "spec.http[0].route"; may be NULL */
	const char *msg;    /* what is wrong and what it causes */
	const char *fix;    /* concrete fix; may be NULL */
};

struct diag {
	struct arena *arena;
	struct finding *v;
	size_t n, cap;
	size_t n_err; /* findings with SEV_ERROR so far */
};

void diag_init(struct diag *d, struct arena *a);
void diag_free(struct diag *d);

/* Adds a finding located at <at> (may be NULL) about <obj> (may be NULL).
 * <path> and <fix> may be NULL. Strings are copied into the arena. */
struct finding *diag_add(struct diag *d, const char *code, enum severity sev,
			 const struct object *obj, const struct ynode *at,
			 const char *path, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

size_t diag_count(const struct diag *d, enum severity sev);
const char *severity_name(enum severity s);
/* Stable order for output: file, line, column, code. */
void diag_sort(struct diag *d);

void diag_print_text(const struct diag *d, FILE *out);
/* JSON array of objects, one per finding. */
int diag_print_json(const struct diag *d, FILE *out);

#endif
