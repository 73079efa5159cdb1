// SPDX-License-Identifier: Apache-2.0
/* What HBONE needs from a TLS context and a finished handshake: ALPN "h2"
 * (and nothing else), and the peer's SPIFFE identity. */
#include <errno.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "hbone_int.h"

static const unsigned char alpn_h2[] = { 2, 'h', '2' };

/* Server: a client offering ALPN without h2 gets no_application_protocol;
 * one offering none is accepted (rustls does the same). */
static int select_h2(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		     const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, alpn_h2, sizeof(alpn_h2), in,
				  inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

int hbone_tls_alpn(SSL_CTX *ctx, bool server)
{
	if (server) {
		SSL_CTX_set_alpn_select_cb(ctx, select_h2, NULL);
		return 0;
	}
	/* 0 is success for this one */
	return SSL_CTX_set_alpn_protos(ctx, alpn_h2, sizeof(alpn_h2)) ? -EINVAL : 0;
}

/* spiffe://<td>/ns/<ns>/sa/<sa>: exactly five non-empty path segments. */
static bool spiffe_id(const char *s, size_t len)
{
	static const char pfx[] = "spiffe://";
	const char *p = s + sizeof(pfx) - 1, *end = s + len;
	const char *seg[5];
	size_t lens[5];
	int n = 0;

	if (len <= sizeof(pfx) - 1 || memcmp(s, pfx, sizeof(pfx) - 1) ||
	    memchr(s, '\0', len))
		return false;
	while (p <= end && n < 5) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *stop = slash ? slash : end;

		seg[n] = p;
		lens[n++] = (size_t)(stop - p);
		if (!slash)
			break;
		p = slash + 1;
		if (p == end)
			return false;	/* a trailing slash */
	}
	if (n != 5 || seg[4] + lens[4] != end)
		return false;
	for (n = 0; n < 5; n++)
		if (!lens[n])
			return false;
	return lens[1] == 2 && !memcmp(seg[1], "ns", 2) && lens[3] == 2 &&
	       !memcmp(seg[3], "sa", 2);
}

int hbone_tls_peer_id(SSL *ssl, char *buf, size_t n)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	GENERAL_NAMES *names;
	int i, r = -ENOENT;

	if (!cert)
		return -ENOENT;
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const char *v;
		size_t len;

		if (g->type != GEN_URI)
			continue;
		v = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		len = (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (!spiffe_id(v, len) || len >= n)
			continue;	/* ztunnel skips URIs it cannot parse */
		memcpy(buf, v, len);
		buf[len] = '\0';
		r = 0;
		break;
	}
	GENERAL_NAMES_free(names);
	return r;
}
