// SPDX-License-Identifier: Apache-2.0
/* What HBONE needs from a TLS context and a finished handshake: ALPN "h2"
 * (and nothing else), and the peer's SPIFFE identity. */
#include <errno.h>
#include <string.h>

#include "../tls/spiffe.h"
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

/* The identity as ztunnel takes it (the first URI SAN that parses), by
 * user/tls/spiffe.c's one parser. */
int hbone_tls_peer_id(SSL *ssl, char *buf, size_t n)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	struct spiffe_id id;

	if (!cert || spiffe_from_cert(cert, &id))
		return -ENOENT;
	return spiffe_format(&id, buf, n) < 0 ? -ENOENT : 0;
}
