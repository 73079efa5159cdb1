/* SPDX-License-Identifier: Apache-2.0 */
/* Between names.c (the model) and names_store.c (map and file). */
#ifndef IM_MAPS_NAMES_INT_H
#define IM_MAPS_NAMES_INT_H

#include <jansson.h>

#include "names.h"

struct im_names {
	json_t *root;
};

/* Takes <root> (stolen, even on failure) as a set of names. */
struct im_names *names_wrap(json_t *root);
unsigned int names_gen(const struct im_names *n);

#endif
