// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

#define GROW_FIRST 16

int grow(void **v, size_t *cap, size_t elem)
{
	size_t n = *cap ? *cap * 2 : GROW_FIRST;
	void *p;

	if (n < *cap || !elem || n > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*v, n * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}
