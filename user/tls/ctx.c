// SPDX-License-Identifier: Apache-2.0
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "ktls.h"
#include "pemfile.h"
#include "tls_int.h"

#define SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
#define GROUPS "X25519:P-256"
#define SESSION_MAX_S 3600	/* a resumed session skips the chain check */
static const unsigned char alpn_h2[] = { 2, 'h', '2' };
static const unsigned char sid_ctx[] = "infermesh";

/* What server and client contexts share: versions, suites, groups, our
 * certificate, key and chain, the roots. */
static SSL_CTX *common(const struct tls_ca *ca, const struct tls_svid *svid)
{
	SSL_CTX *c = SSL_CTX_new(TLS_method());
	int i;

	if (!c)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(c, SUITES) ||
	    !SSL_CTX_set1_groups_list(c, GROUPS) ||
	    SSL_CTX_use_certificate(c, svid->leaf) != 1 ||
	    SSL_CTX_use_PrivateKey(c, svid->key) != 1 ||
	    SSL_CTX_check_private_key(c) != 1)
		goto fail;
	for (i = 0; i < sk_X509_num(ca->chain); i++)
		if (!SSL_CTX_add1_chain_cert(c, sk_X509_value(ca->chain, i)))
			goto fail;
	SSL_CTX_set1_cert_store(c, ca->roots);
	/* the chain is complete as given: do not rebuild it per handshake */
	SSL_CTX_set_mode(c, SSL_MODE_NO_AUTO_CHAIN);
	return c;
fail:
	SSL_CTX_free(c);
	return NULL;
}

static bool server_setup(SSL_CTX *c, const struct tls_ctx_opts *o,
			 time_t ttl)
{
	bool resume = o->resume && !o->no_tickets;

	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   tls_verify_cb);
	SSL_CTX_set_alpn_select_cb(c, tls_alpn_select_cb, NULL);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	if (!resume) {
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
		return SSL_CTX_set_num_tickets(c, 0);
	}
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_timeout(c, ttl / 2 < SESSION_MAX_S ? ttl / 2 : SESSION_MAX_S);
	return SSL_CTX_set_num_tickets(c, 1) &&
	       SSL_CTX_set_session_id_context(c, sid_ctx, sizeof(sid_ctx) - 1);
}

static bool client_setup(SSL_CTX *c, const struct tls_ctx_opts *o)
{
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, tls_verify_cb);
	/* sessions are handed out per connection (tls_conn_session()) */
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	return SSL_CTX_set_alpn_protos(c, alpn_h2, sizeof(alpn_h2)) == 0;
}

struct tls_ctx *tls_ctx_new(const struct tls_ca *ca,
			    const struct tls_svid *svid,
			    const struct tls_ctx_opts *o, char *why, size_t n)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));

	if (!t)
		goto fail;
	t->refs = 1;
	t->id = svid->id;
	t->not_after = svid->not_after;
	t->server = common(ca, svid);
	t->client = common(ca, svid);
	if (!t->server || !t->client ||
	    !server_setup(t->server, o, svid->not_after - svid->issued) ||
	    !client_setup(t->client, o) || !X509_up_ref(svid->leaf))
		goto fail;
	/* kTLS-bound: keep each connection's traffic secrets for the kernel */
	if (o->no_tickets &&
	    (ktls_ctx_prepare(t->server) || ktls_ctx_prepare(t->client)))
		goto fail;
	t->leaf = svid->leaf;
	return t;
fail:
	tls_why(0, why, n, "TLS context: %s",
		ERR_reason_error_string(ERR_peek_last_error()) ?: "out of memory");
	ERR_clear_error();
	tls_ctx_put(t);
	return NULL;
}

struct tls_ctx *tls_ctx_get(struct tls_ctx *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void tls_ctx_put(struct tls_ctx *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL))
		return;
	SSL_CTX_free(c->server);
	SSL_CTX_free(c->client);
	X509_free(c->leaf);
	free(c);
}
