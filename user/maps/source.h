/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where `infermesh maps` reads map contents from: the maps pinned by the
 * agent (source_pinned.c), or, in the unit tests, tables in memory. The
 * decoders and views only see this interface, so they are tested without
 * root or a kernel.
 */
#ifndef IM_MAPS_SOURCE_H
#define IM_MAPS_SOURCE_H

#include <stdint.h>

struct map_info {
	char name[16];
	uint32_t type;		/* enum bpf_map_type */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;
	uint32_t id;		/* kernel map id; 0 for fakes */
};

/* Called per entry; a non-zero return stops the walk and is returned. */
typedef int (*map_each_fn)(void *arg, const void *key, const void *value);

struct map_src_ops {
	/* Describes map <name>; -ENOENT when it is not there. */
	int (*info)(void *priv, const char *name, struct map_info *mi);
	/* Every entry of <name>: hashes and tries their keys, arrays every
	 * index (key __u32). Per-CPU values come as map_src.ncpu values,
	 * each rounded up to 8 bytes, as the kernel hands them out. */
	int (*each)(void *priv, const char *name, map_each_fn fn, void *arg);
	/* One entry; -ENOENT when absent. */
	int (*lookup)(void *priv, const char *name, const void *key,
		      void *value);
};

struct map_src {
	const struct map_src_ops *ops;
	void *priv;
	int ncpu;		/* possible CPUs: per-CPU value count */
};

static inline int src_info(const struct map_src *s, const char *name,
			   struct map_info *mi)
{
	return s->ops->info(s->priv, name, mi);
}

static inline int src_each(const struct map_src *s, const char *name,
			   map_each_fn fn, void *arg)
{
	return s->ops->each(s->priv, name, fn, arg);
}

static inline int src_lookup(const struct map_src *s, const char *name,
			     const void *key, void *value)
{
	return s->ops->lookup(s->priv, name, key, value);
}

/*
 * The maps pinned under <pin_root> as <pin_root>/<map name> (the agent's
 * layout: /sys/fs/bpf/infermesh/<node>/im_svc, ...). Opened lazily with
 * bpf_obj_get, read only. Returns 0 or -errno.
 */
int src_pinned_open(struct map_src *s, const char *pin_root);
void src_pinned_close(struct map_src *s);
/* Names of the maps pinned under the root, sorted; NULL-terminated,
 * free with src_pinned_free_names. */
char **src_pinned_names(const struct map_src *s);
void src_pinned_free_names(char **names);

#endif
