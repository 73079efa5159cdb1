/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Removing infermesh from a node: the explicit opposite of the agent,
 * which never detaches on its own (a stopped or crashed agent leaves the
 * programs enforcing the last tables for the next one to adopt).
 */
#ifndef IM_DATAPLANE_UNINSTALL_H
#define IM_DATAPLANE_UNINSTALL_H

struct dp_uninstall_report {
	unsigned int links;	/* cgroup links detached */
	unsigned int guards;	/* tc filters and XDP programs removed */
	unsigned int qdiscs;	/* clsact qdiscs left empty, removed */
	unsigned int pins;	/* pinned maps and links removed */
	unsigned int left;	/* pins it could not remove */
};

/*
 * Detaches and unpins the cgroup links pinned under <pin_root>/links;
 * removes infermesh's tc filters and XDP programs from every interface of
 * this network namespace (recognised by program name, tc handle and
 * priority; anyone else's stay) and a clsact qdisc left with no filter;
 * unpins every infermesh map (im_*) under <pin_root>, then removes the
 * links directory and <pin_root> when empty. A missing <pin_root> is not
 * an error. The programs go once nothing holds them. Goes on past
 * failures; returns 0 or the first -errno.
 */
int dp_uninstall(const char *pin_root, struct dp_uninstall_report *r);

#endif
