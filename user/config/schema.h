/* SPDX-License-Identifier: Apache-2.0 */
/* Declarative schemas: one table per typed struct says, for each YAML field,
 * its name, its type and where it lands in the struct. One generic decoder
 * then gives every kind the same type checks, unknown-field warnings and
 * field paths, and there is no hand-written decoder to drift from the types. */
#ifndef IM_SCHEMA_H
#define IM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/diag.h"
#include "../yaml/ydoc.h"

/* Optional scalars: .set says whether the field was written at all, because
 * Istio gives "unset" a meaning of its own (weight, attempts, mode...). */
struct opt_i64 { bool set; int64_t v; };
struct opt_f64 { bool set; double v; };
struct opt_bool { bool set; bool v; };
struct opt_dur { bool set; int64_t ns; };
struct opt_enum { bool set; int v; }; /* v indexes the field's name table */

/* Lists land as {array, count}; LIST(T) keeps the element type for readers. */
#define LIST(T) struct { T *v; size_t n; }
struct strs { const char **v; size_t n; const struct ynode *at; };
struct kv { const struct ynode *at; const char *key; const char *val; };
struct kvs { struct kv *v; size_t n; const struct ynode *at; };

enum fkind {
	F_STR,    /* const char *                       */
	F_INT,    /* struct opt_i64, any integer        */
	F_UINT,   /* struct opt_i64, integer >= 0       */
	F_DOUBLE, /* struct opt_f64                     */
	F_BOOL,   /* struct opt_bool                    */
	F_DUR,    /* struct opt_dur from "1.5s", "10ms", "1h" */
	F_ENUM,   /* struct opt_enum, name from .enums  */
	F_INTSTR, /* const char *, Kubernetes IntOrString */
	F_OBJ,    /* embedded struct described by .sub (first member: at) */
	F_LIST,   /* LIST(struct of .sub)               */
	F_STRS,   /* struct strs                        */
	F_KVS,    /* struct kvs: map string -> string   */
	F_MAP,    /* LIST(struct of .sub): map string -> object; element
		   * starts with {at, key}; a .sub whose only field is named
		   * "" takes the whole value (map string -> scalar) */
	F_ANY,    /* const struct ynode *: accepted as is, not checked */
};

struct schema;

struct field {
	const char *name;
	enum fkind kind;
	size_t off;
	const struct schema *sub;
	const char *const *enums; /* NULL-terminated */
};

struct schema {
	const char *name; /* for messages: "HTTPRoute" */
	size_t size;
	const struct field *fields;
	size_t n_fields;
	bool open; /* Kubernetes kinds: fields we do not read are not warned */
};

#define FLD(T, json, k, member) { json, k, offsetof(T, member), NULL, NULL }
#define FSUB(T, json, k, member, sch) { json, k, offsetof(T, member), &(sch), NULL }
#define FENUM(T, json, member, names) { json, F_ENUM, offsetof(T, member), NULL, names }
#define SCHEMA(var, T, tbl) \
	const struct schema var = { #T, sizeof(T), tbl, sizeof(tbl) / sizeof(tbl[0]), false }
#define SCHEMA_OPEN(var, T, tbl) \
	const struct schema var = { #T, sizeof(T), tbl, sizeof(tbl) / sizeof(tbl[0]), true }

struct object;

struct decode_ctx {
	struct arena *a;
	struct diag *d;
	const struct object *obj; /* for the resource name in findings */
};

/* Decodes map node <n> into <out> (sizeof s->size, zeroed). <path> names n
 * ("spec"). Type errors are IST0106 errors, unknown fields IM0101 warnings.
 * Returns the number of errors added. */
int schema_decode(struct decode_ctx *c, const struct schema *s,
		  const struct ynode *n, void *out, const char *path);

/* Parses a protobuf/Go duration ("1h2m3.5s", "100ms", "0s"): ns, or -1. */
int64_t parse_duration(const char *s);
/* Index of <name> in a NULL-terminated table, or -1. */
int enum_index(const char *const *names, const char *name);

#endif
