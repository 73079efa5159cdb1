// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "tls_int.h"

struct tls_conn {
	SSL *ssl;
	struct tls_ctx *ctx;
	enum tls_refusal reason;
	bool server, done;
	struct spiffe_id expected;	/* client side */
	struct spiffe_id peer;
};

static int conn_idx = -1;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;

static void conn_idx_init(void)
{
	conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct tls_conn *conn_of(SSL *ssl)
{
	return SSL_get_ex_data(ssl, conn_idx);
}

static struct tls_conn *conn_new(struct tls_ctx *c, int fd, bool server)
{
	struct tls_conn *t = calloc(1, sizeof(*t));

	pthread_once(&conn_once, conn_idx_init);
	if (!t || conn_idx < 0)
		goto fail;
	t->server = server;
	t->ssl = SSL_new(server ? c->server : c->client);
	if (!t->ssl || !SSL_set_fd(t->ssl, fd) ||
	    !SSL_set_ex_data(t->ssl, conn_idx, t))
		goto fail;
	t->ctx = tls_ctx_get(c);
	return t;
fail:
	if (t)
		SSL_free(t->ssl);
	free(t);
	return NULL;
}

struct tls_conn *tls_conn_server(struct tls_ctx *c, int fd)
{
	struct tls_conn *t = conn_new(c, fd, true);

	if (t)
		SSL_set_accept_state(t->ssl);
	return t;
}

struct tls_conn *tls_conn_client(struct tls_ctx *c, int fd,
				 const struct spiffe_id *expected,
				 SSL_SESSION *resume)
{
	struct tls_conn *t = conn_new(c, fd, false);

	if (!t)
		return NULL;
	t->expected = *expected;
	/* no SNI: ztunnel neither sends nor reads one */
	SSL_set_connect_state(t->ssl);
	if (resume && !SSL_set_session(t->ssl, resume)) {
		tls_conn_free(t);
		return NULL;
	}
	return t;
}

void tls_conn_free(struct tls_conn *t)
{
	if (!t)
		return;
	/* Without a shutdown, SSL_free() drops the session from the server's
	 * cache, so nothing could resume it. A clean end sends no
	 * close_notify here (the peer may be gone: no write, no SIGPIPE);
	 * fatal errors have already dropped the session. */
	if (t->done)
		SSL_set_shutdown(t->ssl, SSL_SENT_SHUTDOWN);
	SSL_free(t->ssl);
	tls_ctx_put(t->ctx);
	free(t);
}

/* A chain error of X509_verify_cert as a refusal. */
static enum tls_refusal of_x509(int err)
{
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return TLS_R_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_R_NOT_YET_VALID;
	case X509_V_ERR_INVALID_PURPOSE:
		return TLS_R_BAD_USAGE;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return TLS_R_OTHER_CA;
	default:
		return TLS_R_BAD_CERT;
	}
}

/* The SPIFFE checks on the peer's leaf; fills t->peer. */
static enum tls_refusal judge_leaf(struct tls_conn *t, X509 *leaf)
{
	if (!leaf)
		return t->server ? TLS_R_NO_CLIENT_CERT : TLS_R_BAD_CERT;
	if (spiffe_from_cert(leaf, &t->peer))
		return TLS_R_NO_SPIFFE_ID;
	if (t->server)	/* any SPIFFE SAN of ours will do, as ztunnel */
		return spiffe_cert_has_td(leaf, t->ctx->id.td)
			       ? TLS_R_NONE : TLS_R_TRUST_DOMAIN;
	return spiffe_eq(&t->peer, &t->expected) ? TLS_R_NONE
						 : TLS_R_SAN_MISMATCH;
}

int tls_verify_cb(int preverify_ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *t = ssl ? conn_of(ssl) : NULL;

	if (!t)
		return 0;
	if (!preverify_ok) {
		if (!t->reason)
			t->reason = of_x509(X509_STORE_CTX_get_error(x));
		return 0;
	}
	if (X509_STORE_CTX_get_error_depth(x) != 0)
		return 1;
	t->reason = judge_leaf(t, X509_STORE_CTX_get_current_cert(x));
	return t->reason == TLS_R_NONE;
}

