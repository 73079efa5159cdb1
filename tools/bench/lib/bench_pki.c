// SPDX-License-Identifier: Apache-2.0
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_pki.h"
#include "tls/spiffe.h"
#include "tls/svid.h"
#include "tls/x509_make.h"

int bench_ca_make(struct tls_ca *ca)
{
	time_t now = time(NULL);
	struct x509_spec s = { .cn = "bench root", .is_ca = true,
			       .not_before = now - 60, .not_after = now + 7200 };

	memset(ca, 0, sizeof(*ca));
	s.key = ca->key = x509_p256_key();
	ca->cert = ca->key ? x509_make(&s) : NULL;
	ca->chain = sk_X509_new_null();
	ca->roots = X509_STORE_new();
	return ca->cert && ca->chain && ca->roots &&
	       X509_STORE_add_cert(ca->roots, ca->cert) == 1 ? 0 : -1;
}

struct tls_ctx *bench_ctx(const struct tls_ca *ca, const char *sa,
			  const struct tls_ctx_opts *o)
{
	struct spiffe_id id;
	struct tls_svid svid;
	struct tls_ctx *c = NULL;
	char why[256];

	if (!spiffe_make(&id, "cluster.local", "bench", sa) &&
	    !tls_svid_issue(&svid, ca, &id, time(NULL), 3600)) {
		c = tls_ctx_new(ca, &svid, o, why, sizeof(why));
		tls_svid_free(&svid);
	}
	return c;
}

int bench_listen_lo(struct sockaddr_in *addr, int backlog)
{
	socklen_t l = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)addr, sizeof(*addr)) &&
	    !listen(fd, backlog) &&
	    !getsockname(fd, (struct sockaddr *)addr, &l))
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}
