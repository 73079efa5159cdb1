// SPDX-License-Identifier: Apache-2.0
/* :authority parsing (user/proxy/authority.c): ip:port, [v6]:port and
 * hostname:port take; everything else is refused, which the server turns
 * into 400. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "harness.h"
#include "proxy/authority.h"

static const struct {
	const char *in;
	int family;		/* -1: refused */
	uint16_t port;
} cases[] = {
	{ "10.1.2.3:8081", AF_INET, 8081 },
	{ "127.0.0.1:1", AF_INET, 1 },
	{ "[fd00::1]:15008", AF_INET6, 15008 },
	{ "[::ffff:10.0.0.1]:80", AF_INET6, 80 },
	{ "model-server.ml.svc.cluster.local:8081", AF_UNSPEC, 8081 },
	{ "a:65535", AF_UNSPEC, 65535 },
	{ "10.1.2.3", -1, 0 },			/* no port */
	{ "10.1.2.3:", -1, 0 },
	{ "10.1.2.3:0", -1, 0 },
	{ "10.1.2.3:65536", -1, 0 },
	{ "10.1.2.3:08", -1, 0 },
	{ "10.1.2.3:+8", -1, 0 },
	{ "10.1.2.3:8 ", -1, 0 },
	{ "999.1.1.1:80", -1, 0 },		/* looks numeric, is no address */
	{ "1.2.3:80", -1, 0 },
	{ "fd00::1:80", -1, 0 },		/* v6 without brackets */
	{ "[fd00::1:80", -1, 0 },
	{ "[zz::1]:80", -1, 0 },
	{ ":80", -1, 0 },
	{ "-bad.example:80", -1, 0 },
	{ "bad-.example:80", -1, 0 },
	{ "a..b:80", -1, 0 },
	{ "host_name:80", -1, 0 },
	{ "user@host:80", -1, 0 },
	{ "", -1, 0 },
};

static void authority_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct authority a;
		int r = authority_parse(cases[i].in, strlen(cases[i].in), &a);

		if (cases[i].family < 0) {
			CU_ASSERT_EQUAL(r, -EINVAL);
			if (r != -EINVAL)
				fprintf(stderr, "accepted: '%s'\n", cases[i].in);
			continue;
		}
		CU_ASSERT_EQUAL(r, 0);
		CU_ASSERT_EQUAL(a.family, cases[i].family);
		CU_ASSERT_EQUAL(a.port, cases[i].port);
		if (r || a.family != cases[i].family)
			fprintf(stderr, "refused or misread: '%s'\n", cases[i].in);
	}
}

/* An embedded NUL never passes (the header value is length-counted). */
static void authority_nul(void)
{
	struct authority a;

	CU_ASSERT_EQUAL(authority_parse("10.0.0.1\0:80", 12, &a), -EINVAL);
	CU_ASSERT_EQUAL(authority_parse("a\0b:80", 6, &a), -EINVAL);
}

static void authority_roundtrip(void)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct authority a;
	char buf[AUTHORITY_STR_MAX];

	inet_pton(AF_INET6, "fd00::7", &a6.sin6_addr);
	CU_ASSERT_EQUAL_FATAL(authority_format((struct sockaddr *)&a6, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "[fd00::7]:443");
	CU_ASSERT_EQUAL(authority_parse(buf, strlen(buf), &a), 0);
	CU_ASSERT_EQUAL(memcmp(&a.ip.v6, &a6.sin6_addr, 16), 0);
	CU_ASSERT_EQUAL(authority_format((struct sockaddr *)&a6, buf, 8), -EINVAL);
}

UNIT_SUITE(proxy_authority)
{
	UNIT_TEST(s, authority_table);
	UNIT_TEST(s, authority_nul);
	UNIT_TEST(s, authority_roundtrip);
}
