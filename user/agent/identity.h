/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's mesh CA and workload SVIDs (user/tls/): opened at start,
 * before anything is attached, so an unusable CA stops the agent with the
 * file and the fix named instead of a mesh that cannot handshake. */
#ifndef IM_AGENT_IDENTITY_H
#define IM_AGENT_IDENTITY_H

struct agent;

/* --ca-dir DIR, else the built-in CA in <state-dir>/ca (created on first
 * start); then an empty SVID store (SVIDs are issued on first use).
 * Returns 0 or -errno. */
int agent_identity_open(struct agent *a);
void agent_identity_close(struct agent *a);

#endif
