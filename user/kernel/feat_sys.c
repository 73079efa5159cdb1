// SPDX-License-Identifier: Apache-2.0
/* Features decided without loading a program. */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpffs.h"
#include "feat_probes.h"
#include "../tls/ktls.h"

enum feat_state probe_bpf_syscall(struct probe_ctx *c, char *why, size_t n)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "im_probe", 4, 4, 1, NULL);

	if (fd < 0)
		return feat_say(why, n, fd == -ENOSYS ? FEAT_ABSENT
						      : FEAT_UNKNOWN,
				"bpf(BPF_MAP_CREATE): %s", strerror(-fd));
	close(fd);
	return feat_say(why, n, FEAT_PRESENT, "bpf(2) created an array map");
}

enum feat_state probe_btf(struct probe_ctx *c, char *why, size_t n)
{
	struct btf *b = btf__load_vmlinux_btf();
	unsigned types;

	if (!b)
		return feat_say(why, n, FEAT_ABSENT,
				"no usable /sys/kernel/btf/vmlinux: %s",
				strerror(errno));
	types = btf__type_cnt(b);
	btf__free(b);
	return feat_say(why, n, FEAT_PRESENT,
			"/sys/kernel/btf/vmlinux has %u types", types);
}

/* Whether the kernel can mount bpffs at all, from /proc/filesystems. */
static bool has_bpffs_type(void)
{
	char line[128];
	bool yes = false;
	FILE *f = fopen("/proc/filesystems", "re");

	while (f && !yes && fgets(line, sizeof(line), f))
		yes = !strcmp(line, "nodev\tbpf\n");
	if (f)
		fclose(f);
	return yes;
}

enum feat_state probe_bpffs(struct probe_ctx *c, char *why, size_t n)
{
	if (bpffs_at(BPFFS_DIR))
		return feat_say(why, n, FEAT_PRESENT, "mounted at /sys/fs/bpf");
	if (has_bpffs_type())
		return feat_say(why, n, FEAT_ABSENT,
				"not mounted at /sys/fs/bpf (the kernel has "
				"it: mount -t bpf bpf /sys/fs/bpf)");
	return feat_say(why, n, FEAT_ABSENT, "the kernel has no bpffs");
}

enum feat_state probe_cgroup2(struct probe_ctx *c, char *why, size_t n)
{
	if (!c->cgroot[0])
		return feat_say(why, n, FEAT_ABSENT,
				"no cgroup2 mount in /proc/self/mounts");
	return feat_say(why, n, FEAT_PRESENT, "unified hierarchy at %s",
			c->cgroot);
}

/* ENOENT means no "tls" ULP is registered. Only CAP_NET_ADMIN makes the
 * kernel load a ULP module on demand, so without root a modular TLS that
 * is not loaded yet looks absent when it is not. */
static enum feat_state ktls_verdict(struct probe_ctx *c, int err, char *why,
				    size_t n)
{
	const char *v = kconfig_get(c->kc, "CONFIG_TLS");

	if (!err)
		return feat_say(why, n, FEAT_PRESENT,
				"setsockopt(TCP_ULP, \"tls\") accepted");
	if (err == ENOENT && geteuid() && v && !strcmp(v, "m"))
		return feat_say(why, n, FEAT_UNKNOWN,
				"tls module not loaded, loading it needs root");
	if (err == ENOENT)
		return feat_say(why, n, FEAT_ABSENT,
				"setsockopt(TCP_ULP, \"tls\"): no TLS ULP in "
				"this kernel");
	return feat_say(why, n, FEAT_UNKNOWN, "setsockopt(TCP_ULP, \"tls\"): %s",
			strerror(err));
}

enum feat_state probe_ktls(struct probe_ctx *c, char *why, size_t n)
{
	int err = ktls_ulp_try();

	if (err < 0)
		return feat_say(why, n, FEAT_UNKNOWN,
				"no loopback TCP connection to try it on: %s",
				strerror(-err));
	return ktls_verdict(c, err, why, n);
}
