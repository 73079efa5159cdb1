// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/dirs.h"
#include "ca.h"
#include "pemfile.h"
#include "x509_make.h"

void tls_ca_free(struct tls_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	sk_X509_pop_free(ca->chain, X509_free);
	X509_STORE_free(ca->roots);
	memset(ca, 0, sizeof(*ca));
}

/* Appends each certificate of <from> to <to> unless it is a root or
 * already there. */
static bool chain_add(STACK_OF(X509) *to, STACK_OF(X509) *from)
{
	int i, j;

	for (i = 0; i < sk_X509_num(from); i++) {
		X509 *x = sk_X509_value(from, i);
		bool dup = x509_self_signed(x);

		for (j = 0; !dup && j < sk_X509_num(to); j++)
			dup = !X509_cmp(x, sk_X509_value(to, j));
		if (dup)
			continue;
		if (!X509_up_ref(x) || !sk_X509_push(to, x))
			return false;
	}
	return true;
}

static X509_STORE *store_of(STACK_OF(X509) *roots)
{
	X509_STORE *s = X509_STORE_new();
	int i;

	for (i = 0; s && i < sk_X509_num(roots); i++)
		if (!X509_STORE_add_cert(s, sk_X509_value(roots, i))) {
			X509_STORE_free(s);
			return NULL;
		}
	return s;
}

/* ca-cert must be a CA and reach a root of root-cert through cert-chain,
 * or every SVID it signs would be refused by the peers. */
static int check_chain(struct tls_ca *ca, const char *dir, char *why,
		       size_t n)
{
	X509_STORE_CTX *vc = X509_STORE_CTX_new();
	int ok = -1, err = 0;

	if (X509_check_ca(ca->cert) < 1) {
		X509_STORE_CTX_free(vc);
		return tls_why(-EINVAL, why, n, "%s/" CA_CERT_FILE ": not a CA "
			       "certificate (basicConstraints CA:TRUE missing)",
			       dir);
	}
	if (vc && X509_STORE_CTX_init(vc, ca->roots, ca->cert, ca->chain)) {
		ok = X509_verify_cert(vc);
		err = X509_STORE_CTX_get_error(vc);
	}
	X509_STORE_CTX_free(vc);
	if (ok == 1)
		return 0;
	return tls_why(-EINVAL, why, n, "%s/" CA_CERT_FILE ": does not chain "
		       "to " CA_ROOT_FILE " through " CA_CHAIN_FILE ": %s; put "
		       "the intermediates in " CA_CHAIN_FILE " and the root "
		       "in " CA_ROOT_FILE, dir, X509_verify_cert_error_string(err));
}

static int load_certs(struct tls_ca *ca, const char *dir, char *why, size_t n)
{
	STACK_OF(X509) *cert = NULL, *inter = NULL, *roots = NULL;
	int err = -EINVAL;

	if (!(cert = pem_certs_load(dir, CA_CERT_FILE, why, n)) ||
	    !(inter = pem_certs_load(dir, CA_CHAIN_FILE, why, n)) ||
	    !(roots = pem_certs_load(dir, CA_ROOT_FILE, why, n)))
		goto out;
	ca->cert = sk_X509_value(cert, 0);
	X509_up_ref(ca->cert);
	err = -ENOMEM;
	ca->chain = sk_X509_new_null();
	ca->roots = store_of(roots);
	if (ca->chain && ca->roots && chain_add(ca->chain, cert) &&
	    chain_add(ca->chain, inter))
		err = 0;
	else
		tls_why(err, why, n, "%s: out of memory", dir);
out:
	sk_X509_pop_free(cert, X509_free);
	sk_X509_pop_free(inter, X509_free);
	sk_X509_pop_free(roots, X509_free);
	return err;
}

int tls_ca_load(struct tls_ca *ca, const char *dir, char *why, size_t n)
{
	int err;

	memset(ca, 0, sizeof(*ca));
	ca->key = pem_key_load(dir, CA_KEY_FILE, why, n);
	err = ca->key ? load_certs(ca, dir, why, n) : -EINVAL;
	if (!err && X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		err = tls_why(-EINVAL, why, n, "%s/" CA_KEY_FILE " does not "
			      "match %s/" CA_CERT_FILE ": give the key that "
			      "certificate was made for", dir, dir);
	}
	err = err ?: check_chain(ca, dir, why, n);
	if (err)
		tls_ca_free(ca);
	return err;
}

/* Writes a new self-signed root and its key into <dirfd>: the root is
 * ca-cert, cert-chain and root-cert at once, as in Istio's self-signed
 * cacerts. The key goes last, so a CA counts as there only once whole. */
static int write_root(int dirfd, char *why, size_t n)
{
	EVP_PKEY *key = x509_p256_key();
	time_t now = time(NULL);
	struct x509_spec s = {
		.key = key, .cn = "infermesh root CA", .is_ca = true,
		.not_before = now - 3600,
		.not_after = now + (time_t)CA_ROOT_DAYS * 86400,
	};
	X509 *root = key ? x509_make(&s) : NULL;
	int err = -ENOMEM;

	if (root) {
		err = pem_certs_write(dirfd, CA_CERT_FILE, &root, 1, why, n);
		err = err ?: pem_certs_write(dirfd, CA_CHAIN_FILE, &root, 1, why, n);
		err = err ?: pem_certs_write(dirfd, CA_ROOT_FILE, &root, 1, why, n);
		err = err ?: pem_key_write(dirfd, CA_KEY_FILE, key, why, n);
	} else {
		tls_why(err, why, n, "could not make a key and root certificate");
	}
	X509_free(root);
	EVP_PKEY_free(key);
	return err;
}

int tls_ca_init(const char *dir, char *why, size_t n)
{
	char sub[256] = "";
	int fd = dir_open_private(dir, sub, sizeof(sub)), err;

	if (fd < 0)
		return tls_why(fd, why, n, "%s: %s", dir, sub);
	err = write_root(fd, sub, sizeof(sub));
	close(fd);
	return err ? tls_why(err, why, n, "%s/%s", dir, sub) : 0;
}

int tls_ca_builtin(struct tls_ca *ca, const char *state_dir, char *why,
		   size_t n)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct stat st;
	int err;

	snprintf(dir, sizeof(dir), "%s/" CA_BUILTIN_SUBDIR, state_dir);
	snprintf(path, sizeof(path), "%s/" CA_CERT_FILE, dir);
	/* a missing ca-cert means no CA yet; any other state is loaded and
	 * judged, never overwritten */
	if (lstat(path, &st) && errno == ENOENT) {
		err = tls_ca_init(dir, why, n);
		if (err)
			return err;
	}
	return tls_ca_load(ca, dir, why, n);
}
