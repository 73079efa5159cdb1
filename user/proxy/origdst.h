/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a captured connection was going: after accept() on a pod's
 * 127.0.0.1:15001 (inpod.h), the record connect4 made for the caller's
 * socket (struct im_capture: the address the application dialled, the
 * endpoint connect4 chose, the calling workload), published by sockops
 * in im_cap_v2 before the caller's SYN left (bpf/lib/capture.h).
 */
#ifndef IM_PROXY_ORIGDST_H
#define IM_PROXY_ORIGDST_H

#include <netinet/in.h>
#include <stdint.h>

#include "infermesh/dataplane.h"

/* Takes the record of the connection accepted from <peer> on a capture
 * listener in namespace <netns> (its cookie) out of map <cap_fd>
 * (im_cap_v2): each record is taken once. -ENOENT when there is none (not
 * captured, or the table was full): the caller must refuse the
 * connection, never carry it anywhere. Returns 0 or -errno. */
int origdst_take(int cap_fd, uint64_t netns, const struct sockaddr_in *peer,
		 struct im_capture *out);

#endif
