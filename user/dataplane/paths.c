// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>

#include "../kernel/cgroup.h"
#include "paths.h"

/* <given>, else <base>/<node>, into <buf>. */
static int pick(char *buf, size_t n, const char *given, const char *base,
		const char *node)
{
	int len = given ? snprintf(buf, n, "%s", given)
			: snprintf(buf, n, "%s/%s", base, node);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

int dp_paths_resolve(struct dp_paths *p, const char *node,
		     const char *pin_root, const char *state_dir,
		     const char *cgroup_root)
{
	int err = pick(p->pin_root, sizeof(p->pin_root), pin_root,
		       IM_PIN_BASE, node);

	err = err ?: pick(p->state_dir, sizeof(p->state_dir), state_dir,
			  IM_STATE_BASE, node);
	if (err || !cgroup_root)
		return err ?: cgroup2_root(p->cgroup_root,
					   sizeof(p->cgroup_root));
	return pick(p->cgroup_root, sizeof(p->cgroup_root), cgroup_root,
		    NULL, NULL);
}
