// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "kconfig.h"

#define KCONFIG_MAX (8u << 20)	/* real configs are ~300 KiB */

/* Reads all of <f> into kc->text (NUL-terminated). */
static int read_all(gzFile f, struct kconfig *kc)
{
	size_t cap = 1 << 16;
	char *t;
	int n = 0;

	kc->text = malloc(cap + 1);
	kc->len = 0;
	while (kc->text && (n = gzread(f, kc->text + kc->len,
				       cap - kc->len)) > 0) {
		kc->len += n;
		if (kc->len < cap)
			continue;
		t = cap < KCONFIG_MAX ? realloc(kc->text, cap * 2 + 1) : NULL;
		if (!t)
			break;
		kc->text = t;
		cap *= 2;
	}
	if (!kc->text || n != 0 || !kc->len) {
		free(kc->text);
		kc->text = NULL;
		return -EIO;
	}
	kc->text[kc->len] = '\0';
	return 0;
}

/* gzread also reads an uncompressed file as is, so one reader serves both
 * /proc/config.gz and /boot/config-RELEASE. */
static int read_gz(const char *path, struct kconfig *kc)
{
	gzFile f = gzopen(path, "rb");
	size_t i;
	int err;

	if (!f)
		return errno ? -errno : -ENOENT;
	err = read_all(f, kc);
	gzclose(f);
	if (err)
		return err;
	for (i = 0; i < kc->len; i++)
		if (kc->text[i] == '\n')
			kc->text[i] = '\0';
	snprintf(kc->src, sizeof(kc->src), "%s", path);
	return 0;
}

int kconfig_load(struct kconfig *kc)
{
	char boot[sizeof(((struct utsname *)0)->release) + 16];
	struct utsname u;

	memset(kc, 0, sizeof(*kc));
	if (!read_gz("/proc/config.gz", kc))
		return 0;
	if (uname(&u))
		return -errno;
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	return read_gz(boot, kc);
}

void kconfig_free(struct kconfig *kc)
{
	free(kc->text);
	memset(kc, 0, sizeof(*kc));
}

/* Lines were split at load ('\n' -> '\0'), so each lookup walks them. */
const char *kconfig_get(const struct kconfig *kc, const char *sym)
{
	size_t l = strlen(sym);
	const char *p;

	if (!kc->text)
		return NULL;
	for (p = kc->text; p < kc->text + kc->len; p += strlen(p) + 1)
		if (!strncmp(p, sym, l) && p[l] == '=')
			return p + l + 1;
	return "n";
}
