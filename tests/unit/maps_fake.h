/* SPDX-License-Identifier: Apache-2.0 */
/* Map contents in memory behind the struct map_src interface, for testing
 * the decoders and views of `infermesh maps` without a kernel. */
#ifndef IM_TEST_MAPS_FAKE_H
#define IM_TEST_MAPS_FAKE_H

#include <stdbool.h>

#include "maps/source.h"

#define FAKE_MAPS 16
#define FAKE_ENTRIES 32
#define FAKE_KEY 16
#define FAKE_VAL 128

struct fake_map {
	const char *name;
	bool array;		/* lookups of absent indices read zeros */
	unsigned int ksz, vsz;	/* vsz: all CPUs' values for per-CPU maps */
	int n;
	unsigned char k[FAKE_ENTRIES][FAKE_KEY];
	unsigned char v[FAKE_ENTRIES][FAKE_VAL];
};

struct fake {
	struct fake_map m[FAKE_MAPS];
	int n;
};

/* A source over <f> with <ncpu> CPUs. */
void fake_src(struct fake *f, struct map_src *s, int ncpu);
/* Adds (or replaces) an entry; declares the map on first use. */
void fake_put(struct fake *f, const char *map, bool array, const void *k,
	      unsigned int ksz, const void *v, unsigned int vsz);
/* Array entry <idx> of <map>. */
#define fake_put_idx(f, map, idx, val) do { \
	__u32 __i = (idx); \
	fake_put(f, map, true, &__i, 4, val, sizeof(*(val))); \
} while (0)

#endif
