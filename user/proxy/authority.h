/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The :authority of an HBONE CONNECT: "ip:port", "[v6]:port", or (as
 * ztunnel accepts since 1.26) "hostname:port". Nothing else.
 */
#ifndef IM_PROXY_AUTHORITY_H
#define IM_PROXY_AUTHORITY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define AUTHORITY_HOST_MAX 253	/* a DNS name, RFC 1035 */
#define AUTHORITY_STR_MAX 264	/* "[v6]:65535" or host:65535, with NUL */

struct authority {
	int family;		/* AF_INET, AF_INET6, or AF_UNSPEC: a hostname */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} ip;
	uint16_t port;		/* host order, 1..65535 */
	char host[AUTHORITY_HOST_MAX + 1]; /* AF_UNSPEC only */
};

/* Parses <len> bytes of <s> (no NUL needed). Returns 0 or -EINVAL. */
int authority_parse(const char *s, size_t len, struct authority *a);
/* Writes "ip:port" / "[v6]:port" for an AF_INET/AF_INET6 address into
 * <buf> (AUTHORITY_STR_MAX is enough). Returns 0 or -EINVAL. */
int authority_format(const struct sockaddr *sa, char *buf, size_t n);

#endif
