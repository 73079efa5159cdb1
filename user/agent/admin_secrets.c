// SPDX-License-Identifier: Apache-2.0
/*
 * `proxy-config secrets`: per local workload identity the SVID the agent
 * holds (what `istioctl proxy-config secret` shows for a sidecar): its
 * SPIFFE ID and SAN, the chain it presents (leaf, then the CA's
 * intermediates) with subjects, serials and dates, the PEM of that chain
 * (certificates only: keys never leave the agent), and the next rotation;
 * then the trust anchors.
 */
#include <openssl/pem.h>
#include <string.h>
#include <time.h>

#include "admin_views.h"
#include "context.h"

/* The chain as one PEM string: leaf first, as a peer receives it. */
static json_t *chain_pem(X509 *leaf, STACK_OF(X509) *chain)
{
	BIO *b = BIO_new(BIO_s_mem());
	json_t *j = NULL;
	char *p;
	long l;
	int i;

	if (!b)
		return NULL;
	if (PEM_write_bio_X509(b, leaf)) {
		for (i = 0; i < sk_X509_num(chain); i++)
			PEM_write_bio_X509(b, sk_X509_value(chain, i));
		l = BIO_get_mem_data(b, &p);
		j = json_stringn(p, (size_t)(l > 0 ? l : 0));
	}
	BIO_free(b);
	return j;
}

static json_t *chain_json(X509 *leaf, STACK_OF(X509) *chain)
{
	json_t *a = json_array();
	int i;

	json_array_append_new(a, admin_cert(leaf));
	for (i = 0; i < sk_X509_num(chain); i++)
		json_array_append_new(a, admin_cert(sk_X509_value(chain, i)));
	return a;
}

struct walk {
	const struct tls_ca *ca;
	json_t *rows;
	time_t now;
};

/* Under the store's lock (tls_idents_each): reads only. */
static void one(void *ctx, const struct tls_ident *e)
{
	struct walk *w = ctx;
	char uri[SPIFFE_URI_MAX], t[32];
	json_t *r = admin_cert(e->ctx->leaf);

	if (!r)
		return;
	spiffe_format(&e->id, uri, sizeof(uri));
	admin_time(e->renew_at, t, sizeof(t));
	json_object_set_new(r, "identity", json_string(uri));
	json_object_set_new(r, "san", admin_cert_sans(e->ctx->leaf));
	json_object_set_new(r, "next_rotation", json_string(t));
	json_object_set_new(r, "next_rotation_unix",
			    json_integer((json_int_t)e->renew_at));
	json_object_set_new(r, "valid", json_boolean(
		w->now < e->ctx->not_after &&
		X509_cmp_time(X509_get0_notBefore(e->ctx->leaf), &w->now) < 0));
	json_object_set_new(r, "chain", chain_json(e->ctx->leaf, w->ca->chain));
	json_object_set_new(r, "pem", chain_pem(e->ctx->leaf, w->ca->chain));
	json_array_append_new(w->rows, r);
}

/* root-cert.pem's certificates: the trust anchors peers are checked
 * against. */
json_t *admin_roots(const struct tls_ca *ca)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(ca->roots);
	json_t *a = json_array();
	int i;

	for (i = 0; a && i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (x)
			json_array_append_new(a, admin_cert(x));
	}
	return a;
}

json_t *admin_view_secrets(struct agent *a)
{
	struct walk w = { &a->ca, json_array(), time(NULL) };
	json_t *o = json_object();

	if (!o || !w.rows || !a->idents_open) {
		json_decref(o);
		json_decref(w.rows);
		return json_pack("{s:s}", "error", "no SVID store");
	}
	tls_idents_each(&a->idents, one, &w);
	json_object_set_new(o, "svid_ttl_s", json_integer(a->idents.ttl));
	json_object_set_new(o, "secrets", w.rows);
	json_object_set_new(o, "roots", admin_roots(&a->ca));
	return o;
}
