// SPDX-License-Identifier: Apache-2.0
/* Guards on interfaces (see guard.h). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"

/* One tc filter of ours per hook: a fixed handle and priority, so a new
 * agent replaces the old one's filter instead of stacking a second. */
#define GUARD_TC_HANDLE 0x1a6
#define GUARD_TC_PRIO 0x1a6

/* The programs' names in bpf/tc_guard.bpf.c and bpf/xdp_guard.bpf.c. */
#define GUARD_TC_NAME "im_tc_guard"
#define GUARD_XDP_NAME "im_xdp_guard"

static void tc_hook(int ifindex, enum dp_guard_kind kind,
		    struct bpf_tc_hook *h)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = kind == DP_GUARD_TC_EGRESS ? BPF_TC_EGRESS
						     : BPF_TC_INGRESS;
}

/* An fd on program <id> when it is named <name>, else -1. */
static int prog_named(__u32 id, const char *name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    !strcmp(info.name, name))
		return fd;
	close(fd);
	return -1;
}

static int tc_attach(const struct dp *dp, const struct dp_guard *g)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO, .flags = BPF_TC_F_REPLACE,
		    .prog_fd = dp_tc_prog_fd(dp));
	struct bpf_tc_hook h;
	int err;

	tc_hook(g->ifindex, g->kind, &h);
	err = bpf_tc_hook_create(&h);	/* the clsact qdisc */
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&h, &opts);
}

/* Attaches where nothing is, or replaces our own program (an earlier
 * agent's) in one step; the kernel checks that the program it replaces
 * is still that one. Anyone else's program: -EBUSY. */
static int xdp_attach(const struct dp *dp, const struct dp_guard *g)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	__u32 cur = 0;
	int err = bpf_xdp_query_id(g->ifindex, 0, &cur);

	if (err)
		return err;
	if (!cur)
		return bpf_xdp_attach(g->ifindex, dp_xdp_prog_fd(dp),
				      XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	o.old_prog_fd = prog_named(cur, GUARD_XDP_NAME);
	if (o.old_prog_fd < 0)
		return -EBUSY;
	err = bpf_xdp_attach(g->ifindex, dp_xdp_prog_fd(dp), XDP_FLAGS_REPLACE,
			     &o);
	close(o.old_prog_fd);
	return err;
}

int dp_guard_attach(const struct dp *dp, struct dp_guard *g)
{
	int err;

	if (!g->ifindex)
		g->ifindex = (int)if_nametoindex(g->name);
	if (!g->ifindex)
		return -errno;
	if (g->kind == DP_GUARD_XDP)
		err = xdp_attach(dp, g);
	else
		err = tc_attach(dp, g);
	if (!err)
		g->attached = true;
	return err;
}

void dp_guard_detach(struct dp_guard *g)
{
	if (g->attached)
		dp_guard_remove(g->ifindex, g->kind);
	g->attached = false;
}

long dp_guard_find(int ifindex, enum dp_guard_kind kind)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO);
	struct bpf_tc_hook h;
	__u32 id = 0;
	int err, fd;

	if (kind == DP_GUARD_XDP) {
		err = bpf_xdp_query_id(ifindex, 0, &id);
	} else {
		tc_hook(ifindex, kind, &h);
		err = bpf_tc_query(&h, &opts);
		id = opts.prog_id;
		if (err == -ENOENT || err == -EINVAL)
			return 0;	/* no such filter, or no clsact */
	}
	if (err)
		return err;
	fd = id ? prog_named(id, kind == DP_GUARD_XDP ? GUARD_XDP_NAME
						      : GUARD_TC_NAME)
		: -1;
	if (fd < 0)
		return 0;
	close(fd);
	return id;
}

int dp_guard_check(int ifindex, enum dp_guard_kind kind)
{
	__u32 cur = 0;
	long ours;
	int err;

	if (kind != DP_GUARD_XDP)
		return 0;
	err = bpf_xdp_query_id(ifindex, 0, &cur);
	if (err || !cur)
		return err;
	ours = dp_guard_find(ifindex, kind);
	return ours < 0 ? (int)ours : ours == cur ? 0 : -EBUSY;
}

int dp_guard_remove(int ifindex, enum dp_guard_kind kind)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_TC_HANDLE,
		    .priority = GUARD_TC_PRIO);
	LIBBPF_OPTS(bpf_xdp_attach_opts, xo);
	long id = dp_guard_find(ifindex, kind);
	struct bpf_tc_hook h;
	int err;

	if (id <= 0)
		return (int)id;
	if (kind != DP_GUARD_XDP) {	/* the qdisc may serve others */
		tc_hook(ifindex, kind, &h);
		return bpf_tc_detach(&h, &opts) ?: 1;
	}
	/* only if it is still ours: the kernel compares */
	xo.old_prog_fd = bpf_prog_get_fd_by_id((__u32)id);
	if (xo.old_prog_fd < 0)
		return 0;	/* gone meanwhile */
	err = bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE, &xo);
	close(xo.old_prog_fd);
	return err ?: 1;
}

bool dp_guard_present(int ifindex, enum dp_guard_kind kind)
{
	return kind != DP_GUARD_XDP && dp_guard_find(ifindex, kind) > 0;
}

int dp_guard_clsact_remove(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_destroy(&h);
}
