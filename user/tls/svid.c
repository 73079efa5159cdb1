// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>

#include "svid.h"
#include "x509_make.h"

int tls_svid_issue(struct tls_svid *out, const struct tls_ca *ca,
		   const struct spiffe_id *id, time_t now, unsigned int ttl)
{
	char uri[SPIFFE_URI_MAX];
	struct x509_spec s = {
		.uri_san = uri, .not_before = now - SVID_BACKDATE,
		.not_after = now + (time_t)ttl, .issuer = ca->cert,
		.issuer_key = ca->key,
	};

	memset(out, 0, sizeof(*out));
	if (ttl < SVID_TTL_MIN || spiffe_format(id, uri, sizeof(uri)) < 0)
		return -EINVAL;
	s.key = out->key = x509_p256_key();
	out->leaf = out->key ? x509_make(&s) : NULL;
	if (!out->leaf) {
		tls_svid_free(out);
		return -ENOMEM;
	}
	out->id = *id;
	out->issued = now;
	out->not_after = s.not_after;
	return 0;
}

time_t tls_svid_renew_at(const struct tls_svid *s)
{
	return s->issued + (s->not_after - s->issued) / 2;
}

void tls_svid_free(struct tls_svid *s)
{
	EVP_PKEY_free(s->key);
	X509_free(s->leaf);
	memset(s, 0, sizeof(*s));
}
