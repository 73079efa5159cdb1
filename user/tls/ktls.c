// SPDX-License-Identifier: Apache-2.0
/* Moving a finished TLS 1.3 connection to the kernel (see ktls.h). */
#include <errno.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/tls1.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include "ktls.h"
#include "ktls_int.h"

static _Atomic uint64_t counts[KTLS_WHY__COUNT];

static const char *const why_names[KTLS_WHY__COUNT] = {
	[KTLS_WHY_NONE] = "",		 [KTLS_WHY_NO_ULP] = "no_ulp",
	[KTLS_WHY_VERSION] = "version",	 [KTLS_WHY_CIPHER] = "cipher",
	[KTLS_WHY_SECRETS] = "secrets",	 [KTLS_WHY_PENDING] = "pending",
	[KTLS_WHY_NO_FD] = "no_fd",	 [KTLS_WHY_DERIVE] = "derive",
	[KTLS_WHY_KERNEL] = "kernel",
};

const char *ktls_why_name(enum ktls_why w)
{
	return (unsigned)w < KTLS_WHY__COUNT ? why_names[w] : "?";
}

void ktls_counts_read(struct ktls_counts *out)
{
	for (int i = 0; i < KTLS_WHY__COUNT; i++)
		out->n[i] = atomic_load_explicit(&counts[i],
						 memory_order_relaxed);
}

static enum ktls_result outcome(enum ktls_why w, enum ktls_why *why,
				enum ktls_result r)
{
	atomic_fetch_add_explicit(&counts[w], 1, memory_order_relaxed);
	if (why)
		*why = w;
	return r;
}

/* The kernel's crypto_info for one direction. TLS 1.3 uses a 12-byte IV:
 * its first 4 bytes are the "salt", the other 8 the "iv"; the record
 * sequence starts at 0 (nothing moved since the handshake). */
union ktls_info {
	struct tls12_crypto_info_aes_gcm_128 g128;
	struct tls12_crypto_info_aes_gcm_256 g256;
};

static int fill_info(const struct ktls_suite *s, const uint8_t *secret,
		     union ktls_info *ci, socklen_t *len)
{
	uint8_t key[32], iv[12];
	int err;

	err = ktls_expand_label(s->md(), secret, s->secret_len, "key", key,
				s->key_len);
	err = err ?: ktls_expand_label(s->md(), secret, s->secret_len, "iv",
				       iv, sizeof(iv));
	memset(ci, 0, sizeof(*ci));
	if (!err && s->key_len == 16) {
		ci->g128.info.version = TLS_1_3_VERSION;
		ci->g128.info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ci->g128.salt, iv, 4);
		memcpy(ci->g128.iv, iv + 4, 8);
		memcpy(ci->g128.key, key, 16);
		*len = sizeof(ci->g128);
	} else if (!err) {
		ci->g256.info.version = TLS_1_3_VERSION;
		ci->g256.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ci->g256.salt, iv, 4);
		memcpy(ci->g256.iv, iv + 4, 8);
		memcpy(ci->g256.key, key, 32);
		*len = sizeof(ci->g256);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	return err;
}

/* Sets TLS_TX and TLS_RX. Once the ULP is on, a refusal can no longer be
 * undone for TX/RX already set, so those outcomes are BROKEN. */
static enum ktls_result set_keys(int fd, const struct ktls_suite *s,
				 const struct ktls_secrets *sec, bool server,
				 enum ktls_why *why)
{
	const uint8_t *tx = server ? sec->server : sec->client;
	const uint8_t *rx = server ? sec->client : sec->server;
	union ktls_info ci;
	socklen_t len;
	int err;

	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")))
		return outcome(errno == ENOENT ? KTLS_WHY_NO_ULP :
						 KTLS_WHY_KERNEL,
			       why, KTLS_USERSPACE);
	/* With the ULP on but no keys, the socket still passes bytes as
	 * they are: userspace OpenSSL can go on. */
	if (fill_info(s, tx, &ci, &len))
		return outcome(KTLS_WHY_DERIVE, why, KTLS_USERSPACE);
	err = setsockopt(fd, SOL_TLS, TLS_TX, &ci, len);
	OPENSSL_cleanse(&ci, sizeof(ci));
	if (err)
		return outcome(KTLS_WHY_KERNEL, why, KTLS_USERSPACE);
	if (fill_info(s, rx, &ci, &len))
		return outcome(KTLS_WHY_DERIVE, why, KTLS_BROKEN);
	err = setsockopt(fd, SOL_TLS, TLS_RX, &ci, len);
	OPENSSL_cleanse(&ci, sizeof(ci));
	if (err)
		return outcome(KTLS_WHY_KERNEL, why, KTLS_BROKEN);
	return outcome(KTLS_WHY_NONE, why, KTLS_INSTALLED);
}

/* Bytes OpenSSL holds, decrypted or not, were read from the socket with
 * sequence numbers the kernel would not know about. */
static bool holds_bytes(SSL *ssl)
{
	return SSL_pending(ssl) > 0 || SSL_has_pending(ssl);
}

enum ktls_result ktls_install(SSL *ssl, enum ktls_why *why)
{
	const struct ktls_suite *s;
	struct ktls_secrets *sec;
	enum ktls_result r;
	int fd;

	if (SSL_version(ssl) != TLS1_3_VERSION || !SSL_is_init_finished(ssl))
		return outcome(KTLS_WHY_VERSION, why, KTLS_USERSPACE);
	s = ktls_suite_of(SSL_get_current_cipher(ssl));
	if (!s)
		return outcome(KTLS_WHY_CIPHER, why, KTLS_USERSPACE);
	sec = ktls_secrets_of(ssl);
	if (!sec || sec->have != (KTLS_HAVE_CLIENT | KTLS_HAVE_SERVER) ||
	    sec->len != s->secret_len)
		return outcome(KTLS_WHY_SECRETS, why, KTLS_USERSPACE);
	if (holds_bytes(ssl))
		return outcome(KTLS_WHY_PENDING, why, KTLS_USERSPACE);
	fd = SSL_get_fd(ssl);
	if (fd < 0 || SSL_get_rfd(ssl) != SSL_get_wfd(ssl))
		return outcome(KTLS_WHY_NO_FD, why, KTLS_USERSPACE);
	r = set_keys(fd, s, sec, SSL_is_server(ssl), why);
	if (r == KTLS_INSTALLED)
		ktls_secrets_wipe(sec);
	return r;
}
