// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture_fix.h"

int capfix_listen(__u32 ip, __u16 port, __u16 *port_out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = port,
				  .sin_addr.s_addr = ip };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 2048) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (port_out)
		*port_out = sa.sin_port;
	return fd;
}

int capfix_accept_all(int fd)
{
	uint64_t until = dp_now_ms() + 1000;
	int n = 0, c;

	while (fd >= 0 && n < 100000) {
		c = accept(fd, NULL, NULL);
		if (c >= 0) {
			close(c);
			n++;
			continue;
		}
		if (n || dp_now_ms() > until)
			break;
		usleep(1000);
	}
	return n;
}

static void put_ident(struct dp *dp, const struct cgroup_tmp *cg, __u32 src)
{
	struct im_ident id = { .principal = CAPFIX_PRINC, .ns = CAPFIX_NS,
			       .ip = src };
	struct im_idlvl lv = { .n = 1 };
	int lvl = cgroup2_level(cg->path);

	CHECK_EQ(dp_put_ident(dp, 0, cgroup_tmp_id(cg), &id), 0,
		 "identity of the pod cgroup");
	if (!CHECK_EQ(lvl > 0, 1, "level of %s", cg->path))
		return;
	lv.level[0] = (__u8)lvl;
	CHECK_EQ(dp_put_idlvl(dp, 0, &lv), 0, "identity levels");
}

void capfix_tables(struct dp *dp, const struct cgroup_tmp *cg, __u32 vip,
		   __u16 vport, __u32 ep_ip, __u16 ep_port, __u32 src,
		   __u8 mode, bool ident)
{
	struct im_svc svc = { .svc_id = 42, .route = 0 };
	struct im_route rt = { .n_dst = 1, .dst = { { .subset = 0,
						       .weight = 1 } } };
	struct im_subset sub = { .n_ep = 1, .cluster = 1 };
	struct im_ep ep = { .ip = ep_ip, .port = ep_port, .weight = 1,
			    .slot = CAPFIX_SLOT };
	struct im_wlport wp = { .mode = mode };

	CHECK_EQ(dp_put_route(dp, 0, 0, &rt), 0, "route 0");
	CHECK_EQ(dp_put_subset(dp, 0, 0, &sub, &ep), 0, "subset 0");
	CHECK_EQ(dp_put_service(dp, 0, vip, vport, &svc), 0, "service");
	CHECK_EQ(dp_put_wlport(dp, 0, ep_ip, ep_port, &wp), 0,
		 "the endpoint's workload port");
	if (ident)
		put_ident(dp, cg, src);
}
