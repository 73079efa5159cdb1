/* SPDX-License-Identifier: Apache-2.0 */
/* Growing a heap array by doubling: the one copy every user/ array uses. */
#ifndef IM_UTIL_GROW_H
#define IM_UTIL_GROW_H

#include <stddef.h>
#include <string.h>

/*
 * Doubles the capacity <*cap> (16 elements at first) of the array <*v> of
 * <elem>-byte elements. On failure <*v> and <*cap> are unchanged. Returns
 * 0 or -ENOMEM (also when the size would overflow).
 */
int grow(void **v, size_t *cap, size_t elem);

/* Element <n> of <arr> (capacity <cap>), zeroed, with <n> incremented;
 * NULL when growing failed. */
#define GROW_PUSH(arr, n, cap)						\
	((n) < (cap) || !grow((void **)&(arr), &(cap), sizeof(*(arr))) ? \
	 memset(&(arr)[(n)++], 0, sizeof(*(arr))) : NULL)

#endif
