// SPDX-License-Identifier: Apache-2.0
#include "refusal.h"

static const char *const names[TLS_R__COUNT] = {
	[TLS_R_NONE] = "none",
	[TLS_R_OTHER_CA] = "other_ca",
	[TLS_R_EXPIRED] = "expired",
	[TLS_R_NOT_YET_VALID] = "not_yet_valid",
	[TLS_R_TRUST_DOMAIN] = "trust_domain",
	[TLS_R_SAN_MISMATCH] = "san_mismatch",
	[TLS_R_NO_SPIFFE_ID] = "no_spiffe_id",
	[TLS_R_NO_CLIENT_CERT] = "no_client_cert",
	[TLS_R_BAD_USAGE] = "bad_usage",
	[TLS_R_VERSION] = "tls_version",
	[TLS_R_NO_ALPN_H2] = "no_alpn_h2",
	[TLS_R_NO_SHARED_PARAMS] = "no_shared_params",
	[TLS_R_TIMEOUT] = "timeout",
	[TLS_R_GARBAGE] = "garbage",
	[TLS_R_TRUNCATED] = "truncated",
	[TLS_R_PEER_ALERT] = "peer_alert",
	[TLS_R_BAD_CERT] = "bad_cert",
	[TLS_R_INTERNAL] = "internal",
};

const char *tls_refusal_name(enum tls_refusal r)
{
	return (unsigned int)r < TLS_R__COUNT && names[r] ? names[r]
							  : "unknown";
}
