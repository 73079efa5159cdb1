// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kernel/loopback.h"
#include "tls/ktls.h"
#include "tls/x509_make.h"
#include "tls/svid.h"
#include "tls_pair.h"

/* A certificate made as user/tls makes the mesh's (x509_make): the CA
 * self-signed when <uri> is NULL, else a leaf for that SPIFFE ID. */
static X509 *cert_make(EVP_PKEY *key, const char *cn, X509 *issuer,
		       EVP_PKEY *ca_key, const char *uri)
{
	time_t now = time(NULL);
	struct x509_spec s = {
		.key = key, .cn = cn, .uri_san = uri, .is_ca = !uri,
		.not_before = now - 60, .not_after = now + 24 * 3600,
		.issuer = issuer, .issuer_key = ca_key,
	};

	return x509_make(&s);
}

static int leaf_make(struct tp_pki *p, struct tp_leaf *l, const char *uri)
{
	l->key = x509_p256_key();
	l->cert = l->key ? cert_make(l->key, NULL, p->ca, p->ca_key, uri) :
			   NULL;
	return l->cert ? 0 : -1;
}

int tp_pki_make(struct tp_pki *p)
{
	memset(p, 0, sizeof(*p));
	p->ca_key = x509_p256_key();
	p->ca = p->ca_key ? cert_make(p->ca_key, TP_TRUST_DOMAIN, NULL,
				      p->ca_key, NULL) :
			    NULL;
	if (!p->ca || leaf_make(p, &p->client, TP_CLIENT_ID) ||
	    leaf_make(p, &p->server, TP_SERVER_ID)) {
		tp_pki_free(p);
		return -1;
	}
	return 0;
}

int tp_pki_ca(const struct tp_pki *p, struct tls_ca *ca)
{
	memset(ca, 0, sizeof(*ca));
	ca->chain = sk_X509_new_null();	/* the root is never sent */
	ca->roots = X509_STORE_new();
	if (!ca->chain || !ca->roots || !X509_STORE_add_cert(ca->roots, p->ca) ||
	    !X509_up_ref(p->ca) || !EVP_PKEY_up_ref(p->ca_key)) {
		tls_ca_free(ca);
		return -1;
	}
	ca->cert = p->ca;
	ca->key = p->ca_key;
	return 0;
}

struct tls_ctx *tp_tls_ctx(const struct tls_ca *ca, const char *uri,
			   const struct tls_ctx_opts *o)
{
	static const struct tls_ctx_opts none = { 0 };
	struct spiffe_id id;
	struct tls_svid svid;
	struct tls_ctx *c;
	char why[160];

	if (spiffe_parse(uri, strlen(uri), &id) ||
	    tls_svid_issue(&svid, ca, &id, time(NULL), SVID_TTL_DEFAULT))
		return NULL;
	c = tls_ctx_new(ca, &svid, o ?: &none, why, sizeof(why));
	tls_svid_free(&svid);
	return c;
}

void tp_pki_free(struct tp_pki *p)
{
	X509_free(p->ca);
	EVP_PKEY_free(p->ca_key);
	X509_free(p->client.cert);
	EVP_PKEY_free(p->client.key);
	X509_free(p->server.cert);
	EVP_PKEY_free(p->server.key);
	memset(p, 0, sizeof(*p));
}

SSL_CTX *tp_ctx(const struct tp_pki *p, bool server, const char *suite,
		bool ktls)
{
	const struct tp_leaf *l = server ? &p->server : &p->client;
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() :
					  TLS_client_method());
	X509_STORE *st = c ? SSL_CTX_get_cert_store(c) : NULL;

	if (!c)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(c, suite) ||
	    !SSL_CTX_use_certificate(c, l->cert) ||
	    !SSL_CTX_use_PrivateKey(c, l->key) || !X509_STORE_add_cert(st, p->ca) ||
	    (ktls && ktls_ctx_prepare(c))) {
		SSL_CTX_free(c);
		return NULL;
	}
	SSL_CTX_set_mode(c, SSL_MODE_NO_AUTO_CHAIN);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   NULL);
	return c;
}

int tp_tcp_pair(int fds[2])
{
	struct timeval none = { 0 };
	int err = loopback_pair(fds);

	if (err)
		return err;
	/* loopback_pair's one-second receive timeout would cut slow
	 * transfers under emulation */
	for (int i = 0; i < 2; i++)
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	return 0;
}

static void set_blocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

/* 1 done, 0 in progress, -1 failed. */
static int step(SSL *ssl, int *done)
{
	int r, e;

	if (*done)
		return 1;
	r = SSL_do_handshake(ssl);
	if (r == 1)
		return *done = 1;
	e = SSL_get_error(ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

static int interleave(SSL *c, SSL *s, const int fds[2])
{
	struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	int cd = 0, sd = 0, a, b;

	for (int i = 0; i < 1000; i++) { /* 1000 x 10 ms at most */
		a = step(c, &cd);
		b = step(s, &sd);
		if (a < 0 || b < 0)
			return -1;
		if (a == 1 && b == 1)
			return 0;
		poll(p, 2, 10);
	}
	return -1;
}

int tp_handshake(SSL_CTX *cctx, SSL_CTX *sctx, const int fds[2], SSL **c,
		 SSL **s)
{
	int err;

	*c = SSL_new(cctx);
	*s = SSL_new(sctx);
	if (!*c || !*s || !SSL_set_fd(*c, fds[0]) || !SSL_set_fd(*s, fds[1]))
		goto fail;
	SSL_set_connect_state(*c);
	SSL_set_accept_state(*s);
	set_blocking(fds[0], false);
	set_blocking(fds[1], false);
	err = interleave(*c, *s, fds);
	set_blocking(fds[0], true);
	set_blocking(fds[1], true);
	if (!err && tp_peer_is(*c, TP_SERVER_ID) && tp_peer_is(*s, TP_CLIENT_ID))
		return 0;
fail:
	SSL_free(*c);
	SSL_free(*s);
	*c = *s = NULL;
	return -1;
}

bool tp_peer_is(SSL *ssl, const char *uri)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	GENERAL_NAMES *gs;
	bool found = false;

	if (!x || SSL_get_verify_result(ssl) != X509_V_OK)
		return false;
	gs = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; i < sk_GENERAL_NAME_num(gs); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gs, i);

		const ASN1_STRING *u = g->d.uniformResourceIdentifier;

		found |= g->type == GEN_URI &&
			 (size_t)ASN1_STRING_length(u) == strlen(uri) &&
			 !memcmp(ASN1_STRING_get0_data(u), uri, strlen(uri));
	}
	GENERAL_NAMES_free(gs);
	return found;
}

int tp_conn_open(const struct tp_pki *p, struct tp_conn *k, const char *suite,
		 bool cktls, bool sktls)
{
	*k = (struct tp_conn){ .fds = { -1, -1 } };
	k->cc = tp_ctx(p, false, suite, cktls);
	k->sc = tp_ctx(p, true, suite, sktls);
	if (!k->cc || !k->sc || tp_tcp_pair(k->fds))
		return -1;
	return tp_handshake(k->cc, k->sc, k->fds, &k->c, &k->s);
}

void tp_conn_close(struct tp_conn *k)
{
	SSL_free(k->c);
	SSL_free(k->s);
	SSL_CTX_free(k->cc);
	SSL_CTX_free(k->sc);
	for (int i = 0; i < 2; i++)
		if (k->fds[i] >= 0)
			close(k->fds[i]);
}
