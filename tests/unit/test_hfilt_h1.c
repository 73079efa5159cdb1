// SPDX-License-Identifier: Apache-2.0
/* The HTTP/1.1 filter on buffers (hfilt_fix.h's fake policy): what the
 * workload and the client read, request by request. */
#include "harness.h"
#include "hfilt_fix.h"

#define POST_OK "POST /v1/predict HTTP/1.1\r\nHost: m\r\n" \
		"Content-Length: 5\r\n\r\nhello"
#define GET_DENY "GET /deny HTTP/1.1\r\nHost: m\r\n\r\n"
#define RESP_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

static void allowed_request_passes_unchanged(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, POST_OK), 0);
	CU_ASSERT_STRING_EQUAL(t.app.b, POST_OK);
	CU_ASSERT_STRING_EQUAL(t.pol.last_path, "/v1/predict");
	CU_ASSERT_STRING_EQUAL(t.pol.last_host, "m");
	CU_ASSERT_EQUAL(hf_app_s(&t, RESP_OK), 0);
	CU_ASSERT_STRING_EQUAL(t.client.b, RESP_OK);
	CU_ASSERT_FALSE(hfilt_shut_client(t.f));
	/* keep-alive: the next request on the same stream */
	CU_ASSERT_EQUAL(hf_client_s(&t, POST_OK), 0);
	CU_ASSERT_EQUAL(hf_count(&t.app, "POST /v1/predict"), 2);
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->requests, 2);
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->denied, 0);
	hf_close(&t);
}

/* The block's byte rules are not the body's: a body with NUL and bare LF
 * in the same segment as its head passes whole. */
static void binary_body_with_head(void)
{
	static const char req[] = "POST /up HTTP/1.1\r\nHost: m\r\n"
				  "Content-Length: 6\r\n\r\na\0b\nc\r";
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client(&t, req, sizeof(req) - 1, sizeof(req)), 0);
	CU_ASSERT_EQUAL_FATAL(t.app.len, sizeof(req) - 1);
	CU_ASSERT_EQUAL(memcmp(t.app.b, req, sizeof(req) - 1), 0);
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->bad, 0);
	hf_close(&t);
}

static void denied_request_gets_403_and_close(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, GET_DENY "trailing junk"), 0);
	CU_ASSERT_EQUAL(t.app.len, 0);
	CU_ASSERT_TRUE(hf_has(&t.client, "HTTP/1.1 403 Forbidden\r\n"));
	CU_ASSERT_TRUE(hf_has(&t.client, "content-length: 19\r\n"));
	CU_ASSERT_TRUE(hf_has(&t.client, "connection: close\r\n"));
	CU_ASSERT_TRUE(hf_has(&t.client, "\r\n\r\nRBAC: access denied"));
	CU_ASSERT_TRUE(hfilt_shut_client(t.f));
	CU_ASSERT_TRUE(hfilt_shut_app(t.f));
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->denied, 1);
	hf_close(&t);
}

/* Two allowed, one refused, one more: the workload sees the first two
 * only; the client reads their responses, then the 403, in order. */
static void pipelined_refusal_keeps_order(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, POST_OK POST_OK GET_DENY POST_OK), 0);
	CU_ASSERT_STRING_EQUAL(t.app.b, POST_OK POST_OK);
	CU_ASSERT_EQUAL(t.client.len, 0);
	CU_ASSERT_FALSE(hfilt_shut_client(t.f));
	CU_ASSERT_EQUAL(hf_app_s(&t, RESP_OK), 0);
	CU_ASSERT_STRING_EQUAL(t.client.b, RESP_OK);
	CU_ASSERT_EQUAL(hf_app_s(&t, RESP_OK), 0);
	CU_ASSERT_TRUE(hf_has(&t.client, RESP_OK RESP_OK "HTTP/1.1 403"));
	CU_ASSERT_TRUE(hfilt_shut_client(t.f));
	CU_ASSERT_EQUAL(t.pol.judged, 3);	/* the fourth never judged */
	hf_close(&t);
}

