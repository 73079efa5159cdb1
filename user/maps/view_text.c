// SPDX-License-Identifier: Apache-2.0
/* Text tables from view rows: widths from the content, one row a line. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "view_int.h"

#define CELL_MAX 512
#define COLS_MAX 16

static size_t append(char *buf, size_t n, size_t at, const char *s)
{
	int w;

	if (at >= n)
		return at;
	w = snprintf(buf + at, n - at, "%s", s);
	return w < 0 ? at : at + (size_t)w;
}

void view_fmt_cell(const json_t *v, char *buf, size_t n)
{
	const char *k;
	json_t *e;
	size_t i, at = 0;
	char sub[CELL_MAX];

	buf[0] = 0;
	if (!v || json_is_null(v)) {
		snprintf(buf, n, "-");
	} else if (json_is_string(v)) {
		snprintf(buf, n, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(buf, n, "%.1f", json_real_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(buf, n, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e) {
			view_fmt_cell(e, sub, sizeof(sub));
			at = append(buf, n, at, at ? "," : "");
			at = append(buf, n, at, k);
			at = append(buf, n, at, "=");
			at = append(buf, n, at, sub);
		}
		if (!at)
			snprintf(buf, n, "-");
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			view_fmt_cell(e, sub, sizeof(sub));
			at = append(buf, n, at, i ? "," : "");
			at = append(buf, n, at, sub);
		}
		if (!at)
			snprintf(buf, n, "-");
	}
}

/* "v1:90(90%) v2:10(10%)": subset names when known, else numbers. */
void view_fmt_dsts(const json_t *row, char *buf, size_t n)
{
	const json_t *d;
	size_t i, at = 0;
	char one[CELL_MAX];

	buf[0] = 0;
	json_array_foreach(json_object_get(row, "destinations"), i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));
		char num[24];

		snprintf(num, sizeof(num), "#%lld", (long long)json_integer_value(
				 json_object_get(d, "subset")));
		snprintf(one, sizeof(one), "%s%s=%lld(%.0f%%)", i ? " " : "",
			 name ? name : num,
			 (long long)json_integer_value(json_object_get(d, "weight")),
			 json_real_value(json_object_get(d, "percent")));
		at = append(buf, n, at, one);
	}
	if (!at)
		snprintf(buf, n, "-");
}

void view_fmt_state(const json_t *row, char *buf, size_t n)
{
	json_int_t ms = json_integer_value(json_object_get(row,
							   "ejected_ms_left"));

	if (json_is_true(json_object_get(row, "ejected")))
		snprintf(buf, n, "ejected(%lld.%03llds left)",
			 (long long)(ms / 1000), (long long)(ms % 1000));
	else
		snprintf(buf, n, "healthy");
}

void view_fmt_outlier(const json_t *row, char *buf, size_t n)
{
	const json_t *o = json_object_get(row, "outlier");

	if (!json_is_object(o)) {
		snprintf(buf, n, "-");
		return;
	}
	snprintf(buf, n, "%lld fails->eject %lldms, max %lld%%",
		 (long long)json_integer_value(json_object_get(
			 o, "consecutive_local_origin_failures")),
		 (long long)json_integer_value(json_object_get(
			 o, "base_ejection_ms")),
		 (long long)json_integer_value(json_object_get(
			 o, "max_ejection_percent")));
}

void view_fmt_ep_subset(const json_t *row, char *buf, size_t n)
{
	const char *s = json_string_value(json_object_get(row, "subset_name"));

	if (s)
		snprintf(buf, n, "%s", s);
	else
		snprintf(buf, n, "#%lld", (long long)json_integer_value(
				 json_object_get(row, "subset")));
}

static void cell(const struct column *col, const json_t *row, char *buf,
		 size_t n)
{
	if (col->fmt)
		col->fmt(row, buf, n);
	else
		view_fmt_cell(json_object_get(row, col->key), buf, n);
}

void view_text(FILE *f, const struct view *v, const json_t *rows)
{
	size_t w[COLS_MAX] = { 0 }, i, c, ncol = 0;
	const json_t *row;
	char b[CELL_MAX];

	if (v->text) {
		v->text(f, rows);
		return;
	}
	while (ncol < COLS_MAX && v->cols[ncol].header)
		ncol++;
	for (c = 0; c < ncol; c++)
		w[c] = strlen(v->cols[c].header);
	json_array_foreach(rows, i, row)
		for (c = 0; c < ncol; c++) {
			cell(&v->cols[c], row, b, sizeof(b));
			if (strlen(b) > w[c])
				w[c] = strlen(b);
		}
	for (c = 0; c < ncol; c++)
		fprintf(f, "%-*s%s", c + 1 < ncol ? (int)w[c] : 0,
			v->cols[c].header, c + 1 < ncol ? "  " : "\n");
	json_array_foreach(rows, i, row)
		for (c = 0; c < ncol; c++) {
			cell(&v->cols[c], row, b, sizeof(b));
			fprintf(f, "%-*s%s", c + 1 < ncol ? (int)w[c] : 0, b,
				c + 1 < ncol ? "  " : "\n");
		}
}

/* Dotted quads (optionally with :port or /len) compare as numbers. */
static int cmp_addr(const char *a, const char *b)
{
	unsigned int x[5] = { 0 }, y[5] = { 0 };
	int i, na, nb;

	na = sscanf(a, "%u.%u.%u.%u%*[:/]%u", &x[0], &x[1], &x[2], &x[3], &x[4]);
	nb = sscanf(b, "%u.%u.%u.%u%*[:/]%u", &y[0], &y[1], &y[2], &y[3], &y[4]);
	if (na < 4 || nb < 4)
		return strcmp(a, b);
	for (i = 0; i < 5; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

static int cmp_member(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);

		return x < y ? -1 : x > y;
	}
	if (json_is_string(a) && json_is_string(b))
		return cmp_addr(json_string_value(a), json_string_value(b));
	return 0;
}

static const char *sort_k1, *sort_k2;	/* qsort has no context argument */

static int cmp_rows(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int r = cmp_member(json_object_get(a, sort_k1),
			   json_object_get(b, sort_k1));

	if (!r && sort_k2)
		r = cmp_member(json_object_get(a, sort_k2),
			       json_object_get(b, sort_k2));
	return r;
}

void view_sort(json_t *rows, const char *k1, const char *k2)
{
	size_t n = json_array_size(rows), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(rows, i));
	sort_k1 = k1;
	sort_k2 = k2;
	qsort(v, n, sizeof(*v), cmp_rows);
	json_array_clear(rows);
	for (i = 0; i < n; i++)
		json_array_append_new(rows, v[i]);
	free(v);
}
