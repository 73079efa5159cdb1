// SPDX-License-Identifier: Apache-2.0
/* kTLS installation on this machine's kernel: the keys derived from the
 * captured secrets are the ones OpenSSL seals records with (checked by
 * opening a real record), and every case the kernel path cannot take
 * leaves the connection on OpenSSL, working, counted by reason. Where the
 * kernel has TLS the install itself is checked too (the qemu lane,
 * tools/ktls-lane.sh, always runs it). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "tls/ktls.h"
#include "tls/ktls_int.h"
#include "tls_pair.h"

static struct tp_pki pki;

static int conn_open(struct tp_conn *k, const char *suite, bool ktls)
{
	if (!pki.ca && tp_pki_make(&pki)) {
		*k = (struct tp_conn){ .fds = { -1, -1 } };
		return -1;
	}
	return tp_conn_open(&pki, k, suite, ktls, ktls);
}

static uint64_t count_of(enum ktls_why w)
{
	struct ktls_counts c;

	ktls_counts_read(&c);
	return c.n[w];
}

/* Opens the first record the server sealed after the handshake with the
 * key and IV derived from the captured server secret, sequence 0. */
static int open_record(struct tp_conn *k, const EVP_CIPHER *ciph,
		       const EVP_MD *md, unsigned char *pt, int *ptlen)
{
	struct ktls_secrets *sec = ktls_secrets_of(k->s);
	unsigned char rec[512], key[32], iv[12];
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int len, n, ok;

	if (!sec || !x ||
	    ktls_expand_label(md, sec->server, sec->len, "key", key,
			      EVP_CIPHER_get_key_length(ciph)) ||
	    ktls_expand_label(md, sec->server, sec->len, "iv", iv, 12))
		return -1;
	n = recv(k->fds[0], rec, sizeof(rec), 0);
	len = n > 5 + 16 ? (rec[3] << 8 | rec[4]) : 0;
	ok = len == n - 5 && rec[0] == 23 &&
	     EVP_DecryptInit_ex(x, ciph, NULL, key, iv) &&
	     EVP_DecryptUpdate(x, NULL, ptlen, rec, 5) &&
	     EVP_DecryptUpdate(x, pt, ptlen, rec + 5, len - 16) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, rec + n - 16) &&
	     EVP_DecryptFinal_ex(x, pt + *ptlen, &n);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

static void keys_match_openssl(const char *suite, const EVP_CIPHER *ciph,
			       const EVP_MD *md)
{
	unsigned char pt[512];
	struct tp_conn k;
	int ptlen = 0;

	CU_ASSERT_FATAL(conn_open(&k, suite, true) == 0);
	CU_ASSERT(SSL_write(k.s, "hello mesh", 10) == 10);
	CU_ASSERT(open_record(&k, ciph, md, pt, &ptlen) == 0);
	/* TLSInnerPlaintext: the data, then its real type (23) */
	CU_ASSERT_EQUAL(ptlen, 11);
	CU_ASSERT(ptlen == 11 && !memcmp(pt, "hello mesh", 10) && pt[10] == 23);
	tp_conn_close(&k);
}

static void keys_aes128(void)
{
	keys_match_openssl("TLS_AES_128_GCM_SHA256", EVP_aes_128_gcm(),
			   EVP_sha256());
}

static void keys_aes256(void)
{
	keys_match_openssl("TLS_AES_256_GCM_SHA384", EVP_aes_256_gcm(),
			   EVP_sha384());
}

/* Data both ways after the install attempt, whichever path it took. */
static void data_flows(struct tp_conn *k, enum ktls_result r)
{
	char b[8] = { 0 };

	if (r == KTLS_INSTALLED) {
		CU_ASSERT(write(k->fds[0], "ping", 4) == 4);
		CU_ASSERT(SSL_read(k->s, b, sizeof(b)) == 4);
		CU_ASSERT(SSL_write(k->s, "pong", 4) == 4);
		CU_ASSERT(recv(k->fds[0], b + 4, 4, 0) == 4);
	} else {
		CU_ASSERT(SSL_write(k->c, "ping", 4) == 4);
		CU_ASSERT(SSL_read(k->s, b, sizeof(b)) == 4);
		CU_ASSERT(SSL_write(k->s, "pong", 4) == 4);
		CU_ASSERT(SSL_read(k->c, b + 4, 4) == 4);
	}
	CU_ASSERT(!memcmp(b, "pingpong", 8));
}

/* The path this kernel gives: installed where it has TLS, else
 * userspace for "no_ulp"; either way the connection works. */
static void install_or_fallback(void)
{
	bool kernel = ktls_kernel_has_tls(NULL, 0);
	uint64_t before = count_of(kernel ? KTLS_WHY_NONE : KTLS_WHY_NO_ULP);
	enum ktls_why why = KTLS_WHY__COUNT;
	enum ktls_result r;
	struct tp_conn k;

	CU_ASSERT_FATAL(conn_open(&k, "TLS_AES_128_GCM_SHA256", true) == 0);
	r = ktls_install(k.c, &why);
	CU_ASSERT_EQUAL(r, kernel ? KTLS_INSTALLED : KTLS_USERSPACE);
	CU_ASSERT_EQUAL(why, kernel ? KTLS_WHY_NONE : KTLS_WHY_NO_ULP);
	CU_ASSERT_EQUAL(count_of(why), before + 1);
	data_flows(&k, r);
	tp_conn_close(&k);
}

