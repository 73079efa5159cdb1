// SPDX-License-Identifier: Apache-2.0
/* user/tls/spiffe.c: the identity format exactly as ztunnel parses it,
 * and which URI SAN of a leaf is the identity. */
#include <openssl/x509v3.h>

#include "harness.h"
#include "tls/spiffe.h"
#include "tls/x509_make.h"

static const struct {
	const char *uri;
	int want;
	const char *td, *ns, *sa;
} cases[] = {
#define BAD(u) { u, -EINVAL, NULL, NULL, NULL }
	{ "spiffe://cluster.local/ns/shop/sa/model", 0,
	  "cluster.local", "shop", "model" },
	{ "spiffe://td/ns/a/sa/b", 0, "td", "a", "b" },
	BAD("spiffe://cluster.local/ns/shop/sa"),	/* 4 segments */
	BAD("spiffe://cluster.local/ns/shop/sa/model/x"),	/* 6 */
	BAD("spiffe://cluster.local/ns/shop/sa/model/"),
	BAD("spiffe://cluster.local/NS/shop/sa/model"),
	BAD("spiffe://cluster.local/ns/shop/serviceaccount/model"),
	BAD("spiffe://cluster.local/ns//sa/model"),	/* empty ns */
	BAD("spiffe:///ns/shop/sa/model"),		/* empty td */
	BAD("spiffe://cluster.local/ns/shop/sa/"),	/* empty sa */
	BAD("https://cluster.local/ns/shop/sa/model"),
	BAD("SPIFFE://cluster.local/ns/shop/sa/model"),
	BAD("spiffe:/"),
	BAD(""),
};

static void test_parse_table(void)
{
	struct spiffe_id id;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = spiffe_parse(cases[i].uri, strlen(cases[i].uri), &id);

		if (rc != cases[i].want)
			fprintf(stderr, "case %zu (%s): %d\n", i, cases[i].uri, rc);
		CU_ASSERT_EQUAL(rc, cases[i].want);
		if (rc || cases[i].want)
			continue;
		CU_ASSERT_STRING_EQUAL(id.td, cases[i].td);
		CU_ASSERT_STRING_EQUAL(id.ns, cases[i].ns);
		CU_ASSERT_STRING_EQUAL(id.sa, cases[i].sa);
	}
}

static void test_parse_limits(void)
{
	char uri[1024], td[SPIFFE_TD_MAX + 2];
	struct spiffe_id id;

	memset(td, 'a', sizeof(td) - 1);
	td[SPIFFE_TD_MAX] = 0;		/* the longest allowed */
	snprintf(uri, sizeof(uri), "spiffe://%s/ns/n/sa/s", td);
	CU_ASSERT_EQUAL(spiffe_parse(uri, strlen(uri), &id), 0);
	td[SPIFFE_TD_MAX] = 'a';	/* one more */
	td[SPIFFE_TD_MAX + 1] = 0;
	snprintf(uri, sizeof(uri), "spiffe://%s/ns/n/sa/s", td);
	CU_ASSERT_EQUAL(spiffe_parse(uri, strlen(uri), &id), -EINVAL);
	/* a NUL inside (an ASN.1 string may hold one) */
	CU_ASSERT_EQUAL(spiffe_parse("spiffe://td/ns/a\0b/sa/s", 22, &id),
			-EINVAL);
	/* only <len> bytes count */
	CU_ASSERT_EQUAL(spiffe_parse("spiffe://td/ns/a/sa/bXYZ", 21, &id), 0);
	CU_ASSERT_STRING_EQUAL(id.sa, "b");
}

static void test_make_format(void)
{
	struct spiffe_id id, back;
	char buf[SPIFFE_URI_MAX];
	int l;

	CU_ASSERT_EQUAL(spiffe_make(&id, "cluster.local", "shop", "model-1"), 0);
	l = spiffe_format(&id, buf, sizeof(buf));
	CU_ASSERT_EQUAL(l, (int)strlen("spiffe://cluster.local/ns/shop/sa/model-1"));
	CU_ASSERT_STRING_EQUAL(buf, "spiffe://cluster.local/ns/shop/sa/model-1");
	CU_ASSERT_EQUAL(spiffe_parse(buf, (size_t)l, &back), 0);
	CU_ASSERT_TRUE(spiffe_eq(&id, &back));
	CU_ASSERT_EQUAL(spiffe_format(&id, buf, 10), -ENOSPC);
	CU_ASSERT_EQUAL(spiffe_make(&id, "td", "a/b", "s"), -EINVAL);
	CU_ASSERT_EQUAL(spiffe_make(&id, "td", "", "s"), -EINVAL);
	CU_ASSERT_EQUAL(spiffe_make(&id, "td", "a,URI:x", "s"), -EINVAL);
	CU_ASSERT_EQUAL(spiffe_make(&id, "td", "a", NULL), -EINVAL);
}

