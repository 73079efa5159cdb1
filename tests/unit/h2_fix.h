/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by test_hfilt_h2*.c: the HTTP/2 filter between a real nghttp2
 * client (the caller) and a real nghttp2 server (the workload), all in
 * this thread on buffers: each pump moves every byte that can move, so a
 * test sees exactly what crossed the filter and when. */
#ifndef IM_TEST_H2_FIX_H
#define IM_TEST_H2_FIX_H

#include <nghttp2/nghttp2.h>

#include "http/hfilt.h"
#include "proxy/bytebuf.h"

#define HX_STREAMS 160

/* What one test session knows of one stream. */
struct hx_stream {
	int32_t id;
	char path[128], status[4], grpc_status[4], grpc_message[64];
	char trailer[32];	/* "x-trailer" as received (either way) */
	int header_blocks;	/* HEADERS frames received */
	size_t body, bad_bytes;	/* DATA received, bytes off the pattern */
	bool eof, closed;
	uint32_t err;		/* RST_STREAM code it closed with */
	/* what it sends: <avail> more pattern bytes, then (with end) the
	 * end of the stream, carried by a trailer block with <trailers> */
	size_t avail, sent;
	bool end, trailers;
};

struct hx_side {
	nghttp2_session *h2;
	struct hx_stream st[HX_STREAMS];
	size_t n;
	struct bytebuf out;	/* written by the session, not yet fed */
	bool hold;		/* workload: do not consume what arrives */
	size_t held;
	bool goaway;
	uint32_t goaway_err;
};

struct hx {
	struct hfilt *f;
	struct hx_side cli, srv;
	bool raw;		/* the client's bytes come from the test */
	int rc_client, rc_app;	/* first -1 of the filter's feeds */
	int judged;
	char judged_path[128];
	size_t max_to_app, max_to_client;	/* queue lengths seen */
};

/* A filter judged by the fake policy: paths under /deny are refused,
 * targets under /bad cannot be normalized, "//" merges. */
void hx_init(struct hx *x);
/* The same for a port of <proto> (L7_HTTP: the filter sniffs the
 * client's HTTP/2 preface). */
void hx_init_proto(struct hx *x, enum l7_proto proto);
void hx_fini(struct hx *x);
/* Moves bytes until nothing moves (bounded). */
void hx_pump(struct hx *x);
/* The client opens a request; <body> bytes follow now (more with
 * hx_more), the stream ends after them when <end>. Returns its id. */
int32_t hx_request(struct hx *x, const char *method, const char *path,
		   const char *ctype, size_t body, bool end, bool trailers);
/* The workload answers its stream <id> as hx_request sends. */
void hx_respond(struct hx *x, int32_t id, const char *status,
		const char *ctype, size_t body, bool end, bool trailers);
/* <n> more bytes on stream <id> of <side>, then the end when <end>. */
void hx_more(struct hx_side *side, int32_t id, size_t n, bool end);
struct hx_stream *hx_st(struct hx_side *side, int32_t id);
/* The workload's n-th stream (0-based), in the order they arrived. */
struct hx_stream *hx_srv_nth(struct hx *x, size_t i);

#endif
