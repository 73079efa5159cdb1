// SPDX-License-Identifier: Apache-2.0
/* The HTTP/2 filter (user/http/hfilt_h2*.c) between a real nghttp2 client
 * and a real nghttp2 server (h2_fix.c): requests judged one by one,
 * refusals answered as Envoy's RBAC filter answers, DATA and trailers
 * relayed both ways with flow control, resets mirrored, broken input
 * ended with a GOAWAY. Runs under AddressSanitizer: nothing leaks. */
#include "harness.h"
#include "h2_fix.h"
#include "http/hfilt_h2_int.h"

#define GRPC "application/grpc"
#define MODEL_INFER "/inference.GRPCInferenceService/ModelInfer"

static struct hx x;	/* large: not on the stack */

static size_t live_streams(void)
{
	const struct h2f *f = (const struct h2f *)x.f;
	const struct h2s *s;
	size_t n = 0;

	for (s = f->streams; s; s = s->next)
		n++;
	return n;
}

/* Unary gRPC: the path normalized on the way, trailers both ways. */
static void test_unary_allowed(void)
{
	struct hx_stream *c, *s;
	int32_t id;

	hx_init(&x);
	id = hx_request(&x, "POST", "/inference.GRPCInferenceService//ModelInfer",
			GRPC, 50, true, true);
	hx_pump(&x);
	s = hx_srv_nth(&x, 0);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s->path, MODEL_INFER);
	CU_ASSERT_STRING_EQUAL(x.judged_path, MODEL_INFER);
	CU_ASSERT_EQUAL(s->body, 50);
	CU_ASSERT_EQUAL(s->bad_bytes, 0);
	CU_ASSERT_STRING_EQUAL(s->trailer, "t1");	/* request trailers */
	CU_ASSERT(s->eof);

	hx_respond(&x, s->id, "200", GRPC, 30, true, true);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT_STRING_EQUAL(c->status, "200");
	CU_ASSERT_EQUAL(c->body, 30);
	CU_ASSERT_EQUAL(c->bad_bytes, 0);
	CU_ASSERT_STRING_EQUAL(c->grpc_status, "0");
	CU_ASSERT_STRING_EQUAL(c->trailer, "t1");
	CU_ASSERT_EQUAL(c->header_blocks, 2);	/* headers, trailers */
	CU_ASSERT(c->eof && c->closed && !c->err);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->requests, 1);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->denied, 0);
	CU_ASSERT_EQUAL(live_streams(), 0);
	CU_ASSERT_EQUAL(x.rc_client, 0);
	CU_ASSERT_EQUAL(x.rc_app, 0);
	hx_fini(&x);
}

/* On an `http` port a client opening with the HTTP/2 preface gets this
 * filter: judged, forwarded, answered the same way. */
static void test_sniffed_on_http_port(void)
{
	struct hx_stream *c, *s;
	int32_t id, deny;

	hx_init_proto(&x, L7_HTTP);
	id = hx_request(&x, "POST", MODEL_INFER, GRPC, 8, true, false);
	deny = hx_request(&x, "GET", "/deny/x", "text/plain", 0, true, false);
	hx_pump(&x);
	s = hx_srv_nth(&x, 0);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(x.srv.n, 1);
	CU_ASSERT_STRING_EQUAL(s->path, MODEL_INFER);
	hx_respond(&x, s->id, "200", GRPC, 4, true, true);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT_STRING_EQUAL(c->grpc_status, "0");
	CU_ASSERT_EQUAL(c->body, 4);
	CU_ASSERT_STRING_EQUAL(hx_st(&x.cli, deny)->status, "403");
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->requests, 2);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->denied, 1);
	CU_ASSERT_EQUAL(x.rc_client, 0);
	hx_fini(&x);
}

/* Refused gRPC: HTTP 200 with grpc-status 7 in one HEADERS frame that
 * ends the stream (trailers-only); the workload sees nothing. */
