// SPDX-License-Identifier: Apache-2.0
/* Guards on interfaces (see guard.h). */
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>

#include "guard.h"

/* One tc filter of ours per hook: a fixed handle and priority, so a new
 * agent replaces the old one's filter instead of stacking a second. */
#define GUARD_TC_HANDLE 0x1a6
#define GUARD_TC_PRIO 0x1a6

static void tc_hook(const struct dp_guard *g, struct bpf_tc_hook *h)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = g->ifindex;
	h->attach_point = g->kind == DP_GUARD_TC_EGRESS ? BPF_TC_EGRESS
							: BPF_TC_INGRESS;
}

static int tc_attach(const struct dp *dp, const struct dp_guard *g)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO, .flags = BPF_TC_F_REPLACE,
		    .prog_fd = dp_tc_prog_fd(dp));
	struct bpf_tc_hook h;
	int err;

	tc_hook(g, &h);
	err = bpf_tc_hook_create(&h);	/* the clsact qdisc */
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&h, &opts);
}

static void tc_detach(const struct dp_guard *g)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO);
	struct bpf_tc_hook h;

	tc_hook(g, &h);
	bpf_tc_detach(&h, &opts);	/* the qdisc may serve others: kept
					 * (links.c removes it when empty) */
}

int dp_guard_attach(const struct dp *dp, struct dp_guard *g)
{
	int err;

	if (!g->ifindex)
		g->ifindex = (int)if_nametoindex(g->name);
	if (!g->ifindex)
		return -errno;
	if (g->kind == DP_GUARD_XDP)
		err = bpf_xdp_attach(g->ifindex, dp_xdp_prog_fd(dp), 0, NULL);
	else
		err = tc_attach(dp, g);
	if (!err)
		g->attached = true;
	return err;
}

void dp_guard_detach(struct dp_guard *g)
{
	if (!g->attached)
		return;
	if (g->kind == DP_GUARD_XDP)
		bpf_xdp_detach(g->ifindex, 0, NULL);
	else
		tc_detach(g);
	g->attached = false;
}

bool dp_guard_present(int ifindex, enum dp_guard_kind kind)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO);
	struct dp_guard g = { .ifindex = ifindex, .kind = kind };
	struct bpf_tc_hook h;

	if (kind == DP_GUARD_XDP)
		return false;
	tc_hook(&g, &h);
	return !bpf_tc_query(&h, &opts);
}

int dp_guard_clsact_remove(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_destroy(&h);
}