int tls_alpn_select_cb(SSL *ssl, const unsigned char **out,
		       unsigned char *outlen, const unsigned char *in,
		       unsigned int inlen, void *arg)
{
	unsigned int i;

	for (i = 0; i < inlen; i += 1u + in[i])
		if (in[i] == 2 && i + 3 <= inlen && !memcmp(in + i + 1, "h2", 2)) {
			*out = in + i + 1;
			*outlen = 2;
			return SSL_TLSEXT_ERR_OK;
		}
	conn_of(ssl)->reason = TLS_R_NO_ALPN_H2;
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The reason for a failed handshake the callbacks did not explain, from
 * OpenSSL's error queue. */
static enum tls_refusal of_ssl_error(int ssl_err)
{
	unsigned long e = ERR_peek_last_error();
	int lib = ERR_GET_LIB(e), r = ERR_GET_REASON(e);

	if (!e)
		return ssl_err == SSL_ERROR_SYSCALL ? TLS_R_TRUNCATED
						    : TLS_R_INTERNAL;
	if (lib != ERR_LIB_SSL)
		return lib == ERR_LIB_X509 || lib == ERR_LIB_ASN1 ||
		       lib == ERR_LIB_X509V3 || lib == ERR_LIB_EVP
			       ? TLS_R_BAD_CERT : TLS_R_INTERNAL;
	if (r >= SSL_AD_REASON_OFFSET)	/* an alert from the peer */
		return r == SSL_AD_REASON_OFFSET + SSL_AD_PROTOCOL_VERSION
			       ? TLS_R_VERSION : TLS_R_PEER_ALERT;
	switch (r) {
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return TLS_R_NO_CLIENT_CERT;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_WRONG_SSL_VERSION:
		return TLS_R_VERSION;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
		return TLS_R_NO_SHARED_PARAMS;
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		return TLS_R_TRUNCATED;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return TLS_R_BAD_CERT;
	default:	/* bad version bytes, lengths, messages: not TLS */
		return TLS_R_GARBAGE;
	}
}

/* After the handshake: a resumed session skipped the verify callback, so
 * the identity comes from the session, and the client checks it again
 * against what this connection expects. */
static enum tls_refusal finish(struct tls_conn *t)
{
	X509 *leaf;

	if (!SSL_session_reused(t->ssl))
		return TLS_R_NONE;
	leaf = SSL_get0_peer_certificate(t->ssl);
	return judge_leaf(t, leaf);
}

enum tls_hs tls_conn_handshake(struct tls_conn *t)
{
	int rc, err;

	if (t->done)
		return TLS_HS_DONE;
	if (t->reason)
		return TLS_HS_REFUSED;
	ERR_clear_error();
	rc = SSL_do_handshake(t->ssl);
	if (rc == 1) {
		t->reason = finish(t);
		t->done = !t->reason;
		return t->done ? TLS_HS_DONE : TLS_HS_REFUSED;
	}
	err = SSL_get_error(t->ssl, rc);
	if (err == SSL_ERROR_WANT_READ)
		return TLS_HS_WANT_READ;
	if (err == SSL_ERROR_WANT_WRITE)
		return TLS_HS_WANT_WRITE;
	if (!t->reason)
		t->reason = of_ssl_error(err);
	ERR_clear_error();
	return TLS_HS_REFUSED;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

enum tls_hs tls_conn_handshake_wait(struct tls_conn *t, int timeout_ms)
{
	long long end = now_ms() + timeout_ms, left;
	enum tls_hs hs;

	while ((hs = tls_conn_handshake(t)) == TLS_HS_WANT_READ ||
	       hs == TLS_HS_WANT_WRITE) {
		struct pollfd p = {
			SSL_get_fd(t->ssl),
			hs == TLS_HS_WANT_READ ? POLLIN : POLLOUT, 0,
		};

		left = end - now_ms();
		if (left <= 0)
			t->reason = TLS_R_TIMEOUT;
		else if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			t->reason = TLS_R_INTERNAL;
		if (t->reason)
			return TLS_HS_REFUSED;
	}
	return hs;
}

enum tls_refusal tls_conn_reason(const struct tls_conn *t)
{
	return t->reason;
}

const struct spiffe_id *tls_conn_peer(const struct tls_conn *t)
{
	return t->done ? &t->peer : NULL;
}

bool tls_conn_resumed(const struct tls_conn *t)
{
	return t->done && SSL_session_reused(t->ssl);
}

SSL_SESSION *tls_conn_session(const struct tls_conn *t)
{
	SSL_SESSION *s = SSL_get1_session(t->ssl);

	if (s && !SSL_SESSION_is_resumable(s)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

SSL *tls_conn_ssl(const struct tls_conn *t)
{
	return t->ssl;
}

struct tls_ctx *tls_conn_ctx(const struct tls_conn *t)
{
	return t->ctx;
}
