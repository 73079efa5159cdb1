// SPDX-License-Identifier: Apache-2.0
/* Reading the pinned maps: bpf_obj_get on <pin root>/<name>, read-only, so
 * it works while the agent is down and can never change what it reads. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"

#define PIN_MAX_MAPS 32

struct pinned {
	char root[4096];
	struct {
		char name[16];
		int fd;
		struct map_info mi;
	} m[PIN_MAX_MAPS];
	int n;
};

static int pinned_get(struct pinned *p, const char *name, int *idx)
{
	LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[4096 + 32];
	int i, fd;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->m[i].name, name))
			return *idx = i, 0;
	if (strlen(name) >= sizeof(p->m[0].name) || p->n >= PIN_MAX_MAPS)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s", p->root, name);
	fd = bpf_obj_get_opts(path, &o);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return -EINVAL;	/* pinned, but a program or link */
	}
	i = p->n++;
	snprintf(p->m[i].name, sizeof(p->m[i].name), "%s", name);
	p->m[i].fd = fd;
	p->m[i].mi = (struct map_info){
		.type = info.type, .key_size = info.key_size,
		.value_size = info.value_size,
		.max_entries = info.max_entries, .flags = info.map_flags,
		.id = info.id,
	};
	snprintf(p->m[i].mi.name, sizeof(p->m[i].mi.name), "%s", name);
	*idx = i;
	return 0;
}

static int pinned_info(void *priv, const char *name, struct map_info *mi)
{
	struct pinned *p = priv;
	int i, err = pinned_get(p, name, &i);

	if (!err)
		*mi = p->m[i].mi;
	return err;
}

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t value_bytes(const struct map_info *mi)
{
	int ncpu = libbpf_num_possible_cpus();

	if (!is_percpu(mi->type))
		return mi->value_size;
	return ((mi->value_size + 7) & ~7U) * (size_t)(ncpu > 0 ? ncpu : 1);
}

#define BATCH 4096

/* Arrays in batches of BATCH slots: im_ep_v3 alone has 131072, and one
 * syscall per slot made `maps list` take seconds. -ENOTSUP when the
 * kernel has no batch operations for the map (the caller walks keys). */
static int each_batch(int fd, const struct map_info *mi, map_each_fn fn,
		      void *arg)
{
	size_t vb = value_bytes(mi);
	__u32 *keys = calloc(BATCH, sizeof(*keys)), in = 0, out, n, j;
	char *vals = calloc(BATCH, vb);
	bool first = true;
	int rc = 0, err;

	while (keys && vals && !rc) {
		n = BATCH;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					   vals, &n, NULL);
		if (err && errno != ENOENT) {
			rc = first ? -ENOTSUP : -errno;
			break;
		}
		for (j = 0; j < n && !rc; j++)
			rc = fn(arg, &keys[j], vals + (size_t)j * vb);
		if (err)
			break;	/* ENOENT: that was the last batch */
		in = out;
		first = false;
	}
	if (!keys || !vals)
		rc = -ENOMEM;
	free(keys);
	free(vals);
	return rc;
}

/* Walks keys with get_next_key; an entry deleted between the two calls
 * is skipped, as bpftool does. */
static int pinned_each(void *priv, const char *name, map_each_fn fn,
		       void *arg)
{
	struct pinned *p = priv;
	void *key, *next, *val;
	int i, err = pinned_get(p, name, &i), rc = 0;
	const struct map_info *mi;
	bool first = true;

	if (err)
		return err;
	mi = &p->m[i].mi;
	if (mi->type == BPF_MAP_TYPE_ARRAY ||
	    mi->type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		rc = each_batch(p->m[i].fd, mi, fn, arg);
		if (rc != -ENOTSUP)
			return rc;
		rc = 0;
	}
	key = calloc(1, mi->key_size);
	next = calloc(1, mi->key_size);
	val = calloc(1, value_bytes(mi));
	if (!key || !next || !val) {
		rc = -ENOMEM;
		goto out;
	}
	while (!rc) {
		if (bpf_map_get_next_key(p->m[i].fd, first ? NULL : key, next)) {
			rc = errno == ENOENT ? 0 : -errno;
			break;
		}
		first = false;
		memcpy(key, next, mi->key_size);
		if (bpf_map_lookup_elem(p->m[i].fd, key, val))
			continue;
		rc = fn(arg, key, val);
	}
out:
	free(key);
	free(next);
	free(val);
	return rc;
}

static int pinned_lookup(void *priv, const char *name, const void *key,
			 void *value)
{
	struct pinned *p = priv;
	int i, err = pinned_get(p, name, &i);

	if (err)
		return err;
	return bpf_map_lookup_elem(p->m[i].fd, key, value) ? -errno : 0;
}

static const struct map_src_ops pinned_ops = {
	.info = pinned_info,
	.each = pinned_each,
	.lookup = pinned_lookup,
};

int src_pinned_open(struct map_src *s, const char *pin_root)
{
	struct pinned *p;
	struct stat st;
	int ncpu;

	if (stat(pin_root, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->root, sizeof(p->root), "%s", pin_root);
	*s = (struct map_src){ .ops = &pinned_ops, .priv = p, .ncpu = ncpu };
	return 0;
}

void src_pinned_close(struct map_src *s)
{
	struct pinned *p = s->priv;
	int i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		close(p->m[i].fd);
	free(p);
	s->priv = NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **src_pinned_names(const struct map_src *s)
{
	const struct pinned *p = s->priv;
	char **v = calloc(PIN_MAX_MAPS + 1, sizeof(*v));
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	if (!v)
		return NULL;
	dir = opendir(p->root);
	while (dir && (d = readdir(dir)) && n < PIN_MAX_MAPS) {
		if (strncmp(d->d_name, "im_", 3) || strchr(d->d_name, '.'))
			continue;	/* only the dataplane's maps */
		v[n] = strdup(d->d_name);
		if (v[n])
			n++;
	}
	if (dir)
		closedir(dir);
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

void src_pinned_free_names(char **names)
{
	size_t i;

	for (i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}
