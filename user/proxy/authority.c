// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "authority.h"

/* "1".."65535", decimal digits only (no sign, no spaces, no leading 0s
 * beyond "0" itself, which is refused anyway). */
static int parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (!len || len > 5 || (s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* A DNS name: labels of [A-Za-z0-9-], 1..63 bytes, not starting or ending
 * with '-', joined by single dots. */
static int valid_hostname(const char *s, size_t len)
{
	size_t i, label = 0;

	if (!len || len > AUTHORITY_HOST_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (!label || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if ((c == '-' && !label) || ++label > 63)
			return 0;
	}
	return label && s[len - 1] != '-';
}

static int parse_host(const char *s, size_t len, struct authority *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (len && s[0] == '[') {
		if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, s + 1, len - 2);
		tmp[len - 2] = '\0';
		a->family = AF_INET6;
		return inet_pton(AF_INET6, tmp, &a->ip.v6) == 1 ? 0 : -EINVAL;
	}
	if (len < sizeof(tmp)) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET, tmp, &a->ip.v4) == 1) {
			a->family = AF_INET;
			return 0;
		}
	}
	/* all digits and dots but not an address ("1.2.3", "999.1.1.1") */
	if (strspn(s, "0123456789.") >= len || !valid_hostname(s, len))
		return -EINVAL;
	a->family = AF_UNSPEC;
	memcpy(a->host, s, len);
	a->host[len] = '\0';
	return 0;
}

int authority_parse(const char *s, size_t len, struct authority *a)
{
	const char *colon;

	memset(a, 0, sizeof(*a));
	colon = len ? memrchr(s, ':', len) : NULL;
	if (!colon || memchr(s, '\0', len))
		return -EINVAL;
	if (parse_port(colon + 1, len - (size_t)(colon + 1 - s), &a->port))
		return -EINVAL;
	return parse_host(s, (size_t)(colon - s), a);
}

int authority_format(const struct sockaddr *sa, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	int w;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		w = snprintf(buf, n, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		w = snprintf(buf, n, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		return -EINVAL;
	}
	return w > 0 && (size_t)w < n ? 0 : -EINVAL;
}
