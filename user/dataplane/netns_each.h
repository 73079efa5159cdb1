/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network namespaces of the node, for work that the kernel scopes to
 * one namespace (a tcp iterator walks the sockets of the namespace it was
 * created in): every namespace a process is in, and every one /run/netns
 * names, each once.
 */
#ifndef IM_DATAPLANE_NETNS_EACH_H
#define IM_DATAPLANE_NETNS_EACH_H

/* <fn>(<nsfd>, <arg>) for each namespace; <nsfd> is closed after. A
 * nonzero result stops the walk and is returned; else 0, or -errno when
 * /proc cannot be read. Namespaces that vanish meanwhile are skipped. */
int netns_each(int (*fn)(int nsfd, void *arg), void *arg);

#endif
