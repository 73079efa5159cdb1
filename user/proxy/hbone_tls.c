// SPDX-License-Identifier: Apache-2.0
/* What HBONE needs from a finished handshake: the peer's SPIFFE identity
 * (ALPN "h2" is the TLS context's, user/tls/ctx.c). */
#include <errno.h>
#include <string.h>

#include "../tls/spiffe.h"
#include "hbone_int.h"

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
