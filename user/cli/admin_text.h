/* SPDX-License-Identifier: Apache-2.0 */
/* Text output of the admin views: aligned tables (admin_text.c). */
#ifndef IM_CLI_ADMIN_TEXT_H
#define IM_CLI_ADMIN_TEXT_H

#include <jansson.h>
#include <stdio.h>

#include "../maps/view.h"

/* One "KEY   value" line of a two-column table. */
struct kv {
	const char *key;
	char val[512];
};

/* The keys padded to the longest one. */
void kv_print(FILE *f, const struct kv *v, size_t n);
/* <rows> under <cols> (a NULL-header terminated list, as `maps dump`),
 * widths from the content. */
void rows_print(FILE *f, const struct column *cols, const json_t *rows);

/* Member <k> of <o> as text: its string, or "-". */
const char *js(const json_t *o, const char *k);
long long ji(const json_t *o, const char *k);
/* <yes> when member <k> is true, else <no>. */
const char *jb(const json_t *o, const char *k, const char *yes,
	       const char *no);

#endif
