// SPDX-License-Identifier: Apache-2.0
/* Kernel features known present, per kernel and boot (see featcache.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../kernel/features.h"
#include "featcache.h"

#define BOOT_ID "/proc/sys/kernel/random/boot_id"
#define LINE_MAX_ 512

/* "<release> <boot id>": what the file must have been written under. */
static int this_kernel(char *out, size_t n)
{
	char boot[64] = "";
	struct utsname u;
	FILE *f = fopen(BOOT_ID, "re");
	bool ok = f && fgets(boot, sizeof(boot), f);

	if (f)
		fclose(f);
	if (!ok || uname(&u))
		return -ENOENT;
	boot[strcspn(boot, "\n")] = '\0';
	snprintf(out, n, "kernel %s boot %s", u.release, boot);
	return 0;
}

static int path_of(const char *dir, const char *name, char *out, size_t n)
{
	return snprintf(out, n, "%s/%s", dir, name) >= (int)n ? -ENAMETOOLONG
							      : 0;
}

static uint32_t bit_of(const char *name)
{
	int id;

	for (id = 0; id < FEAT__COUNT; id++)
		if (!strcmp(name, feat_name(id)))
			return FEAT_BIT(id);
	return 0;	/* a name of another build: probed again */
}

/* "present a b c": the bits of the names. */
static uint32_t parse_present(char *line)
{
	uint32_t mask = 0;
	char *save = NULL, *w;

	if (strncmp(line, "present ", 8))
		return 0;
	for (w = strtok_r(line + 8, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save))
		mask |= bit_of(w);
	return mask;
}

uint32_t featcache_load(const char *state_dir)
{
	char path[PATH_MAX], want[256], line[LINE_MAX_];
	uint32_t mask = 0;
	FILE *f;

	if (path_of(state_dir, FEATCACHE_FILE, path, sizeof(path)) ||
	    this_kernel(want, sizeof(want)))
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* line 1: the kernel and boot, exactly; line 2: the features */
	if (fgets(line, sizeof(line), f) &&
	    !strcmp(strtok(line, "\n") ? line : "", want) &&
	    fgets(line, sizeof(line), f) && strchr(line, '\n'))
		mask = parse_present(line);
	fclose(f);
	return mask;
}

int featcache_store(const char *state_dir, uint32_t present)
{
	char path[PATH_MAX], tmp[PATH_MAX], head[256];
	FILE *f;
	int id, err = this_kernel(head, sizeof(head));

	err = err ?: path_of(state_dir, FEATCACHE_FILE, path, sizeof(path));
	err = err ?: path_of(state_dir, FEATCACHE_FILE ".tmp", tmp,
			     sizeof(tmp));
	if (err)
		return err;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\npresent", head);
	for (id = 0; id < FEAT__COUNT; id++)
		if (present & FEAT_BIT(id))
			fprintf(f, " %s", feat_name(id));
	fputc('\n', f);
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