static void test_grpc_denied(void)
{
	struct hx_stream *c;
	int32_t id;

	hx_init(&x);
	id = hx_request(&x, "POST", "/deny.Service/Call", "application/grpc+proto",
			20, true, false);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT_STRING_EQUAL(c->status, "200");
	CU_ASSERT_STRING_EQUAL(c->grpc_status, "7");
	CU_ASSERT_STRING_EQUAL(c->grpc_message, "RBAC: access denied");
	CU_ASSERT_EQUAL(c->header_blocks, 1);
	CU_ASSERT_EQUAL(c->body, 0);
	CU_ASSERT(c->eof && c->closed);
	CU_ASSERT_EQUAL(x.srv.n, 0);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->requests, 1);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->denied, 1);
	CU_ASSERT_EQUAL(live_streams(), 0);
	hx_fini(&x);
}

/* Refused plain HTTP/2: 403 "RBAC: access denied". */
static void test_http_denied(void)
{
	struct hx_stream *c;
	int32_t id;

	hx_init(&x);
	id = hx_request(&x, "GET", "/deny/admin", "text/plain", 0, true, false);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT_STRING_EQUAL(c->status, "403");
	CU_ASSERT_EQUAL(c->body, 19);	/* "RBAC: access denied" */
	CU_ASSERT(c->eof && c->closed);
	CU_ASSERT_EQUAL(x.srv.n, 0);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->denied, 1);
	hx_fini(&x);
}

/* A target the normalizer refuses (nghttp2 already resets what is not a
 * path at all): 400, never judged, never forwarded. */
static void test_bad_path(void)
{
	struct hx_stream *c;
	int32_t id;

	hx_init(&x);
	id = hx_request(&x, "GET", "/bad/x", "text/plain", 0, true, false);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT_STRING_EQUAL(c->status, "400");
	CU_ASSERT_EQUAL(x.judged, 0);
	CU_ASSERT_EQUAL(x.srv.n, 0);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->bad, 1);
	hx_fini(&x);
}

/* A server stream: each message reaches the client before the workload
 * produces the next one. */
static void test_server_stream_piecewise(void)
{
	struct hx_stream *c, *s;
	int32_t id;
	size_t k;

	hx_init(&x);
	id = hx_request(&x, "POST", MODEL_INFER, GRPC, 10, true, false);
	hx_pump(&x);
	s = hx_srv_nth(&x, 0);
	CU_ASSERT_FATAL(s != NULL);
	hx_respond(&x, s->id, "200", GRPC, 0, false, true);
	c = hx_st(&x.cli, id);
	for (k = 1; k <= 40; k++) {
		hx_more(&x.srv, s->id, 100, false);
		hx_pump(&x);
		CU_ASSERT_EQUAL(c->body, k * 100);
		CU_ASSERT(!c->eof);
	}
	hx_more(&x.srv, s->id, 0, true);
	hx_pump(&x);
	CU_ASSERT_STRING_EQUAL(c->grpc_status, "0");
	CU_ASSERT(c->eof && !c->err);
	CU_ASSERT_EQUAL(c->bad_bytes, 0);
	hx_fini(&x);
}

/* 10 MB up: while the workload reads nothing, the client can send only
 * what the windows and queues hold; once it reads, every byte arrives. */
static void test_large_body_flow_control(void)
{
	const size_t total = 10u << 20;
	struct hx_stream *c, *s;
	int32_t id;

	hx_init(&x);
	x.srv.hold = true;
	id = hx_request(&x, "POST", "/v1/embeddings", "application/json",
			total, true, false);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	s = hx_srv_nth(&x, 0);
	CU_ASSERT_FATAL(s != NULL);
	/* stalled: two stream windows and the filter's queues, no more */
	CU_ASSERT(c->sent < (1u << 20));
	CU_ASSERT(s->body <= H2F_STREAM_WINDOW);
	CU_ASSERT(c->sent < total);

	x.srv.hold = false;
	nghttp2_session_consume(x.srv.h2, s->id, x.srv.held);
	hx_pump(&x);
	CU_ASSERT_EQUAL(s->body, total);
	CU_ASSERT_EQUAL(s->bad_bytes, 0);
	CU_ASSERT(s->eof);
	hx_respond(&x, s->id, "200", "application/json", 2, true, false);
	hx_pump(&x);
	CU_ASSERT_STRING_EQUAL(c->status, "200");
	CU_ASSERT(c->closed && !c->err);
	hx_fini(&x);
}

