// SPDX-License-Identifier: Apache-2.0
/* The feature probe against this kernel: what every dataplane kernel must
 * have reads present, kTLS follows the kernel config, nothing is left. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "bpf_test.h"
#include "kernel/cgroup.h"
#include "kernel/features.h"
#include "kernel/kconfig.h"

static const enum feat_id required[] = {
	FEAT_BPF_SYSCALL, FEAT_BTF,	FEAT_CGROUP2, FEAT_CONNECT4,
	FEAT_SOCKOPS,	  FEAT_SOCKHASH, FEAT_TC,     FEAT_XDP,
	FEAT_RINGBUF,	  FEAT_TIMER,
};

static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	return !uname(&u) && sscanf(u.release, "%d.%d", &a, &b) == 2 &&
	       (a > maj || (a == maj && b >= min));
}

/* kTLS must read present exactly when the kernel was built with it. */
static enum feat_state expected_ktls(void)
{
	struct kconfig kc;
	const char *v;
	enum feat_state st = FEAT_UNKNOWN;

	if (!kconfig_load(&kc)) {
		v = kconfig_get(&kc, "CONFIG_TLS");
		st = strcmp(v, "n") ? FEAT_PRESENT : FEAT_ABSENT;
	}
	kconfig_free(&kc);
	return st;
}

/* Probe-made cgroups are named infermesh-probe-PID-N. */
static int leftover_cgroups(void)
{
	char root[256], prefix[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (cgroup2_root(root, sizeof(root)) || !(d = opendir(root)))
		return -1;
	snprintf(prefix, sizeof(prefix), "infermesh-probe-%d-", (int)getpid());
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void probe_matches_this_kernel(void)
{
	struct features f;
	size_t i;

	NEED_ROOT();
	features_probe(&f);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		CHECK_EQ(f.r[required[i]].state, FEAT_PRESENT, "%s (%s)",
			 feat_name(required[i]), f.r[required[i]].detail);
	CHECK_EQ(f.r[FEAT_TCX].state,
		 kernel_at_least(6, 6) ? FEAT_PRESENT : FEAT_ABSENT, "tcx (%s)",
		 f.r[FEAT_TCX].detail);
	CHECK_EQ(f.r[FEAT_KTLS].state, expected_ktls(), "ktls (%s)",
		 f.r[FEAT_KTLS].detail);
	CHECK_EQ(f.r[FEAT_BPFFS].state != FEAT_UNKNOWN, 1, "bpffs decided");
	CHECK_EQ(leftover_cgroups(), 0, "probe cgroups removed");
}

/* In a child that dropped to nobody: the BPF features say "needs root"
 * instead of failing, the rest are still probed. */
static int unprivileged_child(void)
{
	struct features f;

	if (setgid(65534) || setuid(65534))
		return 10;
	features_probe(&f);
	if (f.root || f.r[FEAT_XDP].state != FEAT_UNKNOWN ||
	    strcmp(f.r[FEAT_XDP].detail, "needs root"))
		return 11;
	if (f.r[FEAT_BTF].state != FEAT_PRESENT ||
	    !strcmp(f.r[FEAT_KTLS].detail, "needs root"))
		return 12;
	return 0;
}

static void unprivileged_says_needs_root(void)
{
	int status = -1;
	pid_t pid;

	NEED_ROOT();	/* dropping to nobody needs root to begin with */
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(unprivileged_child());
	CHECK_EQ(pid > 0 && waitpid(pid, &status, 0) == pid, 1, "forked");
	CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
		 "unprivileged probe (10 setuid, 11 xdp, 12 btf/ktls)");
}

/* Lines as kconfig_load leaves them: split at '\n' into NUL-ended ones. */
static void kconfig_values(void)
{
	static char text[] = "CONFIG_AB=m\0CONFIG_A=y\0# CONFIG_TLS is not set\0"
			     "CONFIG_X=\"str\"";
	struct kconfig kc = { .text = text, .len = sizeof(text) - 1 };
	struct kconfig none = { 0 };

	CU_ASSERT_STRING_EQUAL(kconfig_get(&kc, "CONFIG_A"), "y");
	CU_ASSERT_STRING_EQUAL(kconfig_get(&kc, "CONFIG_AB"), "m");
	CU_ASSERT_STRING_EQUAL(kconfig_get(&kc, "CONFIG_X"), "\"str\"");
	CU_ASSERT_STRING_EQUAL(kconfig_get(&kc, "CONFIG_TLS"), "n");
	CU_ASSERT_STRING_EQUAL(kconfig_get(&kc, "CONFIG_NOPE"), "n");
	CU_ASSERT_PTR_NULL(kconfig_get(&none, "CONFIG_A"));
}

UNIT_SUITE(bpf_features)
{
	UNIT_TEST(s, kconfig_values);
	UNIT_TEST(s, probe_matches_this_kernel);
	UNIT_TEST(s, unprivileged_says_needs_root);
}
