/* SPDX-License-Identifier: Apache-2.0 */
/* TCP over 127.0.0.1 in the caller's network namespace: a listener on an
 * ephemeral port, and connected pairs to try socket features on. */
#ifndef IM_KERNEL_LOOPBACK_H
#define IM_KERNEL_LOOPBACK_H

#include <linux/types.h>

/* Listens on 127.0.0.1:0. Returns the fd and stores the port (host
 * order) in *port, or returns -errno. */
int loopback_listen(__u16 *port);

/* Connects to 127.0.0.1:<port>; returns the fd or -errno. */
int loopback_connect(__u16 port);

/* A connected pair: fds[0] the client, fds[1] the accepted server side.
 * Returns 0 or -errno (nothing left open on error). Receives time out
 * after a second, so a test never hangs on a lost byte. */
int loopback_pair(int fds[2]);

#endif
