// SPDX-License-Identifier: Apache-2.0
/*
 * The last good versions on disk: one file per object in force, named by
 * a hash of its identity, holding a few "# key: value" header lines and
 * the object's YAML. The directory mirrors the set in force (entries of
 * deleted objects are removed), so it is bounded by the config itself;
 * reading it back stops at LG_MAX_ENTRIES files of LG_MAX_TEXT bytes.
 * Files are replaced by rename, so a crash leaves the old or the new one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/grow.h"
#include "lastgood.h"

#define LG_SUFFIX ".yaml"
#define LG_NAME_LEN (16 + sizeof(LG_SUFFIX) - 1)

/* ---- the set ---- */

static char *dup_or(const char *s, bool *oom)
{
	char *d = strdup(s ? s : "");

	*oom |= !d;
	return d;
}

int lg_set_add(struct lg_set *s, const char *group, const char *kind,
	       const char *ns, const char *name, const char *file,
	       const char *when, const char *text, size_t len)
{
	struct lg_entry *e;
	bool oom = false;
	size_t kl;

	if (s->n == s->cap && grow((void **)&s->v, &s->cap, sizeof(*s->v)))
		return -ENOMEM;
	e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	e->group = dup_or(group, &oom);
	e->kind = dup_or(kind, &oom);
	e->ns = dup_or(ns, &oom);
	e->name = dup_or(name, &oom);
	e->file = dup_or(file, &oom);
	e->when = dup_or(when, &oom);
	e->text = malloc(len + 1);
	kl = strlen(e->group ?: "") + strlen(e->kind ?: "") +
	     strlen(e->ns ?: "") + strlen(e->name ?: "") + 4;
	e->key = malloc(kl);
	if (oom || !e->text || !e->key) {
		s->n++;		/* freed with the set */
		return -ENOMEM;
	}
	memcpy(e->text, text, len);
	e->text[len] = 0;
	e->len = len;
	snprintf(e->key, kl, "%s\x1f%s\x1f%s\x1f%s", e->group, e->kind,
		 e->ns, e->name);
	s->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lg_entry *)a)->key,
		      ((const struct lg_entry *)b)->key);
}

void lg_set_sort(struct lg_set *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), entry_cmp);
}

const struct lg_entry *lg_find(const struct lg_set *s, const char *key)
{
	struct lg_entry k = { .key = (char *)key };

	return s->n ? bsearch(&k, s->v, s->n, sizeof(*s->v), entry_cmp) :
		      NULL;
}

