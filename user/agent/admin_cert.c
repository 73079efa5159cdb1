// SPDX-License-Identifier: Apache-2.0
/* X.509 fields for the admin views (see admin_views.h). */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "admin_views.h"

void admin_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%lld", (long long)t);
}

/* Unix seconds of an ASN1_TIME, or -1. */
static long long unix_of(const ASN1_TIME *at)
{
	struct tm tm;

	if (!at || !ASN1_TIME_to_tm(at, &tm))
		return -1;
	return (long long)timegm(&tm);
}

static json_t *name_json(const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	json_t *j = NULL;
	char *p;
	long l;

	if (!b)
		return NULL;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0) {
		l = BIO_get_mem_data(b, &p);
		j = json_stringn(p, (size_t)(l > 0 ? l : 0));
	}
	BIO_free(b);
	return j;
}

static json_t *serial_json(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;
	json_t *j = h ? json_string(h) : NULL;

	OPENSSL_free(h);
	BN_free(bn);
	return j;
}

static void put_time(json_t *o, const char *key, const ASN1_TIME *at)
{
	char k[32], buf[32];
	long long t = unix_of(at);

	admin_time((time_t)t, buf, sizeof(buf));
	json_object_set_new(o, key, t < 0 ? json_null() : json_string(buf));
	snprintf(k, sizeof(k), "%s_unix", key);
	json_object_set_new(o, k, json_integer(t));
}

json_t *admin_cert(X509 *x)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "subject", name_json(X509_get_subject_name(x)));
	json_object_set_new(o, "issuer", name_json(X509_get_issuer_name(x)));
	json_object_set_new(o, "serial", serial_json(x));
	put_time(o, "not_before", X509_get0_notBefore(x));
	put_time(o, "not_after", X509_get0_notAfter(x));
	return o;
}

json_t *admin_cert_sans(X509 *x)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	json_t *a = json_array();
	char buf[1100];
	int i;

	for (i = 0; g && a && i < sk_GENERAL_NAME_num(g); i++) {
		const GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);
		const char *kind = n->type == GEN_URI ? "URI" :
				   n->type == GEN_DNS ? "DNS" : NULL;
		const ASN1_IA5STRING *s = n->type == GEN_URI ?
			n->d.uniformResourceIdentifier : n->d.dNSName;

		if (!kind)
			continue;
		snprintf(buf, sizeof(buf), "%s:%.*s", kind, s->length,
			 (const char *)s->data);
		json_array_append_new(a, json_string(buf));
	}
	GENERAL_NAMES_free(g);
	return a;
}
