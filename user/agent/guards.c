// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's side of the guard follower: hooks are the dataplane's
 * guards (dp_guard_attach on an ifindex), decisions go to the log, and
 * the follower's netlink socket is one more source of the event loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dataplane/links.h"
#include "guards.h"

static int hook_attach(void *ctx, int ifindex, enum dp_guard_kind k)
{
	struct dp_guard g = { .ifindex = ifindex, .kind = k };
	const struct agent *a = ctx;

	return dp_guard_attach(&a->dp, &g);
}

static int hook_detach(void *ctx, int ifindex, enum dp_guard_kind k)
{
	struct dp_guard g = { .ifindex = ifindex, .kind = k,
			      .attached = true };

	dp_guard_detach(&g);
	return 0;
}

static bool hook_owned(void *ctx, int ifindex, enum dp_guard_kind k)
{
	return dp_guard_present(ifindex, k);
}

static int hook_clsact_remove(void *ctx, int ifindex)
{
	return dp_guard_clsact_remove(ifindex);
}

static void hook_log(void *ctx, const char *line)
{
	agent_log(ctx, "%s", line);
}

static void on_links(void *ctx, int fd)
{
	struct agent *a = ctx;
	int err = links_on_events(a->links);

	if (err)
		agent_log(a, "reading link events failed (%s): the guards "
			  "attached stay", strerror(-err));
}

int guards_start(struct agent *a)
{
	struct links_opts o = {
		.wants = a->o.guards, .n_wants = a->o.n_guards,
		.routes = !a->o.no_route_guards,
		.ops = { .attach = hook_attach, .detach = hook_detach,
			 .owned = hook_owned,
			 .clsact_remove = hook_clsact_remove,
			 .log = hook_log, .ctx = a },
	};
	int err = links_open(&a->links, &o);

	if (err) {
		agent_log(a, "following the links (rtnetlink) failed: %s",
			  strerror(-err));
		return err;
	}
	return loop_add(&a->loop, links_fd(a->links), on_links, a);
}

void guards_workloads(struct agent *a, const struct model *m)
{
	uint32_t *ips;
	size_t n;
	int err;

	if (!a->links)
		return;
	err = ct_local_addrs(m, a->o.node, &ips, &n);
	err = err ?: links_set_workloads(a->links, ips, n);
	if (err)
		agent_log(a, "the local workloads for the guards: %s: the "
			  "guards attached stay", strerror(-err));
	free(ips);
}

void guards_detach(struct agent *a)
{
	if (a->links)
		links_detach_all(a->links);
}

void guards_close(struct agent *a)
{
	if (!a->links)
		return;
	loop_del(&a->loop, links_fd(a->links));
	links_close(a->links);
	a->links = NULL;
}
