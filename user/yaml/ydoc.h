/* SPDX-License-Identifier: Apache-2.0 */
/* YAML document tree in which every node remembers file:line:column, so that
 * every later stage can point a user at the exact place in their file. */
#ifndef IM_YDOC_H
#define IM_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/diag.h"

enum ytype { Y_SCALAR, Y_MAP, Y_SEQ };

struct ypair;

struct ynode {
	enum ytype type;
	bool plain;          /* scalar written without quotes (so 80, true, null resolve) */
	const char *file;
	unsigned line, col;  /* 1-based */
	const char *str;     /* scalar text, NUL-terminated; NULL otherwise */
	size_t len;
	size_t n;            /* pairs (map) or items (seq) */
	struct ypair *pairs; /* Y_MAP */
	struct ynode **items;/* Y_SEQ */
};

struct ypair {
	struct ynode *key, *val;
};

/* Limits that turn hostile input into a clear error instead of a hang. */
#define YDOC_MAX_FILE (32u << 20)   /* bytes per file */
#define YDOC_MAX_DEPTH 256          /* nesting levels */
#define YDOC_MAX_EXPANSION 1000000  /* nodes a document expands to through aliases */

struct ydocs {
	struct ynode **docs; /* root of each non-empty document */
	size_t n;
};

/* Parses <len> bytes named <file>. Errors go to <d> as IM0001..IM0009 with
 * the position libyaml reports. Returns 0, or -1 when the file is unusable
 * (documents before the error are kept in <out>). */
int ydoc_parse(struct arena *a, struct diag *d, const char *file,
	       const char *buf, size_t len, struct ydocs *out);
/* Same, for YAML embedded in a string scalar of another file (a ConfigMap's
 * data.mesh): reported lines are shifted by <line_base>. */
int ydoc_parse_at(struct arena *a, struct diag *d, const char *file,
		  const char *buf, size_t len, unsigned line_base,
		  struct ydocs *out);
/* Reads and parses a file; a missing or oversized file is an error in <d>. */
int ydoc_parse_file(struct arena *a, struct diag *d, const char *file,
		    struct ydocs *out);

/* Map lookup by key; NULL if <m> is not a map or has no such key. */
const struct ynode *ynode_get(const struct ynode *m, const char *key);
/* Scalar resolution per YAML 1.2 core schema (plain scalars only). */
bool ynode_is_null(const struct ynode *n);
bool ynode_as_bool(const struct ynode *n, bool *out);
bool ynode_as_int(const struct ynode *n, int64_t *out);
bool ynode_as_double(const struct ynode *n, double *out);
/* "string", "integer", "number", "boolean", "null", "object", "array" */
const char *ynode_type_name(const struct ynode *n);

#endif
