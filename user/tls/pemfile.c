// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pemfile.h"

int tls_why(int err, char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return err;
}

/* Opens <dir>/<name> for reading as a stdio stream, refusing symlinks and
 * anything but a regular file; <st> gets its status (from the open fd, so
 * a rename in between changes nothing). */
static FILE *open_regular(const char *dir, const char *name, struct stat *st,
			  char *why, size_t n)
{
	char path[4096];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		tls_why(0, why, n, "%s: %s%s", path, strerror(errno),
			errno == ENOENT ? " (create it, e.g. with `infermesh "
					  "ca init DIR`)" : "");
		return NULL;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		tls_why(0, why, n, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

EVP_PKEY *pem_key_load(const char *dir, const char *name, char *why,
		       size_t n)
{
	EVP_PKEY *key = NULL;
	struct stat st;
	FILE *f = open_regular(dir, name, &st, why, n);

	if (!f)
		return NULL;
	if (st.st_uid != geteuid())
		tls_why(0, why, n, "%s/%s: owned by uid %u, not by us (uid %u): "
			"chown it", dir, name, (unsigned int)st.st_uid,
			(unsigned int)geteuid());
	else if (st.st_mode & 077)
		tls_why(0, why, n, "%s/%s: a private key readable or writable "
			"by others (mode %04o): chmod 0600 it", dir, name,
			(unsigned int)(st.st_mode & 07777));
	else if (!(key = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		tls_why(0, why, n, "%s/%s: no PEM private key in it (an "
			"encrypted key is not supported)", dir, name);
	fclose(f);
	return key;
}

STACK_OF(X509) *pem_certs_load(const char *dir, const char *name, char *why,
			       size_t n)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct stat st;
	FILE *f = open_regular(dir, name, &st, why, n);
	X509 *x;

	if (!f || !sk) {
		sk_X509_free(sk);
		if (f)
			fclose(f);
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)))
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	ERR_clear_error();	/* the read that ended the loop */
	fclose(f);
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		tls_why(0, why, n, "%s/%s: no PEM certificate in it", dir, name);
		return NULL;
	}
	return sk;
}

/* Creates <name> with <mode> (never over an existing file) as a stream. */
static FILE *create(int dirfd, const char *name, mode_t mode, char *why,
		    size_t n)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		int e = errno;

		tls_why(0, why, n, "%s: %s%s", name, strerror(e),
			e == EEXIST ? " (a CA is there already: keep it "
				      "or remove it first)" : "");
		errno = e;
		return NULL;
	}
	fchmod(fd, mode);	/* whatever the umask */
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

/* Closes <f>; on failure removes the half-written <name>. */
static int finish(FILE *f, bool ok, int dirfd, const char *name, char *why,
		  size_t n)
{
	if (fclose(f))
		ok = false;
	if (ok)
		return 0;
	unlinkat(dirfd, name, 0);
	return tls_why(-EIO, why, n, "%s: could not be written", name);
}

int pem_key_write(int dirfd, const char *name, EVP_PKEY *key, char *why,
		  size_t n)
{
	FILE *f = create(dirfd, name, 0600, why, n);

	if (!f)
		return -errno;
	/* PKCS#8, the only form ztunnel and Istio load */
	return finish(f, PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
					      NULL), dirfd, name, why, n);
}

int pem_certs_write(int dirfd, const char *name, X509 *const *certs,
		    size_t count, char *why, size_t n)
{
	FILE *f = create(dirfd, name, 0644, why, n);
	bool ok = true;
	size_t i;

	if (!f)
		return -errno;
	for (i = 0; i < count; i++)
		ok = ok && PEM_write_X509(f, certs[i]);
	return finish(f, ok, dirfd, name, why, n);
}
