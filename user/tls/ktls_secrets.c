// SPDX-License-Identifier: Apache-2.0
/* Capturing the TLS 1.3 traffic secrets through OpenSSL's keylog callback
 * (OpenSSL 3.0 has no other way to hand out the RX secret), and the key
 * schedule step that turns them into the kernel's key and IV. */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/tls1.h>
#include <pthread.h>
#include <string.h>

#include "ktls.h"
#include "ktls_int.h"

static int ex_idx = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void secrets_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
			 long argl, void *argp)
{
	OPENSSL_clear_free(ptr, sizeof(struct ktls_secrets));
}

static void ex_init(void)
{
	ex_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, secrets_free);
}

struct ktls_secrets *ktls_secrets_of(SSL *ssl)
{
	return ex_idx < 0 ? NULL : SSL_get_ex_data(ssl, ex_idx);
}

void ktls_secrets_wipe(struct ktls_secrets *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

/* "LABEL <client random hex> <secret hex>": stores the secret hex of the
 * first application traffic secrets, ignores every other line. */
static void keep_line(struct ktls_secrets *s, const char *line)
{
	static const char cl[] = "CLIENT_TRAFFIC_SECRET_0 ";
	static const char sv[] = "SERVER_TRAFFIC_SECRET_0 ";
	const char *hex, *sp;
	unsigned char *bin;
	unsigned bit;
	uint8_t *dst;
	long len = 0;

	if (!strncmp(line, cl, sizeof(cl) - 1))
		dst = s->client, bit = KTLS_HAVE_CLIENT;
	else if (!strncmp(line, sv, sizeof(sv) - 1))
		dst = s->server, bit = KTLS_HAVE_SERVER;
	else
		return;
	sp = strchr(line + sizeof(cl) - 1, ' ');
	if (!sp)
		return;
	hex = sp + 1;
	bin = OPENSSL_hexstr2buf(hex, &len);
	if (bin && len > 0 && (size_t)len <= sizeof(s->client) &&
	    (!s->have || s->len == (size_t)len)) {
		memcpy(dst, bin, len);
		s->len = len;
		s->have |= bit;
	}
	OPENSSL_clear_free(bin, bin ? len : 0);
}

static void keylog_cb(const SSL *cssl, const char *line)
{
	SSL *ssl = (SSL *)cssl; /* ex_data setters want it non-const */
	struct ktls_secrets *s = SSL_get_ex_data(ssl, ex_idx);

	if (!s) {
		s = OPENSSL_zalloc(sizeof(*s));
		if (!s || !SSL_set_ex_data(ssl, ex_idx, s)) {
			OPENSSL_free(s);
			return; /* install says "secrets" */
		}
	}
	keep_line(s, line);
}

int ktls_ctx_prepare(SSL_CTX *ctx)
{
	pthread_once(&ex_once, ex_init);
	if (ex_idx < 0)
		return -ENOMEM;
	/* A ticket is a record sent after the handshake: the sequence
	 * numbers would no longer start at 0 on the kernel's side. */
	if (!SSL_CTX_set_num_tickets(ctx, 0))
		return -ENOMEM;
	SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	return 0;
}

static const struct ktls_suite suite_128 = { EVP_sha256, 32, 16 };
static const struct ktls_suite suite_256 = { EVP_sha384, 48, 32 };

const struct ktls_suite *ktls_suite_of(const SSL_CIPHER *c)
{
	switch (c ? SSL_CIPHER_get_id(c) : 0) {
	case TLS1_3_CK_AES_128_GCM_SHA256:
		return &suite_128;
	case TLS1_3_CK_AES_256_GCM_SHA384:
		return &suite_256;
	default:
		return NULL;
	}
}

/* HkdfLabel: uint16 length, "tls13 " + label (length-prefixed), an empty
 * context (length 0). */
static size_t hkdf_label(uint8_t *b, size_t outlen, const char *label)
{
	size_t ll = strlen(label);

	b[0] = outlen >> 8;
	b[1] = outlen & 0xff;
	b[2] = 6 + ll;
	memcpy(b + 3, "tls13 ", 6);
	memcpy(b + 9, label, ll);
	b[9 + ll] = 0;
	return 10 + ll;
}

int ktls_expand_label(const EVP_MD *md, const uint8_t *secret, size_t slen,
		      const char *label, uint8_t *out, size_t outlen)
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	uint8_t info[10 + 32];
	OSSL_PARAM p[5];
	EVP_KDF_CTX *kc;
	EVP_KDF *kdf;
	size_t il;
	int ok;

	if (strlen(label) > 32 || outlen > 255 || !md)
		return -EINVAL;
	il = hkdf_label(info, outlen, label);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kc)
		return -EINVAL;
	p[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[1] = OSSL_PARAM_construct_utf8_string(
		OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)secret, slen);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, il);
	p[4] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kc, out, outlen, p);
	EVP_KDF_CTX_free(kc);
	return ok == 1 ? 0 : -EINVAL;
}