/* 10 MB down to a client that reads nothing: the workload can send only
 * what the windows and queues hold; once the client reads, all arrives. */
static void test_large_response_slow_client(void)
{
	const size_t total = 10u << 20;
	struct hx_stream *c, *s;
	int32_t id;

	hx_init(&x);
	x.cli.hold = true;
	id = hx_request(&x, "POST", MODEL_INFER, GRPC, 5, true, false);
	hx_pump(&x);
	s = hx_srv_nth(&x, 0);
	CU_ASSERT_FATAL(s != NULL);
	hx_respond(&x, s->id, "200", GRPC, total, true, true);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT(s->sent < (1u << 20));
	CU_ASSERT(c->body <= H2F_STREAM_WINDOW);

	x.cli.hold = false;
	nghttp2_session_consume(x.cli.h2, id, x.cli.held);
	hx_pump(&x);
	CU_ASSERT_EQUAL(c->body, total);
	CU_ASSERT_EQUAL(c->bad_bytes, 0);
	CU_ASSERT_STRING_EQUAL(c->grpc_status, "0");
	CU_ASSERT(c->closed && !c->err);
	CU_ASSERT_EQUAL(live_streams(), 0);
	hx_fini(&x);
}

/* Random frames after a good start: the filter answers with a GOAWAY or
 * carries on, never crashes or leaks (ASan), the workload never sees a
 * request the filter did not judge. */
static void test_random_frames(void)
{
	uint8_t junk[256];
	unsigned seed = 8081;
	int round;
	size_t i;

	for (round = 0; round < 200; round++) {
		hx_init(&x);
		hx_request(&x, "GET", "/v1/ok", "text/plain", 0, true, false);
		hx_pump(&x);
		x.raw = true;
		/* a frame header that parses (length within junk), then noise */
		for (i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rand_r(&seed);
		junk[0] = 0;
		junk[1] = 0;
		junk[2] = junk[2] % (sizeof(junk) - 9);
		junk[3] %= 10;		/* one of the known frame types */
		bytebuf_put(&x.cli.out, junk, sizeof(junk));
		hx_pump(&x);
		CU_ASSERT(x.rc_client == 0 || x.rc_client == -1);
		CU_ASSERT(x.rc_client == 0 || x.cli.goaway);
		CU_ASSERT_EQUAL(x.srv.n, (size_t)x.judged - hfilt_stats(x.f)->denied);
		hx_fini(&x);
	}
}

/* A reset mid-stream crosses the filter, from either side. */
static void test_reset_mirrored(void)
{
	struct hx_stream *c, *s;
	int32_t id;

	hx_init(&x);
	id = hx_request(&x, "POST", MODEL_INFER, GRPC, 1000, false, false);
	hx_pump(&x);
	s = hx_srv_nth(&x, 0);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(s->body, 1000);
	nghttp2_submit_rst_stream(x.cli.h2, NGHTTP2_FLAG_NONE, id,
				  NGHTTP2_CANCEL);
	hx_pump(&x);
	CU_ASSERT(s->closed);
	CU_ASSERT_EQUAL(s->err, NGHTTP2_CANCEL);
	CU_ASSERT_EQUAL(live_streams(), 0);

	/* and the workload resetting a stream the client still writes */
	id = hx_request(&x, "POST", MODEL_INFER, GRPC, 10, false, false);
	hx_pump(&x);
	s = hx_srv_nth(&x, 1);
	CU_ASSERT_FATAL(s != NULL);
	nghttp2_submit_rst_stream(x.srv.h2, NGHTTP2_FLAG_NONE, s->id,
				  NGHTTP2_REFUSED_STREAM);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT(c->closed);
	CU_ASSERT_EQUAL(c->err, NGHTTP2_REFUSED_STREAM);
	CU_ASSERT_EQUAL(live_streams(), 0);
	CU_ASSERT_EQUAL(x.rc_client, 0);
	hx_fini(&x);
}

/* Many streams on one connection: each judged on its own. */
static void test_many_streams(void)
{
	int32_t ids[60];
	char path[64];
	size_t i, fwd = 0;

	hx_init(&x);
	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "%s/Svc/M%zu",
			 i % 3 ? "" : "/deny", i);
		ids[i] = hx_request(&x, "POST", path, GRPC, 5, true, false);
	}
	hx_pump(&x);
	CU_ASSERT_EQUAL(x.judged, 60);
	CU_ASSERT_EQUAL(x.srv.n, 40);
	for (i = 0; i < x.srv.n; i++) {
		CU_ASSERT(strncmp(x.srv.st[i].path, "/deny", 5) != 0);
		hx_respond(&x, x.srv.st[i].id, "200", GRPC, 7, true, true);
	}
	hx_pump(&x);
	for (i = 0; i < 60; i++) {
		struct hx_stream *c = hx_st(&x.cli, ids[i]);

		CU_ASSERT_STRING_EQUAL(c->grpc_status, i % 3 ? "0" : "7");
		CU_ASSERT(c->closed && !c->err);
		fwd += c->body == 7;
	}
	CU_ASSERT_EQUAL(fwd, 40);
	CU_ASSERT_EQUAL(hfilt_stats(x.f)->denied, 20);
	CU_ASSERT_EQUAL(live_streams(), 0);
	hx_fini(&x);
}

