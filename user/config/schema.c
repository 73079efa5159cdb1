// SPDX-License-Identifier: Apache-2.0
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 512

int enum_index(const char *const *names, const char *name)
{
	int i;

	for (i = 0; names && names[i]; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* Reads one unsigned decimal number "12", "1.5", ".5" or "5." (Go's
 * grammar) into *v; returns the end, or NULL if there is no digit. Not
 * strtod: that also takes "1e3", "0x1p3", "inf" and "nan", which Go refuses,
 * and a NaN total would make the final cast undefined. */
static const char *duration_number(const char *s, double *v)
{
	double scale = 1;
	bool digits = false, dot = false;

	for (*v = 0; (*s >= '0' && *s <= '9') || (*s == '.' && !dot); s++) {
		if (*s == '.') {
			dot = true;
			continue;
		}
		digits = true;
		if (dot)
			*v += (*s - '0') * (scale /= 10);
		else
			*v = *v * 10 + (*s - '0');
	}
	return digits ? s : NULL;
}

/* Go's time.ParseDuration grammar without signs: [0-9.]+(h|m|s|ms|us|µs|ns),
 * repeated. Istio's CRDs also accept exactly this. */
int64_t parse_duration(const char *s)
{
	static const struct { const char *u; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 },
		{ "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
	};
	double total = 0;

	if (!s || !*s)
		return -1;
	if (!strcmp(s, "0"))
		return 0;
	while (*s) {
		double v;
		const char *end = duration_number(s, &v);
		size_t i, best = 0, bl = 0;

		if (!end)
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].u);

			if (!strncmp(end, units[i].u, l) && l > bl) {
				best = i;
				bl = l;
			}
		}
		if (!bl)
			return -1;
		total += v * units[best].ns;
		/* 2^63 is exact in a double; anything below it fits an
		 * int64_t (Go's limit, 2562047h47m16.854775807s). The
		 * negated test also catches an infinite total. */
		if (!(total < 9223372036854775808.0))
			return -1;
		s = end + bl;
	}
	return (int64_t)total;
}

static void path_join(char *dst, const char *base, const char *name)
{
	snprintf(dst, PATH_MAX_LEN, "%s%s%s", base, *base ? "." : "", name);
}

static void path_index(char *dst, const char *base, size_t i)
{
	snprintf(dst, PATH_MAX_LEN, "%s[%zu]", base, i);
}

static void path_key(char *dst, const char *base, const char *key)
{
	snprintf(dst, PATH_MAX_LEN, "%s[%s]", base, key);
}

/* One document can hold a million wrongly typed values (the expansion
 * limit); reporting each took gigabytes. Past this many findings in all, an
 * error still makes its object invalid but is no longer reported. */
#define SCHEMA_MAX_FINDINGS 100000

static bool quiet(const struct decode_ctx *c)
{
	return c->d->n >= SCHEMA_MAX_FINDINGS;
}

static int type_error(struct decode_ctx *c, const struct ynode *n,
		      const char *path, const char *want)
{
	if (quiet(c))
		return 1;
	diag_add(c->d, "IST0106", SEV_ERROR, c->obj, n, path, NULL,
		 "Schema validation error: %s: Invalid type. Expected: %s, "
		 "given: %s", path, want, ynode_type_name(n));
	return 1;
}

static int value_error(struct decode_ctx *c, const struct ynode *n,
		       const char *path, const char *fix, const char *why)
{
	if (quiet(c))
		return 1;
	diag_add(c->d, "IST0106", SEV_ERROR, c->obj, n, path, fix,
		 "Schema validation error: %s: %s", path, why);
	return 1;
}

static int decode_value(struct decode_ctx *c, const struct field *f,
			const struct ynode *n, void *slot, const char *path);

