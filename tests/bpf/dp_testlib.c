// SPDX-License-Identifier: Apache-2.0
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp_testlib.h"

int dp_test_load(struct dp *dp, const struct dp_opts *o)
{
	struct dp_opts none = { 0 };
	int err = dp_load(dp, o ? o : &none);

	CHECK_EQ(err, 0, "loading the dataplane programs");
	return err;
}

void dp_test_drops(const struct dp *dp, uint64_t out[IM_DROP_MAX])
{
	CHECK_EQ(dp_get_drops(dp, out), 0, "reading im_drops_v2");
}

uint64_t dp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dp_listen(__u32 ip_host, int backlog, __u32 *ip, __u16 *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(ip_host) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	*ip = sa.sin_addr.s_addr;
	*port = sa.sin_port;
	return fd;
}
