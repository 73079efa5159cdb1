/* SPDX-License-Identifier: Apache-2.0 */
/* The SVIDs of this node's workloads, kept in step with the config. */
#ifndef IM_AGENT_SVIDS_H
#define IM_AGENT_SVIDS_H

#include "../model/model.h"

struct agent;

/* Issues an SVID for every identity of a workload of this node in <m>
 * that has none yet (ztunnel fetches certificates for its local
 * workloads as they appear: the first connection then costs no key
 * generation, and `proxy-config secrets` shows them), and forgets those
 * no local workload has any more (connections keep theirs). Failures are
 * logged; the proxy retries on first use. Returns how many local
 * identities hold an SVID. */
int agent_svids_sync(struct agent *a, const struct model *m);

#endif