static void chunked_request_byte_by_byte(void)
{
	static const char req[] =
		"POST /up HTTP/1.1\r\nHost: m\r\nTransfer-Encoding: chunked\r\n"
		"\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n";
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client(&t, req, strlen(req), 1), 0);
	CU_ASSERT_STRING_EQUAL(t.app.b, req);
	CU_ASSERT_EQUAL(hf_app_s(&t, RESP_OK), 0);
	CU_ASSERT_EQUAL(hf_client_s(&t, GET_DENY), 0);
	CU_ASSERT_TRUE(hf_has(&t.client, RESP_OK "HTTP/1.1 403"));
	hf_close(&t);
}

/* A chunked event stream: each piece reaches the client as it comes. */
static void sse_response_streams(void)
{
	static const char *const ev[] = {
		"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
		"b\r\ndata: one\n\n\r\n", "b\r\ndata: two\n\n\r\n", "0\r\n\r\n",
	};
	struct hf t;
	size_t i, before;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, "GET /events HTTP/1.1\r\nHost: m\r\n\r\n"),
			0);
	for (i = 0; i < 4; i++) {
		before = t.client.len;
		CU_ASSERT_EQUAL(hf_app_s(&t, ev[i]), 0);
		CU_ASSERT_EQUAL(t.client.len - before, strlen(ev[i]));
	}
	CU_ASSERT_EQUAL(hf_client_s(&t, POST_OK), 0);	/* response ended */
	CU_ASSERT_EQUAL(hf_count(&t.app, "HTTP/1.1\r\n"), 2);
	hf_close(&t);
}

/* 10 MB through queues of HFILT_QUEUE_MAX: never held whole, and a feed
 * with no drain stops taking at the bound. */
static void big_body_is_streamed(void)
{
	const size_t total = 10u << 20;
	char head[128], *piece = malloc(64u << 10);
	struct hf t;
	size_t sent = 0, used;

	CU_ASSERT_FATAL(piece != NULL);
	memset(piece, 'x', 64u << 10);
	hf_open(&t);
	t.count_only = true;
	snprintf(head, sizeof(head),
		 "PUT /blob HTTP/1.1\r\nHost: m\r\nContent-Length: %zu\r\n\r\n",
		 total);
	CU_ASSERT_EQUAL(hf_client_s(&t, head), 0);
	while (sent < total) {
		size_t k = total - sent < 4096 ? total - sent : 4096;

		CU_ASSERT_FATAL(hf_client(&t, piece, k, k) == 0);
		sent += k;
		if (sent == total / 2) {	/* the client outruns the app */
			CU_ASSERT_EQUAL(hfilt_from_client(t.f, (uint8_t *)piece,
							  64u << 10, &used), 0);
			sent += used;
			CU_ASSERT_TRUE(hfilt_to_app(t.f)->len <=
				       hfilt_to_app(t.f)->max);
			CU_ASSERT_EQUAL(hfilt_from_client(t.f, (uint8_t *)piece,
							  64u << 10, &used), 0);
			while (hfilt_to_app(t.f)->len <
			       hfilt_to_app(t.f)->max - 1 && used) {
				sent += used;
				CU_ASSERT_EQUAL(hfilt_from_client(
					t.f, (uint8_t *)piece, 64u << 10, &used), 0);
			}
			sent += used;
			CU_ASSERT_EQUAL(hfilt_to_app(t.f)->len,
					hfilt_to_app(t.f)->max);
			hf_drain(&t);
		}
	}
	CU_ASSERT_EQUAL(t.app.len, strlen(head) + total);
	CU_ASSERT_TRUE(t.max_to_app <= hfilt_to_app(t.f)->max);
	CU_ASSERT_TRUE(hfilt_to_app(t.f)->cap <= hfilt_to_app(t.f)->max);
	CU_ASSERT_EQUAL(hf_client_s(&t, GET_DENY), 0);	/* body ended there */
	CU_ASSERT_EQUAL(t.pol.judged, 2);
	hf_close(&t);
	free(piece);
}

/* HEAD's response announces a length it does not send: the next
 * response follows its head directly. */
