// SPDX-License-Identifier: Apache-2.0
#include "diag.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../config/object.h"
#include "../yaml/ydoc.h"

void diag_init(struct diag *d, struct arena *a)
{
	memset(d, 0, sizeof(*d));
	d->arena = a;
}

void diag_free(struct diag *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

struct finding *diag_add(struct diag *d, const char *code, enum severity sev,
			 const struct object *obj, const struct ynode *at,
			 const char *path, const char *fix, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct finding *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			abort();
		d->v = v;
		d->cap = cap;
	}
	f = &d->v[d->n++];
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->sev = sev;
	d->n_err += sev == SEV_ERROR;
	if (!at && obj)
		at = obj->doc;
	if (at) {
		f->file = at->file;
		f->line = at->line;
		f->col = at->col;
	}
	if (obj)
		f->resource = obj->resource;
	f->path = path ? arena_strdup(d->arena, path) : NULL;
	f->fix = fix ? arena_strdup(d->arena, fix) : NULL;
	va_start(ap, fmt);
	f->msg = arena_vprintf(d->arena, fmt, ap);
	va_end(ap);
	return f;
}

size_t diag_count(const struct diag *d, enum severity sev)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->v[i].sev == sev;
	return n;
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_ERROR:
		return "Error";
	case SEV_WARNING:
		return "Warning";
	default:
		return "Info";
	}
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	c = strcmp(a->code, b->code);
	if (c)
		return c;
	/* qsort is not stable; fall back on insertion order */
	return a < b ? -1 : a > b;
}

void diag_sort(struct diag *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(d->v[0]), cmp_finding);
}

/* istioctl's shape: "Error [IST0101] (VirtualService ns/name file:line) msg" */
void diag_print_text(const struct diag *d, FILE *out)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct finding *f = &d->v[i];

		fprintf(out, "%s [%s]", severity_name(f->sev), f->code);
		if (f->resource || f->file) {
			fputs(" (", out);
			if (f->resource)
				fprintf(out, "%s%s", f->resource, f->file ? " " : "");
			if (f->file)
				fprintf(out, "%s:%u:%u", f->file, f->line, f->col);
			fputc(')', out);
		}
		if (f->path)
			fprintf(out, " %s:", f->path);
		fprintf(out, " %s\n", f->msg);
		if (f->fix)
			fprintf(out, "    fix: %s\n", f->fix);
	}
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int diag_print_json(const struct diag *d, FILE *out)
{
	json_t *arr = json_array();
	size_t i;
	int rc;

	for (i = 0; i < d->n; i++) {
		const struct finding *f = &d->v[i];
		json_t *o = json_object();

		json_object_set_new(o, "code", json_string(f->code));
		json_object_set_new(o, "level", json_string(severity_name(f->sev)));
		json_object_set_new(o, "resource", jstr_or_null(f->resource));
		json_object_set_new(o, "file", jstr_or_null(f->file));
		json_object_set_new(o, "line", json_integer(f->line));
		json_object_set_new(o, "column", json_integer(f->col));
		json_object_set_new(o, "field", jstr_or_null(f->path));
		json_object_set_new(o, "message", json_string(f->msg));
		json_object_set_new(o, "fix", jstr_or_null(f->fix));
		json_array_append_new(arr, o);
	}
	rc = json_dumpf(arr, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', out);
	json_decref(arr);
	return rc;
}
