// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's side of the guard follower: hooks are the dataplane's
 * guards (links_dp_ops), decisions go to the log, and the follower's
 * netlink socket is one more source of the event loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../dataplane/links.h"
#include "guards.h"
#include "mtls.h"

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
	mtls_links_changed(a);	/* a pod's link came or went */
}

int guards_start(struct agent *a)
{
	struct links_opts o = {
		.wants = a->o.guards, .n_wants = a->o.n_guards,
		.routes = !a->o.no_route_guards,
		.ops = { .log = hook_log, .log_ctx = a },
	};
	int err;

	links_dp_ops(&o.ops, &a->dp);
	err = links_open(&a->links, &o);

	if (err) {
		agent_log(a, "following the links (rtnetlink) failed: %s",
			  strerror(-err));
		return err;
	}
	return loop_add(&a->loop, links_fd(a->links), on_links, a);
}

void guards_workloads(struct agent *a, const uint32_t *ips, size_t n,
		      bool all)
{
	int err;

	if (!a->links)
		return;
	err = all ? links_set_workloads(a->links, ips, n)
		  : links_add_workloads(a->links, ips, n);
	if (err)
		agent_log(a, "the local workloads for the guards: %s: the "
			  "guards attached stay", strerror(-err));
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