void lg_set_free(struct lg_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct lg_entry *e = &s->v[i];

		free(e->key);
		free(e->group);
		free(e->kind);
		free(e->ns);
		free(e->name);
		free(e->file);
		free(e->when);
		free(e->text);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- file names ---- */

static void file_name(const struct lg_entry *e, char out[LG_NAME_LEN + 1])
{
	uint64_t h = 14695981039346656037ull;
	const char *p;

	for (p = e->key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(out, LG_NAME_LEN + 1, "%016llx" LG_SUFFIX,
		 (unsigned long long)h);
}

static bool ours(const char *name)
{
	size_t i;

	if (strlen(name) != LG_NAME_LEN || strcmp(name + 16, LG_SUFFIX))
		return false;
	for (i = 0; i < 16; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/* ---- reading ---- */

static const char *const hdr_keys[] = {
	"group", "kind", "namespace", "name", "from", "accepted",
};
#define N_HDR (sizeof(hdr_keys) / sizeof(hdr_keys[0]))

/* Cuts the header lines off <buf>: their values in <val>, the YAML in
 * *body. Header values never hold a newline (see write_one). */
static bool parse_header(char *buf, const char *val[N_HDR], char **body)
{
	char *p = buf;
	size_t i;

	while (!strncmp(p, "# ", 2)) {
		char *nl = strchr(p, '\n'), *colon;

		if (!nl)
			return false;
		*nl = 0;
		colon = strstr(p + 2, ": ");
		for (i = 0; colon && i < N_HDR; i++)
			if ((size_t)(colon - p - 2) == strlen(hdr_keys[i]) &&
			    !strncmp(p + 2, hdr_keys[i], strlen(hdr_keys[i])))
				val[i] = colon + 2;
		p = nl + 1;
	}
	*body = p;
	for (i = 0; i < N_HDR; i++)
		if (!val[i])
			return false;
	return true;
}

static char *read_small(int dfd, const char *name, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf = NULL;
	ssize_t r;

	if (fd < 0)
		return NULL;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size <= LG_MAX_TEXT + 4096)
		buf = malloc((size_t)st.st_size + 1);
	r = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (r != st.st_size) {
		free(buf);
		return NULL;
	}
	buf[r] = 0;
	*len = (size_t)r;
	return buf;
}

static int read_one(int dfd, const char *name, struct lg_set *s)
{
	const char *val[N_HDR] = { 0 };
	size_t len;
	char *buf = read_small(dfd, name, &len), *body;
	int err = 0;

	if (buf && parse_header(buf, val, &body))
		err = lg_set_add(s, val[0], val[1], val[2], val[3], val[4],
				 val[5], body, len - (size_t)(body - buf));
	free(buf);
	return err;
}

int lg_store_read(const char *dir, struct lg_set *s)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int err = 0;

	memset(s, 0, sizeof(*s));
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!err && s->n < LG_MAX_ENTRIES && (de = readdir(d)))
		if (ours(de->d_name))
			err = read_one(dirfd(d), de->d_name, s);
	closedir(d);
	lg_set_sort(s);
	return err;
}

/* ---- writing ---- */

static bool unchanged(const struct lg_entry *e, const struct lg_set *prev)
{
	const struct lg_entry *p = prev ? lg_find(prev, e->key) : NULL;

	return p && p->len == e->len && !memcmp(p->text, e->text, e->len) &&
	       !strcmp(p->file, e->file) && !strcmp(p->when, e->when);
}

static bool one_line(const struct lg_entry *e)
{
	const char *v[] = { e->group, e->kind, e->ns, e->name, e->file,
			    e->when };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strchr(v[i], '\n'))
			return false;
	return true;
}

static int write_one(int dfd, const struct lg_entry *e)
{
	char name[LG_NAME_LEN + 1], tmp[LG_NAME_LEN + 8];
	FILE *f;
	int fd, err = 0;

	if (!one_line(e))
		return 0;	/* cannot be told back apart: not kept */
	file_name(e, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	fprintf(f, "# infermesh: last good version of an object, written "
		"by the agent\n# group: %s\n# kind: %s\n# namespace: %s\n"
		"# name: %s\n# from: %s\n# accepted: %s\n", e->group, e->kind,
		e->ns, e->name, e->file, e->when);
	if (fwrite(e->text, 1, e->len, f) != e->len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && renameat(dfd, tmp, dfd, name))
		err = -errno;
	if (err)
		unlinkat(dfd, tmp, 0);
	return err;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Removes our files that name no entry of <s>. */
static void remove_stale(int dfd, const struct lg_set *s)
{
	char (*names)[LG_NAME_LEN + 1] = calloc(s->n + 1, sizeof(*names));
	DIR *d = fdopendir(dup(dfd));
	struct dirent *de;
	size_t i;

	if (!names || !d) {
		free(names);
		if (d)
			closedir(d);
		return;
	}
	for (i = 0; i < s->n; i++)
		file_name(&s->v[i], names[i]);
	qsort(names, s->n, sizeof(*names), name_cmp);
	while ((de = readdir(d)))
		if (ours(de->d_name) && !bsearch(de->d_name, names, s->n,
						 sizeof(*names), name_cmp))
			unlinkat(dfd, de->d_name, 0);
	closedir(d);
	free(names);
}

int lg_store_write(const char *dir, const struct lg_set *s,
		   const struct lg_set *prev)
{
	int dfd, err = 0;
	size_t i;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (i = 0; i < s->n; i++) {
		int e = unchanged(&s->v[i], prev) ? 0 :
			write_one(dfd, &s->v[i]);

		err = err ?: e;
	}
	remove_stale(dfd, s);
	close(dfd);
	return err;
}
