// SPDX-License-Identifier: Apache-2.0
/* user/tls/ca.c and pemfile.c: the CA from an Istio cacerts directory,
 * `ca init`, the built-in CA, and every bad directory refused with the
 * file and the fix named. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "tls/ca.h"
#include "tls/pemfile.h"
#include "tls/svid.h"
#include "tls/x509_make.h"
#include "tls_fix.h"

static char base[64];

static int rm_one(const char *p, const struct stat *st, int type,
		  struct FTW *f)
{
	return remove(p);
}

static void tmp_close(void);

/* A fresh directory per test; a test that stopped half-way (a fatal
 * assertion) has its directory removed by the next one or at exit. */
static void tmp_open(void)
{
	static bool hooked;

	if (!hooked)
		hooked = !atexit(tmp_close);
	tmp_close();
	snprintf(base, sizeof(base), "/tmp/im-tls-ca-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(base));
}

static void tmp_close(void)
{
	if (base[0])
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	base[0] = 0;
}

/* <base>/<name>, made by `ca init`. */
static const char *fresh(const char *name, char *dir, size_t n)
{
	char why[512] = "";

	snprintf(dir, n, "%s/%s", base, name);
	CU_ASSERT_EQUAL_FATAL(tls_ca_init(dir, why, sizeof(why)), 0);
	return dir;
}

/* Loading <dir> fails and the reason holds each of <needles>. */
static void refused(const char *dir, const char *n1, const char *n2)
{
	struct tls_ca ca;
	char why[512] = "";

	CU_ASSERT(tls_ca_load(&ca, dir, why, sizeof(why)) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, n1));
	if (n2)
		CU_ASSERT_PTR_NOT_NULL(strstr(why, n2));
	if (!strstr(why, n1) || (n2 && !strstr(why, n2)))
		fprintf(stderr, "reason: %s\n", why);
}

static void test_init_load(void)
{
	char dir[128], path[160], why[512] = "";
	struct tls_ca ca;
	struct stat st;

	tmp_open();
	fresh("ca", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/" CA_KEY_FILE, dir);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_FATAL(stat(dir, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	CU_ASSERT_EQUAL_FATAL(tls_ca_load(&ca, dir, why, sizeof(why)), 0);
	/* a self-signed root is never sent: leaves go alone */
	CU_ASSERT_EQUAL(sk_X509_num(ca.chain), 0);
	CU_ASSERT_TRUE(x509_self_signed(ca.cert));
	tls_ca_free(&ca);
	/* never over an existing CA */
	CU_ASSERT_EQUAL(tls_ca_init(dir, why, sizeof(why)), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "already"));
	tmp_close();
}

static void test_missing_files(void)
{
	static const char *const files[] = { CA_KEY_FILE, CA_CERT_FILE,
					     CA_CHAIN_FILE, CA_ROOT_FILE };
	char dir[128], path[160], name[16];
	size_t i;

	tmp_open();
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "ca%zu", i);
		fresh(name, dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		CU_ASSERT_FATAL(unlink(path) == 0);
		refused(dir, files[i], "No such file");
	}
	snprintf(dir, sizeof(dir), "%s/none", base);
	refused(dir, CA_KEY_FILE, "ca init");
	tmp_close();
}

