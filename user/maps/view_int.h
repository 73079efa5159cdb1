/* SPDX-License-Identifier: Apache-2.0 */
/* Between the view files of user/maps/: not for other callers. */
#ifndef IM_MAPS_VIEW_INT_H
#define IM_MAPS_VIEW_INT_H

#include "view.h"

int view_build_policy(const struct view_ctx *c, json_t *rows);
void view_text_policy(FILE *f, const json_t *rows);
int view_build_idlevels(const struct view_ctx *c, json_t *rows);
int view_build_local(const struct view_ctx *c, json_t *rows);

/* Column formatters (view_text.c). */
void view_fmt_dsts(const json_t *row, char *buf, size_t n);
void view_fmt_state(const json_t *row, char *buf, size_t n);
void view_fmt_outlier(const json_t *row, char *buf, size_t n);
void view_fmt_ep_subset(const json_t *row, char *buf, size_t n);
/* The generic cell: strings as is, numbers, yes/no, "-" for null,
 * k=v,... for objects, a,b for arrays of scalars. */
void view_fmt_cell(const json_t *v, char *buf, size_t n);

/* Sorts <rows> by member <k1>, then <k2> (may be NULL): numbers by value,
 * strings by dotted-quad-aware order. Hash maps come in no order. */
void view_sort(json_t *rows, const char *k1, const char *k2);

#endif