/* A certificate (unsigned: only its SANs matter here) with <sans> in
 * OpenSSL's config syntax. */
static X509 *with_sans(const char *sans)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, sans);
	CU_ASSERT_FATAL(e != NULL);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return x;
}

static void test_from_cert(void)
{
	struct spiffe_id id;
	X509 *x;

	/* the first URI SAN that parses; DNS names and junk URIs skipped */
	x = with_sans("DNS:model.shop,URI:https://x/y,URI:spiffe://a/ns/b,"
		      "URI:spiffe://td1/ns/n1/sa/s1,URI:spiffe://td2/ns/n2/sa/s2");
	CU_ASSERT_EQUAL(spiffe_from_cert(x, &id), 0);
	CU_ASSERT_STRING_EQUAL(id.td, "td1");
	CU_ASSERT_STRING_EQUAL(id.sa, "s1");
	/* any SAN with the trust domain counts for the server's check */
	CU_ASSERT_TRUE(spiffe_cert_has_td(x, "td2"));
	CU_ASSERT_FALSE(spiffe_cert_has_td(x, "td3"));
	CU_ASSERT_FALSE(spiffe_cert_has_td(x, "a"));
	X509_free(x);

	x = with_sans("DNS:model.shop,URI:https://x/y");
	CU_ASSERT_EQUAL(spiffe_from_cert(x, &id), -ENOENT);
	X509_free(x);
	x = X509_new();	/* no SAN at all */
	CU_ASSERT_EQUAL(spiffe_from_cert(x, &id), -ENOENT);
	X509_free(x);
}

/* What we issue: empty subject, one critical URI SAN, both EKUs. */
static void test_leaf_shape(void)
{
	EVP_PKEY *k = x509_p256_key();
	time_t now = time(NULL);
	struct x509_spec s = {
		.key = k, .uri_san = "spiffe://cluster.local/ns/a/sa/b",
		.not_before = now, .not_after = now + 3600,
	};
	struct x509_spec cas = {
		.key = x509_p256_key(), .cn = "root", .is_ca = true,
		.not_before = now, .not_after = now + 3600,
	};
	X509 *ca = x509_make(&cas), *leaf;
	int crit = -1, idx;

	s.issuer = ca;
	s.issuer_key = cas.key;
	leaf = x509_make(&s);
	CU_ASSERT_FATAL(leaf != NULL);
	CU_ASSERT_EQUAL(X509_NAME_entry_count(X509_get_subject_name(leaf)), 0);
	idx = X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1);
	CU_ASSERT_FATAL(idx >= 0);
	crit = X509_EXTENSION_get_critical(X509_get_ext(leaf, idx));
	CU_ASSERT_EQUAL(crit, 1);
	CU_ASSERT(X509_get_extended_key_usage(leaf) ==
		  (XKU_SSL_SERVER | XKU_SSL_CLIENT));
	CU_ASSERT_EQUAL(X509_check_ca(leaf), 0);
	CU_ASSERT(X509_check_ca(ca) >= 1);
	CU_ASSERT_TRUE(x509_self_signed(ca));
	CU_ASSERT_FALSE(x509_self_signed(leaf));
	CU_ASSERT_EQUAL(X509_verify(leaf, cas.key), 1);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(k);
	EVP_PKEY_free(cas.key);
}

UNIT_SUITE(tls_spiffe)
{
	UNIT_TEST(s, test_parse_table);
	UNIT_TEST(s, test_parse_limits);
	UNIT_TEST(s, test_make_format);
	UNIT_TEST(s, test_from_cert);
	UNIT_TEST(s, test_leaf_shape);
}
