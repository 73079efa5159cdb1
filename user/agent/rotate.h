/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SVID rotation (--mtls): a timer in the loop, armed at the earliest
 * renewal of the SVID store (tls_idents_next_renewal()), renews what is
 * due (tls_idents_rotate(): new handshakes take the new SVID, connections
 * keep theirs) and is armed again. SVIDs are issued on first use by the
 * proxy's workers, so the timer also looks again at least every
 * ROTATE_RECHECK_S; one that failed to renew is retried after
 * ROTATE_RETRY_S (it keeps its current SVID meanwhile).
 */
#ifndef IM_AGENT_ROTATE_H
#define IM_AGENT_ROTATE_H

#include <stdbool.h>
#include <time.h>

#define ROTATE_RECHECK_S 30
#define ROTATE_RETRY_S 5

struct agent;

/* Pure: when to look next, for the earliest renewal <next> (0: none)
 * seen at <now>; <after_rotate>: right after renewing what was due, so
 * what is still due failed (then not before ROTATE_RETRY_S). */
time_t rotate_arm_at(time_t next, time_t now, bool after_rotate);

/* Registers the timer in the loop and arms it. Returns 0 or -errno. */
int rotate_init(struct agent *a);
void rotate_close(struct agent *a);

#endif