static void head_response_has_no_body(void)
{
#define R1 "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, "HEAD /a HTTP/1.1\r\nHost: m\r\n\r\n"
					"GET /b HTTP/1.1\r\nHost: m\r\n\r\n"
					GET_DENY), 0);
	CU_ASSERT_EQUAL(hf_app_s(&t, R1 "HTTP/1.1 100 Continue\r\n\r\n" RESP_OK),
			0);
	CU_ASSERT_TRUE(hf_has(&t.client, R1 "HTTP/1.1 100 Continue\r\n\r\n"
				       RESP_OK "HTTP/1.1 403"));
	hf_close(&t);
}

#define UPGRADE "GET /ws HTTP/1.1\r\nHost: m\r\nUpgrade: websocket\r\n" \
		"Connection: Upgrade\r\n\r\n"

/* After a 101 to an allowed Upgrade the stream is opaque both ways;
 * until the answer, the client's next bytes wait. */
static void upgrade_101_turns_opaque(void)
{
	static const char sw[] = "HTTP/1.1 101 Switching Protocols\r\n"
				 "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
	static const char frames[] = "\x81\x05hello GET /deny HTTP/1.1\r\n\r\n";
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, UPGRADE), 0);
	CU_ASSERT_EQUAL(hf_client(&t, frames, sizeof(frames) - 1, 64), 1);
	CU_ASSERT_STRING_EQUAL(t.app.b, UPGRADE);
	CU_ASSERT_EQUAL(hf_app_s(&t, sw), 0);
	CU_ASSERT_EQUAL(hf_app_s(&t, "\x81\x02hi"), 0);
	CU_ASSERT_TRUE(hf_has(&t.client, "\x81\x02hi"));
	CU_ASSERT_EQUAL(hf_client(&t, frames, sizeof(frames) - 1, 64), 0);
	CU_ASSERT_STRING_EQUAL(t.app.b, UPGRADE "\x81\x05hello GET /deny "
						"HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(t.pol.judged, 1);
	hf_close(&t);
}

/* Refused upgrade: the client's next request is parsed and judged. */
static void upgrade_refused_by_app_goes_on(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, UPGRADE), 0);
	CU_ASSERT_EQUAL(hf_client_s(&t, GET_DENY), 1);
	CU_ASSERT_EQUAL(hf_app_s(&t, "HTTP/1.1 426 Upgrade Required\r\n"
				     "Content-Length: 0\r\n\r\n"), 0);
	CU_ASSERT_EQUAL(hf_client_s(&t, GET_DENY), 0);
	CU_ASSERT_TRUE(hf_has(&t.client, "HTTP/1.1 403"));
	CU_ASSERT_EQUAL(t.pol.judged, 2);
	hf_close(&t);
}

static void unasked_responses_reset(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_app_s(&t, RESP_OK), -1);
	hf_close(&t);
	hf_open(&t);	/* a 101 nobody asked for */
	CU_ASSERT_EQUAL(hf_client_s(&t, "GET /a HTTP/1.1\r\nHost: m\r\n\r\n"), 0);
	CU_ASSERT_EQUAL(hf_app_s(&t, "HTTP/1.1 101 Switching Protocols\r\n\r\n"),
			-1);
	hf_close(&t);
}

static void target_is_normalized(void)
{
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client_s(&t, "GET /a/./b?q=/./ HTTP/1.1\r\nHost: m\r\n"
					"X-A: 1\r\n\r\n"), 0);
	CU_ASSERT_STRING_EQUAL(t.pol.last_path, "/a/b?q=/");
	CU_ASSERT_STRING_EQUAL(t.app.b, "GET /a/b?q=/ HTTP/1.1\r\nHost: m\r\n"
					"X-A: 1\r\n\r\n");
	hf_close(&t);
	hf_open(&t);	/* /./deny is /deny: judged as such */
	CU_ASSERT_EQUAL(hf_client_s(&t, "GET /./deny HTTP/1.1\r\nHost: m\r\n\r\n"),
			0);
	CU_ASSERT_TRUE(hf_has(&t.client, "403"));
	CU_ASSERT_EQUAL(t.app.len, 0);
	hf_close(&t);
}