/* Levenshtein distance, for "did you mean" on misspelled fields. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		cur[j] = j;
	for (i = 1; i <= la; i++) {
		prev = cur[0];
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t t = cur[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = cur[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins)
					   : (del < ins ? del : ins);
			prev = t;
		}
	}
	return cur[lb];
}

static void unknown_field(struct decode_ctx *c, const struct schema *s,
			  const struct ypair *p, const char *path)
{
	const char *best = NULL;
	size_t i, bd = 3;
	char fix[160] = "remove it, or check the field name against the Istio API";

	if (quiet(c))
		return;
	for (i = 0; i < s->n_fields; i++) {
		size_t dd = edit_distance(p->key->str, s->fields[i].name);

		if (dd < bd) {
			bd = dd;
			best = s->fields[i].name;
		}
	}
	if (best)
		snprintf(fix, sizeof(fix), "did you mean \"%s\"?", best);
	diag_add(c->d, "IM0101", SEV_WARNING, c->obj, p->key, path, fix,
		 "unknown field \"%s\"; it is ignored", p->key->str);
}

int schema_decode(struct decode_ctx *c, const struct schema *s,
		  const struct ynode *n, void *out, const char *path)
{
	char sub[PATH_MAX_LEN];
	size_t i, j;
	int errs = 0;

	if (!n || ynode_is_null(n))
		return 0;
	if (n->type != Y_MAP)
		return type_error(c, n, path, "object");
	*(const struct ynode **)out = n; /* every schema struct starts with at */
	for (i = 0; i < n->n; i++) {
		const struct ypair *p = &n->pairs[i];
		const struct field *f = NULL;

		if (p->key->type != Y_SCALAR)
			continue;
		for (j = 0; j < s->n_fields; j++) {
			if (!strcmp(s->fields[j].name, p->key->str)) {
				f = &s->fields[j];
				break;
			}
		}
		path_join(sub, path, p->key->str);
		if (!f) {
			if (!s->open)
				unknown_field(c, s, p, sub);
			continue;
		}
		/* An explicit null is the same as leaving the field out,
		 * as in Kubernetes' JSON decoding. */
		if (ynode_is_null(p->val) && f->kind != F_ANY)
			continue;
		errs += decode_value(c, f, p->val, (char *)out + f->off, sub);
	}
	return errs;
}

static int decode_scalar_str(struct decode_ctx *c, const struct ynode *n,
			     const char **slot, const char *path, bool intstr)
{
	int64_t iv;

	if (n->type != Y_SCALAR)
		return type_error(c, n, path, intstr ? "integer or string" : "string");
	if (n->plain && !intstr) {
		const char *t = ynode_type_name(n);

		/* Kubernetes' schema refuses `version: 1` for a string
		 * field; YAML's "yes"/"on" are strings in YAML 1.2. */
		if (strcmp(t, "string"))
			return type_error(c, n, path, "string");
	}
	if (intstr && n->plain && !ynode_as_int(n, &iv) &&
	    strcmp(ynode_type_name(n), "string"))
		return type_error(c, n, path, "integer or string");
	*slot = n->str;
	return 0;
}

static int decode_int(struct decode_ctx *c, const struct field *f,
		      const struct ynode *n, struct opt_i64 *slot, const char *path)
{
	double dv;
	int64_t v;

	if (!ynode_as_int(n, &v)) {
		/* JSON numbers such as 5.0 are integers to Kubernetes. The
		 * range check comes first: casting 1e300 to int64_t is
		 * undefined behaviour (found by fuzzing). */
		if (!ynode_as_double(n, &dv) || !(dv > -9.2e18 && dv < 9.2e18) ||
		    dv != (double)(int64_t)dv)
			return type_error(c, n, path, "integer");
		v = (int64_t)dv;
	}
	if (f->kind == F_UINT && v < 0)
		return value_error(c, n, path, "use a value of 0 or more",
				   "must be greater than or equal to 0");
	slot->set = true;
	slot->v = v;
	return 0;
}

static int decode_list(struct decode_ctx *c, const struct field *f,
		       const struct ynode *n, void *slot, const char *path)
{
	char sub[PATH_MAX_LEN];
	size_t i, esz = f->sub->size;
	char *arr;
	int errs = 0;

	if (n->type != Y_SEQ)
		return type_error(c, n, path, "array");
	arr = arena_alloc(c->a, (n->n ? n->n : 1) * esz);
	for (i = 0; i < n->n; i++) {
		path_index(sub, path, i);
		errs += schema_decode(c, f->sub, n->items[i], arr + i * esz, sub);
		if (ynode_is_null(n->items[i]))
			*(const struct ynode **)(arr + i * esz) = n->items[i];
	}
	memcpy(slot, &arr, sizeof(arr));
	memcpy((char *)slot + sizeof(void *), &n->n, sizeof(size_t));
	return errs;
}

/* An element of a string list or map that failed its type check still
 * gets a string: the object is invalid, but analyzers read invalid objects
 * too (as istioctl does) and a NULL in the array crashed them (fuzzer). */
static const char *text_or_empty(const struct ynode *n, const char *s)
{
	if (s)
		return s;
	return n->type == Y_SCALAR ? n->str : "";
}

static int decode_strs(struct decode_ctx *c, const struct ynode *n,
		       struct strs *slot, const char *path)
{
	char sub[PATH_MAX_LEN];
	size_t i;
	int errs = 0;

	if (n->type != Y_SEQ)
		return type_error(c, n, path, "array");
	slot->at = n;
	slot->v = arena_alloc(c->a, (n->n ? n->n : 1) * sizeof(char *));
	for (i = 0; i < n->n; i++) {
		path_index(sub, path, i);
		errs += decode_scalar_str(c, n->items[i], &slot->v[i], sub, false);
		slot->v[i] = text_or_empty(n->items[i], slot->v[i]);
	}
	slot->n = n->n;
	return errs;
}

