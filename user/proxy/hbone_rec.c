// SPDX-License-Identifier: Apache-2.0
/* The record layer under one HBONE connection: the TLS handshake, then the
 * bytes of HTTP/2 through userspace OpenSSL or, where the kernel has kTLS,
 * through the socket itself with this handshake's keys (user/tls/ktls.h).
 * hbone_conn.c calls only these, so the two paths cannot drift apart. */
#include <errno.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include "../tls/ktls.h"
#include "hbone_int.h"

#define WHY_NOT_YET "handshake not finished"
#define WHY_OFF "kTLS off for this connection (hbone_conf.no_ktls)"
#define WHY_INSTALLED "kTLS TX+RX installed"

/* A static sentence for a connection left on userspace OpenSSL. */
static const char *why_userspace(enum ktls_why w)
{
	switch (w) {
	case KTLS_WHY_NO_ULP:
		return "kernel has no kTLS (TCP_ULP tls: ENOENT)";
	case KTLS_WHY_VERSION:
		return "not TLS 1.3";
	case KTLS_WHY_CIPHER:
		return "cipher not supported by kTLS";
	case KTLS_WHY_SECRETS:
		return "no traffic secrets (context not prepared for kTLS)";
	case KTLS_WHY_PENDING:
		return "OpenSSL held records past the handshake";
	case KTLS_WHY_NO_FD:
		return "the SSL is not on one socket";
	case KTLS_WHY_DERIVE:
		return "key derivation failed";
	case KTLS_WHY_KERNEL:
		return "the kernel refused TLS_TX";
	default:
		return "unknown";
	}
}

/* One handshake step. 1 done, 0 in progress (hs_want_write says which
 * way), -1 refused (the reason stays in the tls_conn, when there is one). */
int hbone_rec_handshake(struct hbone_conn *c)
{
	int r, err;

	if (c->tls) {
		switch (tls_conn_handshake(c->tls)) {
		case TLS_HS_DONE:
			return 1;
		case TLS_HS_WANT_READ:
			c->hs_want_write = false;
			return 0;
		case TLS_HS_WANT_WRITE:
			c->hs_want_write = true;
			return 0;
		default:
			return -1;
		}
	}
	r = SSL_do_handshake(c->ssl);
	if (r == 1)
		return 1;
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		c->hs_want_write = err == SSL_ERROR_WANT_WRITE;
		return 0;
	}
	ERR_clear_error();
	return -1;
}

/* After the handshake, before any record is read or written: moves the
 * connection to the kernel when it can go. Returns -1 only when a half
 * install left the socket unusable. */
int hbone_rec_ready(struct hbone_conn *c)
{
	enum ktls_why w = KTLS_WHY_NONE;

	c->crypto_why = WHY_OFF;
	if (c->cf.no_ktls)
		return 0;
	if (!ktls_kernel_has_tls(NULL, 0)) {
		c->crypto_why = ktls_kernel_why();
		return 0;
	}
	switch (ktls_install(c->ssl, &w)) {
	case KTLS_INSTALLED:
		c->ktls = true;
		c->crypto_why = WHY_INSTALLED;
		/* OpenSSL's record buffers are no use any more */
		SSL_free_buffers(c->ssl);
		return 0;
	case KTLS_USERSPACE:
		c->crypto_why = why_userspace(w);
		return 0;
	default:
		c->crypto_why = why_userspace(w);
		return -1;
	}
}

ssize_t hbone_rec_read(struct hbone_conn *c, void *buf, size_t n)
{
	int r, err;

	if (c->ktls) {
		ssize_t k = ktls_recv(c->fd, buf, n, MSG_DONTWAIT);

		if (k == -EWOULDBLOCK || k == -EINTR)
			return -EAGAIN;
		/* a record that does not authenticate: no peer of ours */
		return k == -EBADMSG ? -EPROTO : k;
	}
	r = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	ERR_clear_error();
	return err == SSL_ERROR_ZERO_RETURN ? 0 : -ECONNRESET;
}

ssize_t hbone_rec_write(struct hbone_conn *c, const void *p, size_t n)
{
	int r, err;

	if (c->ktls) {
		ssize_t k = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k >= 0)
			return k;
		return errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
	}
	r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
		return -EAGAIN;
	ERR_clear_error();
	return -EPIPE;
}

/* A close_notify, best effort: the peer may be gone. Once the kernel has
 * the keys, OpenSSL must not write (its sequence numbers are stale). */
void hbone_rec_shutdown(struct hbone_conn *c)
{
	if (c->ktls)
		ktls_send_close_notify(c->fd);
	else
		SSL_shutdown(c->ssl);
	ERR_clear_error();
}

bool hbone_conn_crypto(const struct hbone_conn *c, const char **why)
{
	if (why)
		*why = c->crypto_why ?: WHY_NOT_YET;
	return c->ktls;
}

enum tls_refusal hbone_conn_tls_reason(const struct hbone_conn *c)
{
	return c->tls ? tls_conn_reason(c->tls) : TLS_R_NONE;
}