/* The unconnected-socket probe (for a namespace whose loopback is down)
 * gives the loopback pair's answer, on this kernel and in the lane's. */
static void probes_agree(void)
{
	int u = ktls_ulp_try_unconnected();

	CU_ASSERT_EQUAL(u, ktls_ulp_try());
	CU_ASSERT(u == 0 || u == ENOENT);
	CU_ASSERT_EQUAL(u == 0, ktls_kernel_has_tls(NULL, 0));
}

/* Refused before the socket is touched: no ULP on it afterwards. */
static void assert_refused(struct tp_conn *k, SSL *ssl, enum ktls_why want)
{
	uint64_t before = count_of(want);
	enum ktls_why why = KTLS_WHY_NONE;
	char ulp[16] = "";
	socklen_t ul = sizeof(ulp);

	CU_ASSERT_EQUAL(ktls_install(ssl, &why), KTLS_USERSPACE);
	CU_ASSERT_EQUAL(why, want);
	CU_ASSERT_EQUAL(count_of(want), before + 1);
	getsockopt(SSL_get_fd(ssl), IPPROTO_TCP, TCP_ULP, ulp, &ul);
	CU_ASSERT_STRING_EQUAL(ulp, "");
}

static void refuses_pending_bytes(void)
{
	char b[16] = { 0 };
	struct tp_conn k;

	CU_ASSERT_FATAL(conn_open(&k, "TLS_AES_128_GCM_SHA256", true) == 0);
	CU_ASSERT(SSL_write(k.s, "early", 5) == 5);
	/* OpenSSL now holds the decrypted record: sequence 1 is next */
	CU_ASSERT(SSL_peek(k.c, b, 1) == 1);
	assert_refused(&k, k.c, KTLS_WHY_PENDING);
	CU_ASSERT(SSL_read(k.c, b, sizeof(b)) == 5);
	CU_ASSERT(!memcmp(b, "early", 5));
	tp_conn_close(&k);
}

static void refuses_without_secrets(void)
{
	struct tp_conn k;

	/* a context not prepared for kTLS captured nothing */
	CU_ASSERT_FATAL(conn_open(&k, "TLS_AES_128_GCM_SHA256", false) == 0);
	assert_refused(&k, k.c, KTLS_WHY_SECRETS);
	data_flows(&k, KTLS_USERSPACE);
	tp_conn_close(&k);
}

static void refuses_other_suites(void)
{
	struct tp_conn k;

	CU_ASSERT_FATAL(conn_open(&k, "TLS_CHACHA20_POLY1305_SHA256", true) ==
			0);
	assert_refused(&k, k.s, KTLS_WHY_CIPHER);
	data_flows(&k, KTLS_USERSPACE);
	tp_conn_close(&k);
}

static void refuses_before_handshake(void)
{
	struct tp_conn k = { .fds = { -1, -1 } };

	if (!pki.ca)
		CU_ASSERT_FATAL(tp_pki_make(&pki) == 0);
	k.cc = tp_ctx(&pki, false, "TLS_AES_128_GCM_SHA256", true);
	CU_ASSERT_FATAL(k.cc && tp_tcp_pair(k.fds) == 0);
	k.c = SSL_new(k.cc);
	CU_ASSERT_FATAL(k.c && SSL_set_fd(k.c, k.fds[0]));
	assert_refused(&k, k.c, KTLS_WHY_VERSION);
	tp_conn_close(&k);
}

static void label_shape(void)
{
	uint8_t secret[32] = { 0 }, out[16], out2[16];

	/* same input, same output; another label, another output */
	CU_ASSERT(ktls_expand_label(EVP_sha256(), secret, 32, "key", out, 16) ==
		  0);
	CU_ASSERT(ktls_expand_label(EVP_sha256(), secret, 32, "iv", out2, 16) ==
		  0);
	CU_ASSERT(memcmp(out, out2, 16) != 0);
	/* a label longer than the HkdfLabel buffer is refused */
	CU_ASSERT_EQUAL(ktls_expand_label(EVP_sha256(), secret, 32,
					  "a label far too long for tls13 labels",
					  out, 16),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(ktls_why_name(KTLS_WHY_PENDING), "pending");
	/* a buffer that could cut a control record short is refused */
	CU_ASSERT_EQUAL(ktls_recv(0, out, sizeof(out), 0), -EINVAL);
}

static void free_pki(void)
{
	tp_pki_free(&pki);
}

UNIT_SUITE(ktls)
{
	UNIT_TEST(s, label_shape);
	UNIT_TEST(s, keys_aes128);
	UNIT_TEST(s, keys_aes256);
	UNIT_TEST(s, install_or_fallback);
	UNIT_TEST(s, probes_agree);
	UNIT_TEST(s, refuses_pending_bytes);
	UNIT_TEST(s, refuses_without_secrets);
	UNIT_TEST(s, refuses_other_suites);
	UNIT_TEST(s, refuses_before_handshake);
	UNIT_TEST(s, free_pki);
}
