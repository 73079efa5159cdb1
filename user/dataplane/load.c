// SPDX-License-Identifier: Apache-2.0
/* Opening, loading and attaching the dataplane skeletons: the first object
 * creates (or, with a pin root, adopts) the maps, the others are handed the
 * same fds before they load. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "connect.skel.h"
#include "dataplane.h"
#include "outcome.skel.h"
#include "recount.skel.h"
#include "sockops.skel.h"
#include "tc_guard.skel.h"
#include "xdp_guard.skel.h"

#define DP_DEFAULT_MAX_EJECT_NS (300ULL * 1000 * 1000 * 1000)

/* The rodata fields are the same in every object (bpf/lib/config.h). */
#define DP_SET_RODATA(skel, o) do { \
	(skel)->rodata->im_node_id = (o)->node_id; \
	(skel)->rodata->im_max_eject_ns = (o)->max_eject_ns ? \
		(o)->max_eject_ns : DP_DEFAULT_MAX_EJECT_NS; \
	(skel)->rodata->im_mtls = (o)->mtls || (o)->capture; \
	(skel)->rodata->im_agent_mark = (o)->agent_mark; \
	(skel)->rodata->im_capture = (o)->capture; \
} while (0)

/* Makes every map of <obj> the already created map of the same name in
 * <owner>. */
static int dp_share_maps(struct bpf_object *obj, struct bpf_object *owner)
{
	struct bpf_map *m, *src;
	int err;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;	/* .rodata and friends stay private */
		src = bpf_object__find_map_by_name(owner, bpf_map__name(m));
		if (!src)
			return -ENOENT;
		err = bpf_map__reuse_fd(m, bpf_map__fd(src));
		if (err)
			return err;
	}
	return 0;
}

/* Gives every map of <obj> the pin path <root>/<name>, so that load adopts
 * a map pinned there (an earlier agent's state) or pins the new one. */
static int dp_set_pins(struct bpf_object *obj, const char *root)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int err, n;

	if (!root)
		return 0;
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;	/* .rodata and friends stay private */
		n = snprintf(path, sizeof(path), "%s/%s", root,
			     bpf_map__name(m));
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return err;
	}
	return 0;
}

/* Opens, configures and loads one skeleton into dp-><field>; with an
 * <owner> its maps become the owner's. */
#define DP_OPEN_LOAD(field, type, o, owner) ({ \
	int __err = -ENOMEM; \
	dp->field = type##__open(); \
	if (dp->field) { \
		DP_SET_RODATA(dp->field, o); \
		__err = dp_set_pins(dp->field->obj, (o)->pin_root); \
		if (!__err && (owner)) \
			__err = dp_share_maps(dp->field->obj, owner); \
		if (!__err) \
			__err = type##__load(dp->field); \
	} \
	__err; })

int dp_load(struct dp *dp, const struct dp_opts *o)
{
	struct bpf_object *owner;
	int err;

	memset(dp, 0, sizeof(*dp));
	err = DP_OPEN_LOAD(connect, connect_bpf, o, NULL);
	if (err)
		goto fail;
	owner = dp->connect->obj;
	err = DP_OPEN_LOAD(sockops, sockops_bpf, o, owner);
	if (err)
		goto fail;
	err = DP_OPEN_LOAD(tc, tc_guard_bpf, o, owner);
	if (err)
		goto fail;
	err = DP_OPEN_LOAD(xdp, xdp_guard_bpf, o, owner);
	if (err)
		goto fail;
	err = DP_OPEN_LOAD(recount, recount_bpf, o, owner);
	if (err)
		goto fail;
	err = DP_OPEN_LOAD(outcome, outcome_bpf, o, owner);
	if (err)
		goto fail;
	return 0;
fail:
	dp_destroy(dp);
	return err < 0 ? err : -EINVAL;
}

bool dp_capture_on(const struct dp *dp)
{
	return dp->connect && dp->connect->rodata->im_capture;
}

void dp_destroy(struct dp *dp)
{
	while (dp->n_links > 0)
		bpf_link__destroy(dp->links[--dp->n_links]);
	outcome_bpf__destroy(dp->outcome);
	recount_bpf__destroy(dp->recount);
	xdp_guard_bpf__destroy(dp->xdp);
	tc_guard_bpf__destroy(dp->tc);
	sockops_bpf__destroy(dp->sockops);
	connect_bpf__destroy(dp->connect);
	memset(dp, 0, sizeof(*dp));
}

static int dp_link(struct dp *dp, struct bpf_program *prog, int cgroup_fd)
{
	struct bpf_link *l;

	if (dp->n_links >= DP_MAX_LINKS)
		return -ENOSPC;
	l = bpf_program__attach_cgroup(prog, cgroup_fd);
	if (!l)
		return -errno;
	dp->links[dp->n_links++] = l;
	return 0;
}

int dp_attach_cgroup(struct dp *dp, int cgroup_fd)
{
	int err;

	err = dp_link(dp, dp->connect->progs.im_connect4, cgroup_fd);
	if (!err)
		err = dp_link(dp, dp->connect->progs.im_getpeername4, cgroup_fd);
	if (!err)
		err = dp_link(dp, dp->sockops->progs.im_sockops, cgroup_fd);
	if (!err)	/* AF_INET6 sockets dialling v4-mapped addresses */
		err = dp_link(dp, dp->connect->progs.im_connect6, cgroup_fd);
	if (!err)
		err = dp_link(dp, dp->connect->progs.im_getpeername6, cgroup_fd);
	return err;
}

int dp_map_fd(const struct dp *dp, const char *name)
{
	struct bpf_map *m;

	if (!dp->connect)
		return -ENOENT;
	m = bpf_object__find_map_by_name(dp->connect->obj, name);
	return m ? bpf_map__fd(m) : -ENOENT;
}

int dp_tc_prog_fd(const struct dp *dp)
{
	return bpf_program__fd(dp->tc->progs.im_tc_guard);
}

int dp_xdp_prog_fd(const struct dp *dp)
{
	return bpf_program__fd(dp->xdp->progs.im_xdp_guard);
}

int dp_outcome_prog_fd(const struct dp *dp)
{
	return dp->outcome ? bpf_program__fd(dp->outcome->progs.im_outcome)
			   : -ENOENT;
}