static void test_key_perms(void)
{
	char dir[128], path[160];

	tmp_open();
	fresh("ca", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/" CA_KEY_FILE, dir);
	CU_ASSERT_FATAL(chmod(path, 0640) == 0);
	refused(dir, CA_KEY_FILE, "chmod 0600");
	CU_ASSERT_FATAL(chmod(path, 0604) == 0);
	refused(dir, CA_KEY_FILE, "chmod 0600");
	CU_ASSERT_FATAL(chmod(path, 0600) == 0);
	if (geteuid() == 0) {	/* only root can give a file away */
		CU_ASSERT_FATAL(chown(path, 65534, (gid_t)-1) == 0);
		refused(dir, CA_KEY_FILE, "owned by uid 65534");
		CU_ASSERT_FATAL(chown(path, 0, (gid_t)-1) == 0);
	}
	/* a symlink to the key is not the key file */
	char real[160];
	snprintf(real, sizeof(real), "%s/real-key.pem", dir);
	CU_ASSERT_FATAL(rename(path, real) == 0);
	CU_ASSERT_FATAL(symlink(real, path) == 0);
	refused(dir, CA_KEY_FILE, NULL);
	tmp_close();
}

/* Replaces <dir>/<name> by <src>/<name>'s key or certificates. */
static void swap_key(const char *dir, const char *src)
{
	char path[160], why[512];
	EVP_PKEY *k = pem_key_load(src, CA_KEY_FILE, why, sizeof(why));
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	CU_ASSERT_FATAL(k && fd >= 0);
	snprintf(path, sizeof(path), "%s/" CA_KEY_FILE, dir);
	unlink(path);
	CU_ASSERT_EQUAL(pem_key_write(fd, CA_KEY_FILE, k, why, sizeof(why)), 0);
	close(fd);
	EVP_PKEY_free(k);
}

static void swap_certs(const char *dir, const char *src, const char *name)
{
	char path[160], why[512];
	STACK_OF(X509) *sk = pem_certs_load(src, name, why, sizeof(why));
	int fd = open(dir, O_RDONLY | O_DIRECTORY), i;
	X509 *v[8];

	CU_ASSERT_FATAL(sk && fd >= 0 && sk_X509_num(sk) <= 8);
	for (i = 0; i < sk_X509_num(sk); i++)
		v[i] = sk_X509_value(sk, i);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	CU_ASSERT_EQUAL(pem_certs_write(fd, name, v, (size_t)i, why,
					sizeof(why)), 0);
	close(fd);
	sk_X509_pop_free(sk, X509_free);
}

static void test_key_mismatch(void)
{
	char a[128], b[128];

	tmp_open();
	fresh("a", a, sizeof(a));
	fresh("b", b, sizeof(b));
	swap_key(a, b);
	refused(a, "does not match", CA_CERT_FILE);
	tmp_close();
}

static void test_not_chaining(void)
{
	char a[128], b[128];

	tmp_open();
	fresh("a", a, sizeof(a));
	fresh("b", b, sizeof(b));
	swap_certs(a, b, CA_ROOT_FILE);
	refused(a, "does not chain", CA_ROOT_FILE);
	tmp_close();
}

static void test_garbage_file(void)
{
	char a[128], path[160];
	FILE *f;

	tmp_open();
	fresh("a", a, sizeof(a));
	snprintf(path, sizeof(path), "%s/" CA_CHAIN_FILE, a);
	unlink(path);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("not a certificate\n", f);
	fclose(f);
	refused(a, CA_CHAIN_FILE, "no PEM certificate");
	tmp_close();
}

/* An intermediate CA as Istio users plug it in: cert-chain.pem holds the
 * intermediate and the root. Leaves go with the intermediate only, and a
 * peer that trusts only the root accepts them. */
static void write_intermediate(const char *dir)
{
	time_t now = time(NULL);
	struct x509_spec rs = { .key = x509_p256_key(), .cn = "root",
				.is_ca = true, .not_before = now - 60,
				.not_after = now + 86400 };
	X509 *root = x509_make(&rs);
	struct x509_spec is = { .key = x509_p256_key(), .cn = "inter",
				.is_ca = true, .not_before = now - 60,
				.not_after = now + 86400, .issuer = root,
				.issuer_key = rs.key };
	X509 *inter = x509_make(&is), *chain[2] = { inter, root };
	char why[512];
	int fd;

	CU_ASSERT_FATAL(root && inter && mkdir(dir, 0700) == 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(!pem_certs_write(fd, CA_CERT_FILE, &inter, 1, why, 512));
	CU_ASSERT(!pem_certs_write(fd, CA_CHAIN_FILE, chain, 2, why, 512));
	CU_ASSERT(!pem_certs_write(fd, CA_ROOT_FILE, &root, 1, why, 512));
	CU_ASSERT(!pem_key_write(fd, CA_KEY_FILE, is.key, why, 512));
	close(fd);
	X509_free(root);
	X509_free(inter);
	EVP_PKEY_free(rs.key);
	EVP_PKEY_free(is.key);
}

static void test_intermediate(void)
{
	char dir[128], why[512] = "";
	struct spiffe_id want = fix_id(FIX_TD, "ns1", "model");
	struct fix_end c = { 0 }, s = { 0 };
	struct tls_ctx *srv, *cli;
	struct tls_ca ca;
	int fd[2];

	tmp_open();
	snprintf(dir, sizeof(dir), "%s/inter", base);
	write_intermediate(dir);
	CU_ASSERT_EQUAL_FATAL(tls_ca_load(&ca, dir, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(sk_X509_num(ca.chain), 1);	/* inter, once */
	CU_ASSERT_FALSE(x509_self_signed(sk_X509_value(ca.chain, 0)));
	srv = fix_ctx(&ca, "ns1", "model");
	cli = fix_ctx(&ca, "ns2", "gateway");
	fix_pair(fd);
	c.t = tls_conn_client(cli, fd[0], &want, NULL);
	s.t = tls_conn_server(srv, fd[1]);
	fix_pump(&c, &s);
	CU_ASSERT_EQUAL(c.state, 1);
	CU_ASSERT_EQUAL(s.state, 1);
	/* leaf + intermediate reached the client, no root */
	CU_ASSERT_EQUAL(sk_X509_num(SSL_get_peer_cert_chain(
				tls_conn_ssl(c.t))), 2);
	fix_end_free(&c);
	fix_end_free(&s);
	fix_close(fd);
	tls_ctx_put(srv);
	tls_ctx_put(cli);
	tls_ca_free(&ca);
	tmp_close();
}

static void test_builtin(void)
{
	struct tls_ca a, b;
	char state[128], why[512] = "";

	tmp_open();
	snprintf(state, sizeof(state), "%s/state", base);
	CU_ASSERT_EQUAL_FATAL(tls_ca_builtin(&a, state, why, sizeof(why)), 0);
	/* the next start finds the same CA */
	CU_ASSERT_EQUAL_FATAL(tls_ca_builtin(&b, state, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(X509_cmp(a.cert, b.cert), 0);
	CU_ASSERT_EQUAL(EVP_PKEY_eq(a.key, b.key), 1);
	tls_ca_free(&a);
	tls_ca_free(&b);
	tmp_close();
}

UNIT_SUITE(tls_ca)
{
	UNIT_TEST(s, test_init_load);
	UNIT_TEST(s, test_missing_files);
	UNIT_TEST(s, test_key_perms);
	UNIT_TEST(s, test_key_mismatch);
	UNIT_TEST(s, test_not_chaining);
	UNIT_TEST(s, test_garbage_file);
	UNIT_TEST(s, test_intermediate);
	UNIT_TEST(s, test_builtin);
}
