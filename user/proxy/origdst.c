// SPDX-License-Identifier: Apache-2.0
/* Captured connections' records, by the peer's address (see origdst.h). */
#include <bpf/bpf.h>
#include <errno.h>

#include "origdst.h"

int origdst_take(int cap_fd, uint64_t netns, const struct sockaddr_in *peer,
		 struct im_capture *out)
{
	struct im_cap_key k = {
		.netns = netns,
		.ip = peer->sin_addr.s_addr,
		.port = peer->sin_port,
	};

	if (peer->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	return bpf_map_lookup_and_delete_elem(cap_fd, &k, out) ? -errno : 0;
}
