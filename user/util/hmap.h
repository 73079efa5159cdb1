/* SPDX-License-Identifier: Apache-2.0 */
/* String-keyed hash map in an arena, for the indexes analyzers and the
 * model build once per run so that a lookup by host or namespace does not
 * scan every object (which made `analyze` quadratic in the mesh size).
 * Keys are not copied: they must live as long as the map, as the arena
 * strings of a config do. Open addressing with linear probing; nothing is
 * ever removed. */
#ifndef IM_HMAP_H
#define IM_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct hmap_ent {
	const char *key; /* NULL: free slot */
	size_t len;
	uint64_t hash;
	void *val;
};

struct hmap {
	struct arena *a;
	struct hmap_ent *v;
	size_t cap, n; /* cap is 0 or a power of two */
};

/* Values kept under one key by hmap_push, in push order. */
struct hlist {
	void **v;
	size_t n, cap;
};

void hmap_init(struct hmap *m, struct arena *a);
/* The value of <key> (<len> bytes, need not be NUL-terminated), or NULL. */
void *hmap_getn(const struct hmap *m, const char *key, size_t len);
void *hmap_get(const struct hmap *m, const char *key);
/* The value slot of <key>, added holding NULL when the key is new. */
void **hmap_slotn(struct hmap *m, const char *key, size_t len);
void **hmap_slot(struct hmap *m, const char *key);
/* Appends <val> to <l> (zeroed to start), growing it in <a>. */
void hlist_push(struct arena *a, struct hlist *l, void *val);
/* Multi-map use: appends <val> to the hlist kept as the value of <key>. */
void hmap_push(struct hmap *m, const char *key, void *val);
/* The values pushed under <key>; *n is 0 (and NULL returned) if none. */
void **hmap_list(const struct hmap *m, const char *key, size_t *n);

#endif
