// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "admin_text.h"

void kv_print(FILE *f, const struct kv *v, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (strlen(v[i].key) > w)
			w = strlen(v[i].key);
	for (i = 0; i < n; i++)
		fprintf(f, "%-*s  %s\n", (int)w, v[i].key, v[i].val);
}

void rows_print(FILE *f, const struct column *cols, const json_t *rows)
{
	struct view v = { .cols = cols };

	view_text(f, &v, rows);
}

const char *js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

long long ji(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

const char *jb(const json_t *o, const char *k, const char *yes,
	       const char *no)
{
	return json_is_true(json_object_get(o, k)) ? yes : no;
}
