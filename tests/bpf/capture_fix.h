/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by test_capture.c and test_tleg.c: listeners, and the tables of
 * one service whose single endpoint is a workload port. Namespaces come
 * from dp_netns.h. */
#ifndef IM_TEST_CAPTURE_FIX_H
#define IM_TEST_CAPTURE_FIX_H

#include <stdbool.h>
#include <linux/types.h>

#include "dp_netns.h"
#include "dp_pkt.h"
#include "dp_testlib.h"
#include "kernel/cgroup.h"
#include "proxy/inpod.h"

#define CAPFIX_PRINC 9		/* the caller's principal and namespace ids */
#define CAPFIX_NS 3
#define CAPFIX_SLOT 5		/* the endpoint's im_ep_state slot */

/* Listens (non-blocking) on <ip>:<port> (network order; port 0: any) in
 * the caller's namespace; the port taken goes to *<port_out>. Returns the
 * fd or -errno. */
int capfix_listen(__u32 ip, __u16 port, __u16 *port_out);
/* Accepts and closes what <fd> has queued, waiting up to a second for the
 * first one only while <fd> is empty. Returns how many. */
int capfix_accept_all(int fd);

/* <vip>:<vport> -> one endpoint <ep>:<ep_port> in slot CAPFIX_SLOT; that
 * port a workload port of <mode>; with <ident>, <cg> is a workload
 * (CAPFIX_PRINC, CAPFIX_NS) at address <src>. All network order. */
void capfix_tables(struct dp *dp, const struct cgroup_tmp *cg, __u32 vip,
		   __u16 vport, __u32 ep, __u16 ep_port, __u32 src, __u8 mode,
		   bool ident);

#endif
