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
#include "tls_pair.h"

static int add_ext(X509 *issuer, X509 *x, int nid, const char *val)
{
	X509V3_CTX v;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v, nid, val);
	ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A certificate for <key> named <cn>, signed by <ca_key> (self-signed
 * when <issuer> is NULL); <uri> the SPIFFE ID of a leaf. */
static X509 *cert_make(EVP_PKEY *key, const char *cn, X509 *issuer,
		       EVP_PKEY *ca_key, const char *uri, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = x ? X509_get_subject_name(x) : NULL;
	char san[256];
	int err;

	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (uri) {
		snprintf(san, sizeof(san), "URI:%s", uri);
		err = add_ext(issuer, x, NID_basic_constraints, "critical,CA:FALSE");
		err = err ?: add_ext(issuer, x, NID_key_usage,
				     "critical,digitalSignature");
		err = err ?: add_ext(issuer, x, NID_subject_alt_name, san);
	} else {
		err = add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		err = err ?: add_ext(x, x, NID_key_usage,
				     "critical,keyCertSign,cRLSign");
	}
	if (err || !X509_sign(x, ca_key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int leaf_make(struct tp_pki *p, struct tp_leaf *l, const char *uri,
		     long serial)
{
	l->key = EVP_EC_gen("P-256");
	l->cert = l->key ? cert_make(l->key, "infermesh test", p->ca,
				     p->ca_key, uri, serial) :
			   NULL;
	return l->cert ? 0 : -1;
}

int tp_pki_make(struct tp_pki *p)
{
	memset(p, 0, sizeof(*p));
	p->ca_key = EVP_EC_gen("P-256");
	p->ca = p->ca_key ? cert_make(p->ca_key, TP_TRUST_DOMAIN, NULL,
				      p->ca_key, NULL, 1) :
			    NULL;
	if (!p->ca || leaf_make(p, &p->client, TP_CLIENT_ID, 2) ||
	    leaf_make(p, &p->server, TP_SERVER_ID, 3)) {
		tp_pki_free(p);
		return -1;
	}
	return 0;
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
