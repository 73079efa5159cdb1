/* SPDX-License-Identifier: Apache-2.0 */
#ifndef IM_EXPLAIN_H
#define IM_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "../config/object.h"

/* Prints the resolved model (per workload and per service) as text or JSON. */
void explain_print(struct config *c, bool json, FILE *out);

#endif
