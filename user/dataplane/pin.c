// SPDX-License-Identifier: Apache-2.0
/* Pins under the pin root (see pin.h). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../kernel/bpffs.h"
#include "../kernel/cgroup.h"
#include "../util/dirs.h"
#include "connect.skel.h"
#include "pin.h"
#include "sockops.skel.h"

#define DP_N_CGROUP_LINKS 5

/* In link_prog()'s order. */
static const char *const link_names[DP_N_CGROUP_LINKS] = {
	"connect4", "getpeername4", "sockops", "connect6", "getpeername6",
};

static int ensure_bpffs(const char *root)
{
	if (strncmp(root, BPFFS_DIR "/", sizeof(BPFFS_DIR)))
		return 0;	/* elsewhere: the caller mounted it */
	if (bpffs_at(BPFFS_DIR))
		return 0;
	if (mount("bpf", BPFFS_DIR, "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

/* Maps whose format changed took a new name (see dataplane.h); after an
 * upgrade the pins of their old names would stay behind, unused. Removing
 * a pin only drops its name: programs still holding the map keep it until
 * they are replaced. */
static const char *const retired_pins[] = {
	"im_ep", "im_ep_st", "im_sock", "im_clause", "im_member", "im_cidr",
	"im_sock_ck", "im_drops", "im_route", "im_subset", "im_ep_v2",
	"im_cap", "im_cap_st",
};

_Static_assert(sizeof(retired_pins) / sizeof(retired_pins[0]) <=
	       DP_MAX_RETIRED, "dp_pin_report.retired holds them all");

static void unpin_retired(const char *root, struct dp_pin_report *r)
{
	char path[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof(retired_pins) / sizeof(retired_pins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, retired_pins[i]);
		if (!unlink(path))
			r->retired[r->n_retired++] = retired_pins[i];
	}
}

int dp_pin_root_open(const char *pin_root, char *why, size_t n)
{
	int err = ensure_bpffs(pin_root);

	if (err) {
		snprintf(why, n, "cannot mount bpffs at " BPFFS_DIR ": %s",
			 strerror(-err));
		return err;
	}
	return dir_open_private(pin_root, why, n);
}

int dp_pins_prepare(const char *pin_root, struct dp_pin_report *r)
{
	char links[PATH_MAX + 16], cfg[PATH_MAX + 16];

	memset(r, 0, sizeof(*r));
	snprintf(links, sizeof(links), "%s/links", pin_root);
	snprintf(cfg, sizeof(cfg), "%s/im_cfg", pin_root);
	r->adopted = !access(cfg, F_OK);
	unpin_retired(pin_root, r);
	return mkdirs(links, 0700);
}

/* ---- cgroup links ---- */

static struct bpf_program *link_prog(const struct dp *dp, int i)
{
	switch (i) {
	case 0:
		return dp->connect->progs.im_connect4;
	case 1:
		return dp->connect->progs.im_getpeername4;
	case 3:
		return dp->connect->progs.im_connect6;
	case 4:
		return dp->connect->progs.im_getpeername6;
	default:
		return dp->sockops->progs.im_sockops;
	}
}

static unsigned long long link_cgroup(const struct bpf_link *l)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len))
		return 0;
	return info.type == BPF_LINK_TYPE_CGROUP ? info.cgroup.cgroup_id : 0;
}

/* Gives a pinned link our program when it is attached where we attach;
 * otherwise detaches and unpins it. Returns it, or NULL. */
static struct bpf_link *adopt_link(const struct dp *dp, int i, int cgroup_fd,
				   const char *path)
{
	struct bpf_link *l = bpf_link__open(path);
	unsigned long long cg = cgroup_id_by_fd(cgroup_fd);

	if (!l)
		return NULL;
	if (cg && link_cgroup(l) == cg &&
	    !bpf_link__update_program(l, link_prog(dp, i)))
		return l;
	bpf_link__detach(l);
	bpf_link__unpin(l);
	bpf_link__destroy(l);
	return NULL;
}

static int attach_one(struct dp *dp, int i, int cgroup_fd, const char *root)
{
	char path[PATH_MAX + 32];
	struct bpf_link *l;
	int err;

	if (dp->n_links >= DP_MAX_LINKS)
		return -ENOSPC;
	snprintf(path, sizeof(path), "%s/links/%s", root, link_names[i]);
	l = adopt_link(dp, i, cgroup_fd, path);
	if (l) {
		dp->links[dp->n_links++] = l;
		return 0;
	}
	l = bpf_program__attach_cgroup(link_prog(dp, i), cgroup_fd);
	if (!l)
		return -errno;
	dp->links[dp->n_links++] = l;
	err = bpf_link__pin(l, path);
	return err < 0 ? err : 0;
}

int dp_cgroup_attach_pinned(struct dp *dp, int cgroup_fd,
			    const char *pin_root)
{
	int i, err = 0;

	for (i = 0; !err && i < DP_N_CGROUP_LINKS; i++)
		err = attach_one(dp, i, cgroup_fd, pin_root);
	return err;
}

void dp_cgroup_detach_pinned(struct dp *dp)
{
	while (dp->n_links > 0) {
		struct bpf_link *l = dp->links[--dp->n_links];

		bpf_link__detach(l);
		bpf_link__unpin(l);
		bpf_link__destroy(l);
	}
}
