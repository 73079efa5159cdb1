/* SPDX-License-Identifier: Apache-2.0 */
/* The running kernel's build configuration, from /proc/config.gz (read
 * through zlib) or /boot/config-RELEASE. Evidence only: a feature is
 * decided by trying it, the config explains why it is missing. */
#ifndef IM_KERNEL_KCONFIG_H
#define IM_KERNEL_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct kconfig {
	char *text;		/* whole file, NUL-terminated; NULL if none */
	size_t len;
	char src[128];		/* where it was read from, or "" */
};

/* Reads the first readable config source. Returns 0, or -errno when no
 * source could be read (<kc> is then empty but valid for kconfig_get). */
int kconfig_load(struct kconfig *kc);
void kconfig_free(struct kconfig *kc);

/*
 * Value of <sym> ("CONFIG_TLS"): "y", "m", a string or number as written,
 * "n" when the file says "# CONFIG_X is not set" or omits it, NULL when
 * there is no config at all. The string lives until kconfig_free.
 */
const char *kconfig_get(const struct kconfig *kc, const char *sym);

#endif
