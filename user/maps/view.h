/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Views: what `infermesh maps dump NAME` shows. A view reads one map (and
 * joins the others it names) through a struct map_src and returns rows of
 * decoded JSON; the text table is rendered from those rows.
 */
#ifndef IM_MAPS_VIEW_H
#define IM_MAPS_VIEW_H

#include <jansson.h>
#include <stdio.h>

#include "decode.h"
#include "source.h"

struct view_ctx {
	const struct map_src *src;
	struct dec_ctx dec;
};

/* A text column: header, the row member it shows, and an optional
 * formatter for members that need more than the generic one. */
struct column {
	const char *header;
	const char *key;
	void (*fmt)(const json_t *row, char *buf, size_t n);
};

struct view {
	const char *name;	/* "services" */
	const char *map;	/* its map, "im_svc": dump accepts either */
	const char *summary;
	/* Appends the rows to <rows>. Returns 0 or -errno. */
	int (*build)(const struct view_ctx *c, json_t *rows);
	const struct column *cols;	/* NULL-header terminated */
	/* Replaces the table for views whose rows nest (policy). */
	void (*text)(FILE *f, const json_t *rows);
};

/* The view called <name> or showing map <name>; NULL if none. */
const struct view *view_find(const char *name);
/* All views, in the order `maps dump` lists them. */
const struct view *view_all(size_t *n);
/* Prints <rows> as the view's text table. */
void view_text(FILE *f, const struct view *v, const json_t *rows);

/* The live generation from im_cfg (0 when unreadable, as the programs
 * assume). Returns 0 or -errno in <err> if given. */
unsigned int view_live_gen(const struct map_src *s, int *err);

#endif