static int decode_kvs(struct decode_ctx *c, const struct ynode *n,
		      struct kvs *slot, const char *path)
{
	char sub[PATH_MAX_LEN];
	size_t i;
	int errs = 0;

	if (n->type != Y_MAP)
		return type_error(c, n, path, "object");
	slot->at = n;
	slot->v = arena_alloc(c->a, (n->n ? n->n : 1) * sizeof(struct kv));
	for (i = 0; i < n->n; i++) {
		struct kv *kv = &slot->v[i];

		path_key(sub, path, n->pairs[i].key->str);
		kv->at = n->pairs[i].key;
		kv->key = n->pairs[i].key->str;
		errs += decode_scalar_str(c, n->pairs[i].val, &kv->val, sub, false);
		kv->val = text_or_empty(n->pairs[i].val, kv->val);
	}
	slot->n = n->n;
	return errs;
}

static int decode_map(struct decode_ctx *c, const struct field *f,
		      const struct ynode *n, void *slot, const char *path)
{
	const struct schema *s = f->sub;
	char sub[PATH_MAX_LEN];
	size_t i, esz = s->size;
	char *arr;
	int errs = 0;

	if (n->type != Y_MAP)
		return type_error(c, n, path, "object");
	arr = arena_alloc(c->a, (n->n ? n->n : 1) * esz);
	for (i = 0; i < n->n; i++) {
		char *e = arr + i * esz;
		const struct ynode *v = n->pairs[i].val;

		path_key(sub, path, n->pairs[i].key->str);
		*(const struct ynode **)e = n->pairs[i].key;
		*(const char **)(e + sizeof(void *)) = n->pairs[i].key->str;
		if (s->n_fields == 1 && !*s->fields[0].name) {
			if (!ynode_is_null(v))
				errs += decode_value(c, &s->fields[0], v,
						     e + s->fields[0].off, sub);
		} else {
			errs += schema_decode(c, s, v, e, sub);
			/* keep the key as the element's position */
			*(const struct ynode **)e = n->pairs[i].key;
		}
	}
	memcpy(slot, &arr, sizeof(arr));
	memcpy((char *)slot + sizeof(void *), &n->n, sizeof(size_t));
	return errs;
}

static int decode_enum(struct decode_ctx *c, const struct field *f,
		       const struct ynode *n, struct opt_enum *slot,
		       const char *path)
{
	char why[512], fix[400];
	size_t i, o = 0;
	int idx;

	if (n->type != Y_SCALAR)
		return type_error(c, n, path, "string");
	idx = enum_index(f->enums, n->str);
	if (idx < 0) {
		snprintf(why, sizeof(why), "Unsupported value: \"%s\"", n->str);
		o = (size_t)snprintf(fix, sizeof(fix), "use one of");
		for (i = 0; f->enums[i] && o < sizeof(fix) - 40; i++)
			o += (size_t)snprintf(fix + o, sizeof(fix) - o, "%s %s",
					      i ? "," : "", f->enums[i]);
		return value_error(c, n, path, fix, why);
	}
	slot->set = true;
	slot->v = idx;
	return 0;
}

static int decode_value(struct decode_ctx *c, const struct field *f,
			const struct ynode *n, void *slot, const char *path)
{
	double dv;
	bool bv;
	int64_t ns;

	switch (f->kind) {
	case F_STR:
		return decode_scalar_str(c, n, slot, path, false);
	case F_INTSTR:
		return decode_scalar_str(c, n, slot, path, true);
	case F_INT:
	case F_UINT:
		return decode_int(c, f, n, slot, path);
	case F_DOUBLE:
		if (!ynode_as_double(n, &dv))
			return type_error(c, n, path, "number");
		*(struct opt_f64 *)slot = (struct opt_f64){ true, dv };
		return 0;
	case F_BOOL:
		if (!ynode_as_bool(n, &bv))
			return type_error(c, n, path, "boolean");
		*(struct opt_bool *)slot = (struct opt_bool){ true, bv };
		return 0;
	case F_DUR:
		if (n->type != Y_SCALAR)
			return type_error(c, n, path, "duration string");
		ns = parse_duration(n->str);
		if (ns < 0)
			return value_error(c, n, path,
					   "write a duration such as 5s, 100ms or 1m30s",
					   "invalid duration");
		*(struct opt_dur *)slot = (struct opt_dur){ true, ns };
		return 0;
	case F_ENUM:
		return decode_enum(c, f, n, slot, path);
	case F_OBJ:
		return schema_decode(c, f->sub, n, slot, path);
	case F_LIST:
		return decode_list(c, f, n, slot, path);
	case F_STRS:
		return decode_strs(c, n, slot, path);
	case F_KVS:
		return decode_kvs(c, n, slot, path);
	case F_MAP:
		return decode_map(c, f, n, slot, path);
	case F_ANY:
		*(const struct ynode **)slot = n;
		return 0;
	}
	return 0;
}
