// SPDX-License-Identifier: Apache-2.0
/* Removing infermesh from a node (see uninstall.h). */
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "rtnl.h"
#include "uninstall.h"

static int first_err(int err, int now)
{
	return err ?: (now < 0 ? now : 0);
}

/* Every link pinned in <dir>: detached, then unpinned. */
static int remove_links(const char *dir, struct dp_uninstall_report *r)
{
	char path[PATH_MAX + 300];
	struct bpf_link *l;
	struct dirent *e;
	int err = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		l = bpf_link__open(path);
		if (!l) {
			err = first_err(err, -errno);
			continue;
		}
		err = first_err(err, bpf_link__detach(l));
		r->links++;
		bpf_link__destroy(l);
		if (unlink(path))
			err = first_err(err, -errno);
		else
			r->pins++;
	}
	closedir(d);
	return err;
}

/* Our maps' pins in <root>: the im_* entries that are not directories. */
static int remove_pins(const char *root, struct dp_uninstall_report *r)
{
	char path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d = opendir(root);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "im_", 3) || e->d_type == DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
		if (unlink(path))
			r->left++;
		else
			r->pins++;
	}
	closedir(d);
	return 0;
}

static int clsact_if_empty(struct rtnl *rt, int ifindex,
			   struct dp_uninstall_report *r)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int in = rtnl_tc_filters(rt, ifindex, TC_H_MAKE(TC_H_CLSACT,
							TC_H_MIN_INGRESS));
	int out = rtnl_tc_filters(rt, ifindex, TC_H_MAKE(TC_H_CLSACT,
							 TC_H_MIN_EGRESS));

	if (in || out)
		return in < 0 ? in : out < 0 ? out : 0;
	if (bpf_tc_hook_destroy(&h))
		return 0;	/* there was none */
	r->qdiscs++;
	return 0;
}

/* Our guards on one interface; its clsact too when we leave it empty. */
static int remove_guards_on(struct rtnl *rt, int ifindex,
			    struct dp_uninstall_report *r)
{
	enum dp_guard_kind k;
	int err = 0, n, tc = 0;

	for (k = DP_GUARD_TC_INGRESS; k <= DP_GUARD_XDP; k++) {
		n = dp_guard_remove(ifindex, k);
		err = first_err(err, n);
		r->guards += n > 0;
		tc += n > 0 && k != DP_GUARD_XDP;
	}
	if (tc && rt)
		err = first_err(err, clsact_if_empty(rt, ifindex, r));
	return err;
}

static int remove_guards(struct dp_uninstall_report *r)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	struct rtnl *rt = NULL;
	int err = 0;

	if (!ifs)
		return -errno;
	if (rtnl_open(&rt))
		rt = NULL;	/* then clsact qdiscs stay */
	for (i = ifs; i->if_index; i++)
		err = first_err(err, remove_guards_on(rt, (int)i->if_index, r));
	if (rt)
		rtnl_close(rt);
	if_freenameindex(ifs);
	return err;
}

int dp_uninstall(const char *pin_root, struct dp_uninstall_report *r)
{
	char links[PATH_MAX + 16];
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(links, sizeof(links), "%s/links", pin_root);
	err = remove_links(links, r);
	err = first_err(err, remove_guards(r));
	err = first_err(err, remove_pins(pin_root, r));
	if (rmdir(links) && errno != ENOENT)
		r->left++;
	if (rmdir(pin_root) && errno != ENOENT)
		r->left++;
	return err;
}
