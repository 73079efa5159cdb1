/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a node's dataplane lives on this machine, and the defaults every
 * command shares (the agent, `infermesh maps`, `infermesh uninstall`):
 *   pin root    /sys/fs/bpf/infermesh/NODE   maps and links (bpffs)
 *   state dir   /run/infermesh/NODE          names, last good versions
 *   cgroup root the cgroup v2 mount          where the programs attach
 */
#ifndef IM_DATAPLANE_PATHS_H
#define IM_DATAPLANE_PATHS_H

#include <limits.h>

#define IM_PIN_BASE "/sys/fs/bpf/infermesh"
#define IM_STATE_BASE "/run/infermesh"

struct dp_paths {
	char pin_root[PATH_MAX];
	char state_dir[PATH_MAX];
	char cgroup_root[PATH_MAX];
};

/*
 * Fills <p> for node <node>: each of <pin_root>, <state_dir> and
 * <cgroup_root> given (non-NULL) is taken as is, the others get their
 * defaults. Returns 0, -ENAMETOOLONG, or -ENOENT when no cgroup v2 is
 * mounted and none was given.
 */
int dp_paths_resolve(struct dp_paths *p, const char *node,
		     const char *pin_root, const char *state_dir,
		     const char *cgroup_root);

#endif
