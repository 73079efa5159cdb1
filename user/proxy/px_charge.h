/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A captured call's outcome, charged to the host connect4 chose for it in
 * the kernel's outlier state (bpf/outcome.bpf.c), so that ejection and
 * the connections counted per host mean the same on the mTLS path as on
 * the direct one, and connect4 skips what either path ejected.
 *
 * What counts, decided with Istio's semantics (outlierDetection): for TCP
 * only connect failures count, and a call's connect is, here, the whole
 * way to the workload: the tunnel's TCP connect and TLS handshake (the
 * peer must prove the endpoint's identity) and the CONNECT, which the
 * destination answers 200 only once its leg to the workload is up. So:
 *   - 200: a success (Envoy's LocalOriginConnectSuccessFinal): the
 *     consecutive count restarts, the host's connections go up by one;
 *   - no answer (refused, timed out, TLS refused, the tunnel or the
 *     stream gone first), or a non-200 other than 401/403: a local-origin
 *     failure (LocalOriginConnectFailed), as Envoy's tcp_proxy counts a
 *     tunnelled upstream whose CONNECT fails. 503 is the workload down
 *     (nothing listens, or its leg timed out), 400 an address the node no
 *     longer has: the host is not there. These feed the one counter the
 *     kernel has: consecutiveLocalOriginFailures with
 *     splitExternalLocalOriginErrors, else the lower of
 *     consecutive5xxErrors and consecutiveGatewayErrors (compile_lb.c);
 *     there are no HTTP responses on this path to count apart;
 *   - 401/403: the destination's policy refused this caller: the host
 *     is up and answered, but that is not a success of the call either.
 *     Charged neither way, or one denied caller could eject a host for
 *     every caller on the node, or keep a failing one in.
 * Failures of our own (no SVID, the pool full, no memory) charge nothing.
 * Each call is charged at most once, before its caller sees the end, so
 * a client that calls again after a failure meets the updated state.
 */
#ifndef IM_PROXY_PX_CHARGE_H
#define IM_PROXY_PX_CHARGE_H

#include <stdbool.h>
#include <stdint.h>

#include "infermesh/dataplane.h"

struct px_worker;

struct px_charge {
	uint32_t slot, epoch;
	bool armed;		/* balanced and not charged yet */
};

/* The result to charge for a CONNECT answered <status> (0: no answer):
 * enum im_outcome_result, or 0 for nothing. */
uint32_t px_charge_result(int status);

/* <c> is the call connect4 balanced as <cap> says (a call to a pod's
 * own address is not armed: no host was chosen). */
void px_charge_arm(struct px_charge *c, const struct im_capture *cap);

/* Charges <c>'s call once with the answer <status> (0: none came); any
 * later call does nothing. Counted in w->cnt. */
void px_charge_settle(struct px_worker *w, struct px_charge *c, int status);

#endif
