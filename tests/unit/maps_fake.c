// SPDX-License-Identifier: Apache-2.0
/* In-memory maps for the `infermesh maps` tests (see maps_fake.h). */
#include <errno.h>
#include <string.h>

#include "maps_fake.h"

static struct fake_map *find(struct fake *f, const char *name)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->m[i].name, name))
			return &f->m[i];
	return NULL;
}

void fake_put(struct fake *f, const char *map, bool array, const void *k,
	      unsigned int ksz, const void *v, unsigned int vsz)
{
	struct fake_map *m = find(f, map);
	int i;

	if (!m) {
		m = &f->m[f->n++];
		*m = (struct fake_map){ .name = map, .array = array,
					.ksz = ksz, .vsz = vsz };
	}
	for (i = 0; i < m->n; i++)
		if (!memcmp(m->k[i], k, ksz))
			break;
	if (i == m->n)
		m->n++;
	memcpy(m->k[i], k, ksz);
	memcpy(m->v[i], v, vsz);
}

static int fake_info(void *priv, const char *name, struct map_info *mi)
{
	struct fake_map *m = find(priv, name);

	if (!m)
		return -ENOENT;
	memset(mi, 0, sizeof(*mi));
	strncpy(mi->name, name, sizeof(mi->name) - 1);
	mi->key_size = m->ksz;
	mi->value_size = m->vsz;
	return 0;
}

static int fake_each(void *priv, const char *name, map_each_fn fn, void *arg)
{
	struct fake_map *m = find(priv, name);
	int i, rc = 0;

	if (!m)
		return -ENOENT;
	for (i = 0; i < m->n && !rc; i++)
		rc = fn(arg, m->k[i], m->v[i]);
	return rc;
}

static int fake_lookup(void *priv, const char *name, const void *key,
		       void *value)
{
	struct fake_map *m = find(priv, name);
	int i;

	if (!m)
		return -ENOENT;
	for (i = 0; i < m->n; i++)
		if (!memcmp(m->k[i], key, m->ksz)) {
			memcpy(value, m->v[i], m->vsz);
			return 0;
		}
	if (!m->array)
		return -ENOENT;
	memset(value, 0, m->vsz);
	return 0;
}

static const struct map_src_ops fake_ops = {
	.info = fake_info,
	.each = fake_each,
	.lookup = fake_lookup,
};

void fake_src(struct fake *f, struct map_src *s, int ncpu)
{
	*s = (struct map_src){ .ops = &fake_ops, .priv = f, .ncpu = ncpu };
}