static void eof_paths(void)
{
	struct hf t;

	hf_open(&t);	/* half a head: the workload sees nothing */
	CU_ASSERT_EQUAL(hf_client_s(&t, "POST /v1/predict HTTP/1.1\r\nHo"), 0);
	hfilt_client_eof(t.f);
	hf_drain(&t);
	CU_ASSERT_EQUAL(t.app.len, 0);
	CU_ASSERT_TRUE(hfilt_shut_app(t.f));
	CU_ASSERT_FALSE(hfilt_shut_client(t.f));
	hf_close(&t);

	hf_open(&t);	/* a body that runs to the workload's EOF */
	CU_ASSERT_EQUAL(hf_client_s(&t, "GET /a HTTP/1.1\r\nHost: m\r\n\r\n"), 0);
	hfilt_client_eof(t.f);
	CU_ASSERT_TRUE(hfilt_shut_app(t.f));
	CU_ASSERT_EQUAL(hf_app_s(&t, "HTTP/1.1 200 OK\r\n\r\nuntil eof"), 0);
	hfilt_app_eof(t.f);
	hf_drain(&t);
	CU_ASSERT_STRING_EQUAL(t.client.b, "HTTP/1.1 200 OK\r\n\r\nuntil eof");
	CU_ASSERT_TRUE(hfilt_shut_client(t.f));
	hf_close(&t);

	hf_open(&t);	/* the workload leaves with a response owed: no 403
			   can follow it in order, the client just ends */
	CU_ASSERT_EQUAL(hf_client_s(&t, POST_OK GET_DENY), 0);
	hfilt_app_eof(t.f);
	hf_drain(&t);
	CU_ASSERT_EQUAL(t.client.len, 0);
	CU_ASSERT_TRUE(hfilt_shut_client(t.f));
	hf_close(&t);
}

/* HTTP/2 prior knowledge on an L7_HTTP port goes to the HTTP/2 filter
 * (byte by byte here; whole requests through it: test_hfilt_h2.c), which
 * opens its own HTTP/2 connection to the workload; a P that is not the
 * preface is HTTP/1.1. */
static void preface_sniff(void)
{
	static const char pri[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct hf t;

	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client(&t, pri, strlen(pri), 1), 0);
	CU_ASSERT(t.app.len > strlen(pri));
	CU_ASSERT(t.app.len >= strlen(pri) && !memcmp(t.app.b, pri, strlen(pri)));
	CU_ASSERT(t.client.len > 0);	/* the filter's SETTINGS */
	CU_ASSERT_EQUAL(hfilt_stats(t.f)->bad, 0);
	hf_close(&t);
	hf_open(&t);
	CU_ASSERT_EQUAL(hf_client(&t, POST_OK, strlen(POST_OK), 1), 0);
	CU_ASSERT_STRING_EQUAL(t.app.b, POST_OK);
	hf_close(&t);
	CU_ASSERT_PTR_NULL(hfilt_new(L7_NONE, &(struct hfilt_judge){ 0 }));
}

UNIT_SUITE(hfilt_h1)
{
	UNIT_TEST(s, allowed_request_passes_unchanged);
	UNIT_TEST(s, binary_body_with_head);
	UNIT_TEST(s, denied_request_gets_403_and_close);
	UNIT_TEST(s, pipelined_refusal_keeps_order);
	UNIT_TEST(s, chunked_request_byte_by_byte);
	UNIT_TEST(s, sse_response_streams);
	UNIT_TEST(s, big_body_is_streamed);
	UNIT_TEST(s, head_response_has_no_body);
	UNIT_TEST(s, upgrade_101_turns_opaque);
	UNIT_TEST(s, upgrade_refused_by_app_goes_on);
	UNIT_TEST(s, unasked_responses_reset);
	UNIT_TEST(s, target_is_normalized);
	UNIT_TEST(s, eof_paths);
	UNIT_TEST(s, preface_sniff);
}
