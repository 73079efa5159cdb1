// SPDX-License-Identifier: Apache-2.0
/*
 * `infermesh uninstall` (and `infermesh agent --uninstall`): everything
 * the agents put on the node goes, under the node lock so that it never
 * pulls the hooks from under a running agent. The kernel side is
 * user/dataplane/uninstall.c; here the state dir: the names for
 * `infermesh maps`, the last good versions, the built-in CA, the kernel
 * features found, the lock file.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../dataplane/uninstall.h"
#include "../kernel/bpf_load.h"
#include "../tls/ca.h"
#include "agent.h"
#include "featcache.h"
#include "lock.h"

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *f)
{
	return remove(path) && errno != ENOENT ? -1 : 0;
}

/* What the agent writes in <dir>, then <dir> itself if that empties it.
 * Returns whether <dir> is gone. */
static bool clean_state(const char *dir)
{
	static const char *const files[] = {
		"names.0.json", "names.1.json", FEATCACHE_FILE,
		AGENT_LOCK_FILE,
	};
	char path[PATH_MAX + 32];
	size_t i;

	snprintf(path, sizeof(path), "%s/lastgood", dir);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	/* the built-in CA (a --ca-dir CA lives elsewhere and stays) */
	snprintf(path, sizeof(path), "%s/" CA_BUILTIN_SUBDIR, dir);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	return !rmdir(dir) || errno == ENOENT;
}

int agent_uninstall(const struct agent_opts *o)
{
	struct dp_uninstall_report r;
	struct node_lock l;
	struct dp_paths p;
	char who[128];
	bool state_gone;
	int err;

	/* quiet: libbpf complains of every interface without clsact */
	bpf_log_init(o->verbose);
	snprintf(who, sizeof(who), "infermesh uninstall %s", o->node);
	/* the cgroup root plays no part: the links say where they are */
	err = dp_paths_resolve(&p, o->node, o->pin_root, o->state_dir, "/");
	if (err) {
		fprintf(stderr, "%s: %s\n", who, strerror(-err));
		return err;
	}
	err = node_lock(&l, &p, false, who);
	if (err)
		return err;
	err = dp_uninstall(p.pin_root, &r);
	state_gone = clean_state(p.state_dir);
	node_unlock(&l);
	printf("%s: %u cgroup links detached, %u guards removed (%u clsact "
	       "qdiscs), %u pins removed from %s%s; state dir %s %s\n", who,
	       r.links, r.guards, r.qdiscs, r.pins, p.pin_root,
	       r.left ? " (some entries left: not infermesh's)" : "",
	       p.state_dir, state_gone ? "removed" : "kept (not empty)");
	if (err)
		fprintf(stderr, "%s: not everything could be removed: %s\n",
			who, strerror(-err));
	return err;
}
