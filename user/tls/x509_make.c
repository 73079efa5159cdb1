// SPDX-License-Identifier: Apache-2.0
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "x509_make.h"

EVP_PKEY *x509_p256_key(void)
{
	return EVP_EC_gen("P-256");
}

bool x509_self_signed(X509 *x)
{
	/* verify 1 = check the signature too, not only the names */
	return X509_self_signed(x, 1) == 1;
}

static bool set_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	bool ok;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return false;
	b[0] &= 0x7f;	/* DER INTEGER: positive */
	b[0] |= 0x40;	/* and always 16 bytes long */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return ok;
}

/* One extension from OpenSSL's config syntax (constant values only). */
static bool add_conf(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	bool ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

/* The URI SAN built as a GENERAL_NAME, not through the config syntax, so
 * no character of it can be read as syntax. */
static bool add_uri_san(X509 *x, const char *uri)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	bool ok = false;

	if (names && g && s && ASN1_STRING_set(s, uri, -1)) {
		GENERAL_NAME_set0_value(g, GEN_URI, s);
		s = NULL;
		if (sk_GENERAL_NAME_push(names, g)) {
			g = NULL;
			ok = X509_add1_ext_i2d(x, NID_subject_alt_name, names,
					       1, X509V3_ADD_DEFAULT) == 1;
		}
	}
	ASN1_IA5STRING_free(s);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(names);
	return ok;
}

static bool add_exts(X509 *x, const struct x509_spec *s, X509 *issuer)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if (s->is_ca)
		return add_conf(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") &&
		       add_conf(x, &ctx, NID_key_usage,
				"critical,keyCertSign,cRLSign,digitalSignature") &&
		       add_conf(x, &ctx, NID_subject_key_identifier, "hash") &&
		       add_conf(x, &ctx, NID_authority_key_identifier,
				"keyid:always");
	return add_conf(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_conf(x, &ctx, NID_key_usage,
			"critical,digitalSignature,keyEncipherment") &&
	       add_conf(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") &&
	       add_conf(x, &ctx, NID_authority_key_identifier, "keyid") &&
	       (!s->uri_san || add_uri_san(x, s->uri_san));
}

static bool set_subject(X509 *x, const char *cn)
{
	X509_NAME *n = X509_get_subject_name(x);

	return !cn || (X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
						  (const unsigned char *)"infermesh",
						  -1, -1, 0) &&
		       X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
						  (const unsigned char *)cn,
						  -1, -1, 0));
}

X509 *x509_make(const struct x509_spec *s)
{
	X509 *x = X509_new();
	X509 *issuer = s->issuer ? s->issuer : x;
	EVP_PKEY *ikey = s->issuer ? s->issuer_key : s->key;
	bool ok;

	ok = x && X509_set_version(x, X509_VERSION_3) && set_serial(x) &&
	     set_subject(x, s->cn) &&
	     X509_set_issuer_name(x, X509_get_subject_name(issuer)) &&
	     ASN1_TIME_set(X509_getm_notBefore(x), s->not_before) &&
	     ASN1_TIME_set(X509_getm_notAfter(x), s->not_after) &&
	     X509_set_pubkey(x, s->key) && add_exts(x, s, issuer) &&
	     X509_sign(x, ikey, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}
