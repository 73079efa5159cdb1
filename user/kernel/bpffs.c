// SPDX-License-Identifier: Apache-2.0
#include <linux/magic.h>
#include <sys/statfs.h>

#include "bpffs.h"

bool bpffs_at(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}
