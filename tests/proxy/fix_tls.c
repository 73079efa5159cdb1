// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "fix_tls.h"
#include "proxy/hbone.h"

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EINVAL;
}

/* An unsigned certificate for <key>, issued by <issuer> (NULL: itself),
 * valid from an hour ago for a day. */
static X509 *make_cert(EVP_PKEY *key, X509 *issuer, const char *cn, long serial)
{
	X509 *c = X509_new();
	X509_NAME *name;

	if (!c)
		return NULL;
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	return c;
}

int fix_ca_new(struct fix_ca *ca)
{
	ca->key = EVP_EC_gen("P-256");
	ca->cert = ca->key ? make_cert(ca->key, NULL, "infermesh test CA", 1)
			   : NULL;
	if (!ca->cert ||
	    add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE") ||
	    add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !X509_sign(ca->cert, ca->key, EVP_sha256())) {
		fix_ca_free(ca);
		return -EINVAL;
	}
	return 0;
}

void fix_ca_free(struct fix_ca *ca)
{
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	ca->cert = NULL;
	ca->key = NULL;
}

int fix_leaf_new(const struct fix_ca *ca, const char *uri, struct fix_leaf *l)
{
	static long serial = 100;
	char san[600];

	l->key = EVP_EC_gen("P-256");
	l->cert = l->key ? make_cert(l->key, ca->cert, "", ++serial) : NULL;
	snprintf(san, sizeof(san), "critical,URI:%s", uri ? uri : "");
	if (!l->cert || (uri && add_ext(l->cert, ca->cert, NID_subject_alt_name, san)) ||
	    add_ext(l->cert, ca->cert, NID_key_usage,
		    "critical,digitalSignature,keyAgreement") ||
	    add_ext(l->cert, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    !X509_sign(l->cert, ca->key, EVP_sha256())) {
		fix_leaf_free(l);
		return -EINVAL;
	}
	return 0;
}

void fix_leaf_free(struct fix_leaf *l)
{
	X509_free(l->cert);
	EVP_PKEY_free(l->key);
	l->cert = NULL;
	l->key = NULL;
}

/* TLS 1.3, AES-GCM, P-256/X25519, ALPN h2, a mandatory peer certificate,
 * no resumption: what ztunnel does (hbone-facts section 2). */
static SSL_CTX *base_ctx(bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256") ||
	    !SSL_CTX_set1_groups_list(ctx, "P-256:X25519") ||
	    hbone_tls_alpn(ctx, server)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/* ztunnel's client resumes nothing; neither do these */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
}

SSL_CTX *fix_ctx(const struct fix_ca *ca, const struct fix_leaf *l, bool server)
{
	SSL_CTX *ctx = base_ctx(server);

	if (ctx && (SSL_CTX_use_certificate(ctx, l->cert) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, l->key) != 1 ||
		    !X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca->cert))) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *fix_ctx_files(const char *dir, const char *name, bool server)
{
	char ca[512], cert[512], key[512];
	SSL_CTX *ctx = base_ctx(server);

	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/%s.pem", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	if (ctx && (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int write_file(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -errno;
	ok = cert ? PEM_write_X509(f, cert)
		  : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return fclose(f) || !ok ? -EIO : 0;
}

int fix_write_pem(const struct fix_ca *ca, const struct fix_leaf *l,
		  const char *ca_path, const char *cert_path,
		  const char *key_path)
{
	if (ca_path && write_file(ca_path, ca->cert, NULL))
		return -EIO;
	if (write_file(cert_path, l->cert, NULL) || write_file(key_path, NULL, l->key))
		return -EIO;
	return 0;
}
