// SPDX-License-Identifier: Apache-2.0
/*
 * What outlives the agent, under its pin root (one per node, so two agents
 * in two network namespaces share nothing):
 *   <root>/im_*            every dataplane map: tables of both generations,
 *                          endpoint state, per-socket records, counters
 *   <root>/links/<prog>    the cgroup links: a killed agent's programs stay
 *                          attached and keep balancing and policing with
 *                          the maps above
 * A new agent loads its programs against the pinned maps (adopting their
 * contents: dp_load() with dp_opts.pin_root) and swaps them into the pinned
 * links in one step each.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "connect.skel.h"
#include "sockops.skel.h"
#include "agent_int.h"
#include "state.h"

#define BPFFS "/sys/fs/bpf"

static const char *const link_names[AGENT_N_LINKS] = {
	"connect4", "getpeername4", "sockops",
};

static int mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0700) && errno != EEXIST ? -errno : 0;
}

static int ensure_bpffs(const char *root)
{
	struct statfs st;

	if (strncmp(root, BPFFS "/", sizeof(BPFFS)))
		return 0;	/* elsewhere: the caller mounted it */
	if (!statfs(BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

/* Maps whose format changed took a new name (see dataplane.h); after an
 * upgrade the pins of their old names would stay behind, unused. Removing
 * a pin only drops its name: programs still holding the map keep it until
 * they are replaced. */
static const char *const retired_pins[] = {
	"im_ep", "im_ep_st", "im_sock", "im_clause", "im_member", "im_cidr",
	"im_route", "im_subset", "im_ep_v2",
};

static void unpin_retired(const struct agent *a)
{
	char path[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof(retired_pins) / sizeof(retired_pins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", a->pin_root,
			 retired_pins[i]);
		if (!unlink(path))
			agent_log(a, "removed the pin of retired map %s (its "
				  "format changed; see dataplane.h)",
				  retired_pins[i]);
	}
}

int pin_prepare(struct agent *a)
{
	char links[PATH_MAX + 16], cfg[PATH_MAX + 16];
	int err = ensure_bpffs(a->pin_root);

	if (err)
		return err;
	snprintf(links, sizeof(links), "%s/links", a->pin_root);
	snprintf(cfg, sizeof(cfg), "%s/im_cfg", a->pin_root);
	a->adopted = !access(cfg, F_OK);
	unpin_retired(a);
	err = mkdirs(links);
	return err ?: mkdirs(a->state_dir);
}

/* ---- cgroup links ---- */

static struct bpf_program *link_prog(const struct agent *a, int i)
{
	switch (i) {
	case 0:
		return a->dp.connect->progs.im_connect4;
	case 1:
		return a->dp.connect->progs.im_getpeername4;
	default:
		return a->dp.sockops->progs.im_sockops;
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
static struct bpf_link *adopt_link(struct agent *a, int i, const char *path)
{
	struct bpf_link *l = bpf_link__open(path);
	struct stat st;

	if (!l)
		return NULL;
	if (!fstat(a->cgroup_fd, &st) && link_cgroup(l) == st.st_ino &&
	    !bpf_link__update_program(l, link_prog(a, i)))
		return l;
	bpf_link__detach(l);
	bpf_link__unpin(l);
	bpf_link__destroy(l);
	return NULL;
}

static int attach_one(struct agent *a, int i)
{
	char path[PATH_MAX + 32];
	struct bpf_link *l;
	int err;

	snprintf(path, sizeof(path), "%s/links/%s", a->pin_root,
		 link_names[i]);
	l = adopt_link(a, i, path);
	if (l) {
		a->links[i] = l;
		return 0;
	}
	l = bpf_program__attach_cgroup(link_prog(a, i), a->cgroup_fd);
	if (!l)
		return -errno;
	a->links[i] = l;
	err = bpf_link__pin(l, path);
	return err < 0 ? err : 0;
}

int pin_attach(struct agent *a)
{
	int i, err = 0;

	for (i = 0; !err && i < AGENT_N_LINKS; i++)
		err = attach_one(a, i);
	return err;
}

void pin_detach(struct agent *a)
{
	int i;

	for (i = 0; i < AGENT_N_LINKS; i++) {
		if (!a->links[i])
			continue;
		bpf_link__detach(a->links[i]);
		bpf_link__unpin(a->links[i]);
		bpf_link__destroy(a->links[i]);
		a->links[i] = NULL;
	}
}
