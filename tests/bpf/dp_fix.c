// SPDX-License-Identifier: Apache-2.0
#include <string.h>
#include <unistd.h>

#include "dp_fix.h"

void dpfix_down(struct dpfix *f)
{
	int i;

	for (i = 0; i < DPFIX_LIS; i++)
		if (f->lfd[i] >= 0)
			close(f->lfd[i]);
	if (f->loaded)
		dp_destroy(&f->dp);
	cgroup_tmp_remove(&f->cg);
}

bool dpfix_up(struct dpfix *f, const char *cg_name, const struct dp_opts *o,
	      __u32 first_ip)
{
	char root[256];
	bool ok;
	int i;

	memset(f, 0, sizeof(*f));
	f->cg.fd = -1;
	for (i = 0; i < DPFIX_LIS; i++)
		f->lfd[i] = -1;
	if (!CHECK_EQ(cgroup2_root(root, sizeof(root)), 0, "cgroup2 mount") ||
	    !CHECK_EQ(cgroup_tmp_create(&f->cg, root, cg_name), 0,
		      "child cgroup under %s", root))
		return false;
	f->loaded = dp_test_load(&f->dp, o) == 0;
	ok = f->loaded && CHECK_EQ(dp_attach_cgroup(&f->dp, f->cg.fd), 0,
				   "attaching to the cgroup");
	for (i = 0; ok && i < DPFIX_LIS; i++) {
		f->ep[i] = (struct im_ep){ .weight = 1, .slot = i };
		f->lfd[i] = dp_listen(first_ip + i, 4096, &f->ep[i].ip,
				      &f->ep[i].port);
		ok = CHECK_EQ(f->lfd[i] >= 0, 1, "listener %d", i);
	}
	if (!ok)
		dpfix_down(f);
	return ok;
}
