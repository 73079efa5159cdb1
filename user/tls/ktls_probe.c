// SPDX-License-Identifier: Apache-2.0
/* Is the kernel path live here? Asked once per process, on a loopback
 * pair, the way `infermesh features` asks. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../kernel/loopback.h"
#include "ktls.h"

int ktls_ulp_try_unconnected(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	err = setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) ?
		      errno :
		      0;
	close(fd);
	/* the ULP was found, and only then refused the socket */
	return err == ENOTCONN ? 0 : err;
}

int ktls_ulp_try(void)
{
	int fds[2], err;

	err = loopback_pair(fds);
	if (err) {
		/* a namespace whose loopback is down still has an answer */
		int u = ktls_ulp_try_unconnected();

		return u == 0 || u == ENOENT ? u : err;
	}
	err = setsockopt(fds[0], IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) ?
		      errno :
		      0;
	close(fds[0]);
	close(fds[1]);
	return err;
}

static int probe_err;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe(void)
{
	probe_err = ktls_ulp_try();
}

int ktls_kernel_has_tls(char *why, size_t n)
{
	pthread_once(&probe_once, probe);
	if (why && !probe_err)
		snprintf(why, n, "kernel TLS: setsockopt(TCP_ULP, \"tls\") "
				 "accepted");
	else if (why && probe_err == ENOENT)
		snprintf(why, n, "userspace OpenSSL: no TLS ULP in this kernel "
				 "(CONFIG_TLS off or the tls module absent)");
	else if (why && probe_err < 0)
		snprintf(why, n, "userspace OpenSSL: no loopback TCP pair to "
				 "try TCP_ULP on: %s", strerror(-probe_err));
	else if (why)
		snprintf(why, n, "userspace OpenSSL: setsockopt(TCP_ULP, "
				 "\"tls\"): %s", strerror(probe_err));
	return !probe_err;
}

const char *ktls_kernel_why(void)
{
	pthread_once(&probe_once, probe);
	if (!probe_err)
		return "kernel has kTLS";
	if (probe_err == ENOENT)
		return "kernel has no kTLS (TCP_ULP tls: ENOENT)";
	if (probe_err < 0)
		return "kTLS not probed: no loopback TCP pair";
	return "kernel refused TCP_ULP tls";
}
