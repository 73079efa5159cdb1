// SPDX-License-Identifier: Apache-2.0
/* Malformed and smuggling requests: each is answered 400 (431 when too
 * big), the connection closes, and the workload reads nothing at all:
 * neither the request nor anything behind it. */
#include "harness.h"
#include "hfilt_fix.h"

#define H "Host: m\r\n"
#define NEXT "GET /next HTTP/1.1\r\n" H "\r\n"

static const struct {
	const char *name, *req;
} bad[] = {
	{ "CL+TE", "POST /a HTTP/1.1\r\n" H "Content-Length: 4\r\n"
		   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" NEXT },
	{ "TE+CL", "POST /a HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
		   "Content-Length: 4\r\n\r\n0\r\n\r\n" NEXT },
	{ "two CL", "POST /a HTTP/1.1\r\n" H "Content-Length: 0\r\n"
		    "Content-Length: 0\r\n\r\n" NEXT },
	{ "two CL apart", "POST /a HTTP/1.1\r\n" H "Content-Length: 0\r\n"
			  "Content-Length: 30\r\n\r\n" NEXT },
	{ "CL list", "POST /a HTTP/1.1\r\n" H "Content-Length: 0, 30\r\n\r\n"
		     NEXT },
	{ "two TE", "POST /a HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
	{ "TE gzip", "POST /a HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked"
		     "\r\n\r\n0\r\n\r\n" },
	{ "TE identity", "POST /a HTTP/1.1\r\n" H "Transfer-Encoding: identity"
			 "\r\n\r\n" NEXT },
	{ "obs-fold", "GET /a HTTP/1.1\r\n" H "X-A: 1\r\n x\r\n\r\n" },
	{ "obs-fold tab", "GET /a HTTP/1.1\r\n" H "X-A: 1\r\n\tx\r\n\r\n" },
	{ "folded TE", "POST /a HTTP/1.1\r\n" H "X-A: 1\r\n"
		       " Transfer-Encoding: chunked\r\n\r\n" },
	{ "bad chunk size", "POST /a HTTP/1.1\r\n" H "Transfer-Encoding: "
			    "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" },
	{ "chunk size overflow", "POST /a HTTP/1.1\r\n" H "Transfer-Encoding: "
				 "chunked\r\n\r\nfffffffffffffffff1\r\n" },
	{ "bad CL", "POST /a HTTP/1.1\r\n" H "Content-Length: 1x\r\n\r\n" },
	{ "NUL in header", "GET /a HTTP/1.1\r\n" H "X-A: a\0b\r\n\r\n" },
	{ "bare LF", "GET /a HTTP/1.1\n" H "X-A: 1\n\n" },
	{ "bare CR", "GET /a HTTP/1.1\r\n" H "X-A: 1\rX-B: 2\r\n\r\n" },
	{ "bad method", "G@T /a HTTP/1.1\r\n" H "\r\n" },
	{ "lower method", "get /a HTTP/1.1\r\n" H "\r\n" },
	{ "HTTP/1.2", "GET /a HTTP/1.2\r\n" H "\r\n" },
	{ "HTTP/2.0", "GET /a HTTP/2.0\r\n" H "\r\n" },
	{ "no version", "GET /a\r\n" H "\r\n" },
	{ "no Host", "GET /a HTTP/1.1\r\nX-A: 1\r\n\r\n" },
	{ "two Host", "GET /a HTTP/1.1\r\n" H "Host: admin\r\n\r\n" },
	{ "space before colon", "GET /a HTTP/1.1\r\nHost : m\r\n\r\n" },
	{ "space in name", "GET /a HTTP/1.1\r\n" H "X A: 1\r\n\r\n" },
	{ "CONNECT", "CONNECT m:80 HTTP/1.1\r\n" H "\r\n" },
	{ "absolute-form", "GET http://m/a HTTP/1.1\r\n" H "\r\n" },
	{ "asterisk", "OPTIONS * HTTP/1.1\r\n" H "\r\n" },
	{ "CTL in value", "GET /a HTTP/1.1\r\n" H "X-A: a\x01" "b\r\n\r\n" },
};

/* A bad chunk size that arrives after the head went out can only reset
 * the stream (late_bad_chunk_resets); whole, it is refused up front. */
static bool late_when_piecewise(const char *name)
{
	return strstr(name, "chunk") != NULL;
}

/* One at a time, whole and byte by byte: 400, close, nothing through. */
static void each_refused(const char *name, const char *req, size_t n,
			 size_t step)
{
	struct hf t;

	hf_open(&t);
	if (step < n && late_when_piecewise(name)) {
		CU_ASSERT_EQUAL(hf_client(&t, req, n, step), -1);
		CU_ASSERT_EQUAL(hfilt_stats(t.f)->bad, 1);
		hf_close(&t);
		return;
	}
	hf_client(&t, req, n, step);
	if (t.app.len || !hf_has(&t.client, "HTTP/1.1 400 Bad Request\r\n"))
		fprintf(stderr, "\n  case '%s' step %zu: app read %zu bytes\n",
			name, step, t.app.len);
	CU_ASSERT_EQUAL(t.app.len, 0);
	CU_ASSERT_TRUE(hf_has(&t.client, "HTTP/1.1 400 Bad Request\r\n"));
	CU_ASSERT_TRUE(hfilt_shut_client(t.f));
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->bad, 1);
	CU_ASSERT_EQUAL(t.pol.judged, 0);
	hf_close(&t);
}

static void smuggling_and_malformed(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i].req);

		if (!strcmp(bad[i].name, "NUL in header"))
			n = sizeof("GET /a HTTP/1.1\r\n" H "X-A: a\0b\r\n\r\n") - 1;
		each_refused(bad[i].name, bad[i].req, n, n);
		each_refused(bad[i].name, bad[i].req, n, 1);
	}
}

