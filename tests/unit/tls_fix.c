// SPDX-License-Identifier: Apache-2.0
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls/svid.h"
#include "tls/x509_make.h"
#include "tls_fix.h"

void fix_ca(struct tls_ca *ca)
{
	time_t now = time(NULL);
	struct x509_spec s = {
		.cn = "test root", .is_ca = true, .not_before = now - 60,
		.not_after = now + 86400,
	};

	memset(ca, 0, sizeof(*ca));
	s.key = ca->key = x509_p256_key();
	ca->cert = x509_make(&s);
	ca->chain = sk_X509_new_null();
	ca->roots = X509_STORE_new();
	CU_ASSERT_FATAL(ca->cert && ca->chain && ca->roots);
	CU_ASSERT_FATAL(X509_STORE_add_cert(ca->roots, ca->cert) == 1);
}

struct spiffe_id fix_id(const char *td, const char *ns, const char *sa)
{
	struct spiffe_id id;

	CU_ASSERT_FATAL(spiffe_make(&id, td, ns, sa) == 0);
	return id;
}

struct tls_ctx *fix_ctx_at(const struct tls_ca *ca, const char *td,
			   const char *ns, const char *sa, time_t now,
			   unsigned int ttl, bool resume)
{
	struct tls_ctx_opts o = { .resume = resume };
	struct spiffe_id id = fix_id(td, ns, sa);
	struct tls_svid svid;
	struct tls_ctx *c;
	char why[256] = "";

	CU_ASSERT_FATAL(tls_svid_issue(&svid, ca, &id, now, ttl) == 0);
	c = tls_ctx_new(ca, &svid, &o, why, sizeof(why));
	tls_svid_free(&svid);
	if (!c)
		fprintf(stderr, "tls_ctx_new: %s\n", why);
	CU_ASSERT_FATAL(c != NULL);
	return c;
}

struct tls_ctx *fix_ctx(const struct tls_ca *ca, const char *ns,
			const char *sa)
{
	return fix_ctx_at(ca, FIX_TD, ns, sa, time(NULL), 3600, true);
}

struct tls_ctx *fix_ctx_cross(const struct tls_ca *issuer,
			      const struct tls_ca *trust, const char *ns,
			      const char *sa)
{
	struct tls_ca mix = *issuer;

	mix.roots = trust->roots;	/* tls_ctx_new() takes a reference */
	return fix_ctx_at(&mix, FIX_TD, ns, sa, time(NULL), 3600, true);
}

void fix_pair(int fd[2])
{
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
				   SOCK_CLOEXEC, 0, fd) == 0);
}

void fix_close(int fd[2])
{
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	fd[0] = fd[1] = -1;
}

static void step(struct fix_end *e)
{
	int rc, err;

	if (e->state)
		return;
	if (e->t) {
		enum tls_hs hs = tls_conn_handshake(e->t);

		e->state = hs == TLS_HS_DONE ? 1 : hs == TLS_HS_REFUSED ? -1 : 0;
		return;
	}
	ERR_clear_error();
	rc = SSL_do_handshake(e->raw);
	err = SSL_get_error(e->raw, rc);
	if (rc == 1)
		e->state = 1;
	else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		e->state = -1;
	ERR_clear_error();
}

void fix_pump(struct fix_end *a, struct fix_end *b)
{
	int i;

	/* a TLS 1.3 handshake is a few flights: 50 rounds is plenty */
	for (i = 0; i < 50 && (!a->state || !b->state); i++) {
		step(a);
		step(b);
	}
}

bool fix_echo(SSL *from, SSL *to, const char *msg)
{
	char buf[256];
	size_t len = strlen(msg);
	int i, got = 0, rc;

	if (SSL_write(from, msg, (int)len) != (int)len)
		return false;
	for (i = 0; i < 50 && got < (int)len; i++) {
		rc = SSL_read(to, buf + got, (int)sizeof(buf) - got);
		if (rc > 0)
			got += rc;
		else if (SSL_get_error(to, rc) != SSL_ERROR_WANT_READ)
			break;
		/* the writer may need to take in tickets or updates */
		SSL_read(from, buf, 0);
	}
	ERR_clear_error();
	return got == (int)len && !memcmp(buf, msg, len);
}

void fix_end_free(struct fix_end *e)
{
	tls_conn_free(e->t);
	SSL_free(e->raw);
	memset(e, 0, sizeof(*e));
}

void fix_serial(X509 *x, char *buf, size_t n)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;

	snprintf(buf, n, "%s", h ? h : "?");
	OPENSSL_free(h);
	BN_free(bn);
}
