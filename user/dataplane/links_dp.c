// SPDX-License-Identifier: Apache-2.0
/* The guard follower's hooks are the dataplane's guards (guard.h). */
#include "links.h"

static int dp_attach(void *ctx, int ifindex, enum dp_guard_kind k)
{
	struct dp_guard g = { .ifindex = ifindex, .kind = k };

	return dp_guard_attach(ctx, &g);
}

static int dp_detach(void *ctx, int ifindex, enum dp_guard_kind k)
{
	struct dp_guard g = { .ifindex = ifindex, .kind = k,
			      .attached = true };

	dp_guard_detach(&g);
	return 0;
}

static bool dp_owned(void *ctx, int ifindex, enum dp_guard_kind k)
{
	return dp_guard_present(ifindex, k);
}

static int dp_clsact_remove(void *ctx, int ifindex)
{
	return dp_guard_clsact_remove(ifindex);
}

void links_dp_ops(struct links_ops *ops, const struct dp *dp)
{
	ops->attach = dp_attach;
	ops->detach = dp_detach;
	ops->owned = dp_owned;
	ops->clsact_remove = dp_clsact_remove;
	ops->ctx = (void *)dp;	/* dp_guard_attach takes it const */
}
