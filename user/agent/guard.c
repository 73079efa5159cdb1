// SPDX-License-Identifier: Apache-2.0
/*
 * The packet guards on the interfaces named on the command line: the tc
 * guard (ingress or egress of a workload's interface) and the XDP guard
 * (the node's interface). Both are attached through netlink, which keeps
 * them in place when the agent is killed; a restarted agent replaces them
 * in one step (same tc handle and priority, XDP replace), and a stopping
 * agent removes them.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "state.h"

/* One tc filter of ours per hook: a fixed handle and priority, so a new
 * agent replaces the old one's filter instead of stacking a second. */
#define GUARD_TC_HANDLE 0x1a6
#define GUARD_TC_PRIO 0x1a6

static void tc_hook(const struct agent_guard *g, struct bpf_tc_hook *h)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = g->ifindex;
	h->attach_point = g->kind == GUARD_TC_EGRESS ? BPF_TC_EGRESS
						     : BPF_TC_INGRESS;
}

static int tc_attach(const struct agent *a, const struct agent_guard *g)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO, .flags = BPF_TC_F_REPLACE,
		    .prog_fd = dp_tc_prog_fd(&a->dp));
	struct bpf_tc_hook h;
	int err;

	tc_hook(g, &h);
	err = bpf_tc_hook_create(&h);	/* the clsact qdisc */
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&h, &opts);
}

static void tc_detach(const struct agent_guard *g)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO);
	struct bpf_tc_hook h;

	tc_hook(g, &h);
	bpf_tc_detach(&h, &opts);	/* the qdisc may serve others: kept */
}

static int guard_attach(struct agent *a, struct agent_guard *g)
{
	int err;

	g->ifindex = (int)if_nametoindex(g->name);
	if (!g->ifindex)
		return -errno;
	if (g->kind == GUARD_XDP)
		err = bpf_xdp_attach(g->ifindex, dp_xdp_prog_fd(&a->dp), 0,
				     NULL);
	else
		err = tc_attach(a, g);
	if (!err)
		g->attached = true;
	return err;
}

int guards_attach(struct agent *a)
{
	size_t i;
	int err;

	for (i = 0; i < a->o.n_ifs; i++) {
		struct agent_guard *g = &a->guards[a->n_guards++];

		snprintf(g->name, sizeof(g->name), "%s", a->o.ifs[i]);
		g->kind = a->o.if_kind[i];
		err = guard_attach(a, g);
		if (err) {
			fprintf(stderr, "infermesh agent: guard on %s: %s\n",
				g->name, strerror(-err));
			return err;
		}
	}
	return 0;
}

void guards_detach(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->n_guards; i++) {
		struct agent_guard *g = &a->guards[i];

		if (!g->attached)
			continue;
		if (g->kind == GUARD_XDP)
			bpf_xdp_detach(g->ifindex, 0, NULL);
		else
			tc_detach(g);
		g->attached = false;
	}
	a->n_guards = 0;
}