/* After an allowed request, a bad one: the first's response, then 400. */
static void bad_after_good_waits_its_turn(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, "GET /a HTTP/1.1\r\n" H "\r\n"
					"GET /b HTTP/1.1\r\n" H H "\r\n"), 0);
	CU_ASSERT_STRING_EQUAL(t.app.b, "GET /a HTTP/1.1\r\n" H "\r\n");
	CU_ASSERT_EQUAL(t.client.len, 0);
	CU_ASSERT_EQUAL(hf_app_s(&t, "HTTP/1.1 204 No Content\r\n\r\n"), 0);
	CU_ASSERT_TRUE(hf_has(&t.client, "HTTP/1.1 204 No Content\r\n\r\n"
				       "HTTP/1.1 400"));
	hf_close(&t);
}

/* A bad chunk after the head went out: only a reset is left. */
static void late_bad_chunk_resets(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, "POST /a HTTP/1.1\r\n" H
					"Transfer-Encoding: chunked\r\n\r\n"
					"5\r\nhello\r\n"), 0);
	CU_ASSERT_EQUAL(hf_client_s(&t, "zz\r\n"), -1);
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->bad, 1);
	hf_close(&t);
}

static void oversized(void)
{
	static const char line[] = "X-Pad: 0123456789012345678901234567890123"
				   "456789012345678901234567890123456789\r\n";
	size_t i, n = 0;
	char *req = malloc(70u << 10);
	struct hf t;

	CU_ASSERT_FATAL(req != NULL);
	n += (size_t)sprintf(req, "GET /a HTTP/1.1\r\n" H);
	for (i = 0; n + sizeof(line) < (62u << 10); i++)
		n += (size_t)sprintf(req + n, "%s", line);
	n += (size_t)sprintf(req + n, "\r\n");
	hf_open(&t);
	hf_client(&t, req, n, 4096);
	CU_ASSERT_EQUAL(t.app.len, 0);
	CU_ASSERT_TRUE(hf_has(&t.client, "HTTP/1.1 431 "));
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->bad, 1);
	hf_close(&t);

	/* 101 small headers: too many */
	n = (size_t)sprintf(req, "GET /a HTTP/1.1\r\n" H);
	for (i = 0; i < 100; i++)
		n += (size_t)sprintf(req + n, "X-%zu: 1\r\n", i);
	n += (size_t)sprintf(req + n, "\r\n");
	hf_open(&t);
	hf_client(&t, req, n, n);
	CU_ASSERT_EQUAL(t.app.len, 0);
	CU_ASSERT_TRUE(hf_has(&t.client, "HTTP/1.1 431 "));
	hf_close(&t);

	/* 100 are fine */
	n = (size_t)sprintf(req, "GET /a HTTP/1.1\r\n" H);
	for (i = 0; i < 99; i++)
		n += (size_t)sprintf(req + n, "X-%zu: 1\r\n", i);
	n += (size_t)sprintf(req + n, "\r\n");
	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client(&t, req, n, n), 0);
	CU_ASSERT_EQUAL(t.app.len, n);
	hf_close(&t);
	free(req);
}

UNIT_SUITE(hfilt_smuggle)
{
	UNIT_TEST(s, smuggling_and_malformed);
	UNIT_TEST(s, bad_after_good_waits_its_turn);
	UNIT_TEST(s, late_bad_chunk_resets);
	UNIT_TEST(s, oversized);
}