/* A client that opens more streams than SETTINGS allow (it sends them
 * before it has read the filter's SETTINGS): the excess is refused. */
static void test_stream_limit(void)
{
	int32_t ids[H2F_MAX_STREAMS + 20];
	size_t i, refused = 0;

	hx_init(&x);
	for (i = 0; i < H2F_MAX_STREAMS + 20; i++)
		ids[i] = hx_request(&x, "POST", MODEL_INFER, GRPC, 5, true,
				    false);
	hx_pump(&x);
	CU_ASSERT_EQUAL(x.judged, H2F_MAX_STREAMS);
	CU_ASSERT_EQUAL(x.srv.n, H2F_MAX_STREAMS);
	for (i = 0; i < H2F_MAX_STREAMS + 20; i++) {
		struct hx_stream *c = hx_st(&x.cli, ids[i]);

		refused += c->closed && c->err == NGHTTP2_REFUSED_STREAM;
	}
	CU_ASSERT_EQUAL(refused, 20);
	CU_ASSERT_EQUAL(x.rc_client, 0);
	hx_fini(&x);
}

/* A header block past 60 KiB resets that stream only. */
static void test_headers_too_big(void)
{
	/* three fields over 60 KiB together, under nghttp2's own 64 KiB cap
	 * on what a client sends */
	static char big[20500];
	nghttp2_nv nv[7] = {
		{ (uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0 },
		{ (uint8_t *)":scheme", (uint8_t *)"http", 7, 4, 0 },
		{ (uint8_t *)":authority", (uint8_t *)"m", 10, 1, 0 },
		{ (uint8_t *)":path", (uint8_t *)"/v1/x", 5, 5, 0 },
	};
	int32_t id, ok;
	int i;

	memset(big, 'a', sizeof(big));
	for (i = 4; i < 7; i++)
		nv[i] = (nghttp2_nv){ (uint8_t *)"x-big", (uint8_t *)big, 5,
				      sizeof(big), NGHTTP2_NV_FLAG_NO_INDEX };
	hx_init(&x);
	id = nghttp2_submit_request(x.cli.h2, NULL, nv, 7, NULL, NULL);
	ok = hx_request(&x, "GET", "/v1/ok", "text/plain", 0, true, false);
	hx_pump(&x);
	CU_ASSERT(hx_st(&x.cli, id)->closed);
	CU_ASSERT(hx_st(&x.cli, id)->err != 0);
	CU_ASSERT_EQUAL(x.srv.n, 1);	/* only /v1/ok */
	CU_ASSERT_STRING_EQUAL(hx_srv_nth(&x, 0)->path, "/v1/ok");
	CU_ASSERT(!hx_st(&x.cli, ok)->closed);
	CU_ASSERT(hfilt_stats(x.f)->bad >= 1);
	CU_ASSERT_EQUAL(x.rc_client, 0);
	hx_fini(&x);
}

/* Not HTTP/2 at all: GOAWAY(PROTOCOL_ERROR), and the stream is reset. */
static void test_garbage_goaway(void)
{
	static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	hx_init(&x);
	x.raw = true;
	bytebuf_put(&x.cli.out, junk, sizeof(junk) - 1);
	hx_pump(&x);
	CU_ASSERT_EQUAL(x.rc_client, -1);
	CU_ASSERT(x.cli.goaway);
	CU_ASSERT_EQUAL(x.cli.goaway_err, NGHTTP2_PROTOCOL_ERROR);
	CU_ASSERT(hfilt_stats(x.f)->bad >= 1);
	CU_ASSERT(hfilt_shut_client(x.f));
	CU_ASSERT_EQUAL(x.srv.n, 0);
	hx_fini(&x);
}

/* An invalid frame after a good start (DATA on stream 0). */
static void test_invalid_frame_goaway(void)
{
	static const uint8_t data0[9] = { 0, 0, 0, NGHTTP2_DATA, 0, 0, 0, 0, 0 };

	hx_init(&x);
	hx_request(&x, "GET", "/v1/ok", "text/plain", 0, true, false);
	hx_pump(&x);
	CU_ASSERT_EQUAL(x.srv.n, 1);
	x.raw = true;
	bytebuf_put(&x.cli.out, data0, sizeof(data0));
	hx_pump(&x);
	CU_ASSERT_EQUAL(x.rc_client, -1);
	CU_ASSERT(x.cli.goaway);
	CU_ASSERT_EQUAL(x.cli.goaway_err, NGHTTP2_PROTOCOL_ERROR);
	CU_ASSERT(hfilt_stats(x.f)->bad >= 1);
	hx_fini(&x);
}

/* The workload's GOAWAY reaches the client; its connection ending resets
 * what it had not answered. */
static void test_app_goaway_and_eof(void)
{
	struct hx_stream *c;
	int32_t id;

	hx_init(&x);
	id = hx_request(&x, "POST", MODEL_INFER, GRPC, 5, true, false);
	hx_pump(&x);
	CU_ASSERT_EQUAL(x.srv.n, 1);
	nghttp2_submit_goaway(x.srv.h2, NGHTTP2_FLAG_NONE,
			      x.srv.st[0].id, NGHTTP2_NO_ERROR, NULL, 0);
	hx_pump(&x);
	CU_ASSERT(x.cli.goaway);
	CU_ASSERT_EQUAL(x.cli.goaway_err, NGHTTP2_NO_ERROR);
	hfilt_app_eof(x.f);
	hx_pump(&x);
	c = hx_st(&x.cli, id);
	CU_ASSERT(c->closed);
	CU_ASSERT(c->err != 0);
	CU_ASSERT(hfilt_shut_app(x.f));
	hx_fini(&x);
}

UNIT_SUITE(hfilt_h2)
{
	UNIT_TEST(s, test_unary_allowed);
	UNIT_TEST(s, test_sniffed_on_http_port);
	UNIT_TEST(s, test_grpc_denied);
	UNIT_TEST(s, test_http_denied);
	UNIT_TEST(s, test_bad_path);
	UNIT_TEST(s, test_server_stream_piecewise);
	UNIT_TEST(s, test_large_body_flow_control);
	UNIT_TEST(s, test_large_response_slow_client);
	UNIT_TEST(s, test_reset_mirrored);
	UNIT_TEST(s, test_many_streams);
	UNIT_TEST(s, test_stream_limit);
	UNIT_TEST(s, test_headers_too_big);
	UNIT_TEST(s, test_garbage_goaway);
	UNIT_TEST(s, test_invalid_frame_goaway);
	UNIT_TEST(s, test_random_frames);
	UNIT_TEST(s, test_app_goaway_and_eof);
}
