/* SPDX-License-Identifier: Apache-2.0 */
/*
 * X.509 SVIDs: per local workload identity an ECDSA P-256 key made here
 * (apps never see it) and a leaf signed by the mesh CA, shaped like the
 * certificates Istio issues for ztunnel's CSRs: empty subject, the SPIFFE
 * ID as the only SAN (a critical URI SAN), EKU serverAuth + clientAuth.
 */
#ifndef IM_TLS_SVID_H
#define IM_TLS_SVID_H

#include <time.h>

#include "ca.h"
#include "spiffe.h"

#define SVID_TTL_DEFAULT (24 * 3600)	/* Istio's SECRET_TTL */
/* Tests watch several rotations in seconds (tests/e2e/mesh_mtls_load.sh);
 * below this the renewal timer's one-second steps would be most of it */
#define SVID_TTL_MIN 4
/* notBefore lies this far back, so a peer whose clock is a little behind
 * ours does not see a certificate from the future */
#define SVID_BACKDATE 300

struct tls_svid {
	struct spiffe_id id;
	EVP_PKEY *key;
	X509 *leaf;
	time_t issued;		/* when we made it (notBefore + SVID_BACKDATE) */
	time_t not_after;
};

/* Makes a new key and a leaf for <id> valid from <now> - SVID_BACKDATE
 * to <now> + <ttl> seconds. Returns 0, -EINVAL for a ttl below
 * SVID_TTL_MIN, or -ENOMEM. */
int tls_svid_issue(struct tls_svid *out, const struct tls_ca *ca,
		   const struct spiffe_id *id, time_t now, unsigned int ttl);
/* Renewal time: half-life, as Istio and ztunnel rotate. */
time_t tls_svid_renew_at(const struct tls_svid *s);
void tls_svid_free(struct tls_svid *s);

#endif
