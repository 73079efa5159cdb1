/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to explain*.c: the printers explain_print() dispatches to. */
#ifndef IM_EXPLAIN_INT_H
#define IM_EXPLAIN_INT_H

#include <stdio.h>

#include "model.h"

void explain_text(const struct model *m, struct arena *a, FILE *out);
void explain_text_services(const struct model *m, struct arena *a, FILE *out);
int explain_json(const struct model *m, struct arena *a, FILE *out);

#endif
