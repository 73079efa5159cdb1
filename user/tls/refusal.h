/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Why an mTLS handshake was refused. The proxy counts refusals by this
 * enum and `maps`/status print tls_refusal_name(): the values are stable,
 * a retired one is never renumbered, new ones go before TLS_R__COUNT.
 */
#ifndef IM_TLS_REFUSAL_H
#define IM_TLS_REFUSAL_H

enum tls_refusal {
	TLS_R_NONE = 0,		/* not refused (yet) */
	TLS_R_OTHER_CA,		/* peer chain does not lead to our roots */
	TLS_R_EXPIRED,		/* a certificate of the chain has expired */
	TLS_R_NOT_YET_VALID,	/* ... or is not valid yet */
	TLS_R_TRUST_DOMAIN,	/* client has no SPIFFE SAN in our trust domain */
	TLS_R_SAN_MISMATCH,	/* server's SPIFFE ID is not the expected one */
	TLS_R_NO_SPIFFE_ID,	/* peer leaf has no parseable spiffe:// URI SAN */
	TLS_R_NO_CLIENT_CERT,	/* client sent no certificate */
	TLS_R_BAD_USAGE,	/* EKU present without clientAuth/serverAuth */
	TLS_R_VERSION,		/* peer speaks TLS below 1.3 */
	TLS_R_NO_ALPN_H2,	/* client offered ALPN without "h2" */
	TLS_R_NO_SHARED_PARAMS,	/* no common cipher suite, group or signature */
	TLS_R_TIMEOUT,		/* handshake did not finish in time */
	TLS_R_GARBAGE,		/* bytes that are not TLS records */
	TLS_R_TRUNCATED,	/* peer closed in the middle of the handshake */
	TLS_R_PEER_ALERT,	/* the peer refused us (alert received) */
	TLS_R_BAD_CERT,		/* unusable certificate (bad signature, ...) */
	TLS_R_INTERNAL,		/* our side failed (memory, I/O error) */
	TLS_R__COUNT
};

/* Short stable name ("other_ca", "expired", ...) for counters and views;
 * "unknown" for a value out of range. */
const char *tls_refusal_name(enum tls_refusal r);

#endif
