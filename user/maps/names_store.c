// SPDX-License-Identifier: Apache-2.0
/* Where the names live: the pinned im_names map on bpffs, a JSON file
 * anywhere else (see names.h). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kernel/bpffs.h"
#include "names_int.h"

/* The pinned names map, created and pinned when missing. */
static int names_map(const char *dir, bool create)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, NAMES_MAP);
	fd = bpf_obj_get(path);
	if (fd >= 0 || !create)
		return fd >= 0 ? fd : -errno;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, NAMES_MAP,
			    sizeof(struct names_chunk_key),
			    sizeof(struct names_chunk), 2 * NAMES_MAX_CHUNKS, &o);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Chunks 0..n-1 written, then the stale ones after them deleted, so the
 * text ends where the reader stops. */
static int save_map(const struct im_names *n, const char *dir)
{
	char *text = json_dumps(n->root, JSON_COMPACT | JSON_SORT_KEYS);
	struct names_chunk_key k = { names_gen(n), 0 };
	struct names_chunk *c = calloc(1, sizeof(*c));
	size_t len = text ? strlen(text) : 0, at = 0;
	int fd = -1, err = text && c ? 0 : -ENOMEM;

	if (!err && len > (size_t)NAMES_CHUNK * NAMES_MAX_CHUNKS)
		err = -E2BIG;
	if (!err && (fd = names_map(dir, true)) < 0)
		err = fd;
	for (; !err && (at < len || !k.chunk); k.chunk++, at += NAMES_CHUNK) {
		c->len = len - at < NAMES_CHUNK ? len - at : NAMES_CHUNK;
		memcpy(c->data, text + at, c->len);
		if (bpf_map_update_elem(fd, &k, c, 0))
			err = -errno;
	}
	while (!err && k.chunk < NAMES_MAX_CHUNKS &&
	       !bpf_map_delete_elem(fd, &k))
		k.chunk++;
	if (fd >= 0)
		close(fd);
	free(c);
	free(text);
	return err;
}

static json_t *load_map(int fd, unsigned int gen)
{
	struct names_chunk_key k = { gen, 0 };
	struct names_chunk *c = calloc(1, sizeof(*c));
	char *text = NULL;
	size_t len = 0;
	json_t *root = NULL;

	for (; c && k.chunk < NAMES_MAX_CHUNKS; k.chunk++) {
		char *t;

		if (bpf_map_lookup_elem(fd, &k, c))
			break;
		if (c->len > NAMES_CHUNK)
			goto out;	/* not ours: refuse, don't guess */
		t = realloc(text, len + c->len + 1);
		if (!t)
			goto out;
		text = t;
		memcpy(text + len, c->data, c->len);
		len += c->len;
		if (c->len < NAMES_CHUNK)
			break;
	}
	if (text) {
		text[len] = 0;
		root = json_loads(text, 0, NULL);
	}
out:
	free(c);
	free(text);
	return root;
}

static int save_file(const struct im_names *n, const char *dir)
{
	char path[4096], tmp[4096 + 16];
	int err = 0;

	snprintf(path, sizeof(path), "%s/names.%u.json", dir, names_gen(n));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (json_dump_file(n->root, tmp, JSON_INDENT(1) | JSON_SORT_KEYS))
		return -EIO;
	if (rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int names_save(const struct im_names *n, const char *dir)
{
	return bpffs_at(dir) ? save_map(n, dir) : save_file(n, dir);
}

struct im_names *names_load(const char *dir, unsigned int gen, char *why,
			    size_t wn)
{
	char path[4096];
	json_error_t e;
	json_t *root;
	int fd = names_map(dir, false);

	if (why && wn)
		why[0] = 0;
	if (fd >= 0) {
		root = load_map(fd, gen);
		close(fd);
		if (!root && why)
			snprintf(why, wn, "%s/%s holds no names for "
				 "generation %u", dir, NAMES_MAP, gen);
		return names_wrap(root);
	}
	snprintf(path, sizeof(path), "%s/names.%u.json", dir, gen);
	if (access(path, F_OK))
		return NULL;
	root = json_load_file(path, 0, &e);
	if (!json_is_object(root) && why)
		snprintf(why, wn, "%s: %s", path, root ? "not an object" :
			 e.text);
	return names_wrap(root);
}
