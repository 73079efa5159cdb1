/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the HTTP/2 filter (hfilt_h2*.c): two nghttp2 sessions back to
 * back, a server toward the client ("down") and a client toward the
 * workload ("up", prior knowledge), and per request one struct h2s that
 * both sessions point at. Nothing is held whole: each direction's DATA
 * waits in a buffer as large as the window granted to the sender, and
 * that window reopens (nghttp2_session_consume) only as the other session
 * frames the bytes onward, so a slow reader stalls the writer across the
 * filter instead of filling memory.
 */
#ifndef IM_HTTP_HFILT_H2_INT_H
#define IM_HTTP_HFILT_H2_INT_H

#include <nghttp2/nghttp2.h>

#include "hfilt_int.h"

#define H2F_MAX_STREAMS 100		/* per client connection, as HBONE */
#define H2F_HEADER_LIST (60u << 10)	/* Envoy's max_request_headers_kb */
/* The protocol's default: valid before the peer has our SETTINGS, so no
 * DATA can ever arrive that overflows the stream's buffer. */
#define H2F_STREAM_WINDOW 65535
#define H2F_CONN_WINDOW (1u << 20)	/* all streams' buffers, one side */
#define H2F_FEED_CHUNK (16u << 10)	/* input parsed per step */

/* A header block as received: names and values back to back in buf. */
struct h2f_field {
	uint32_t name, nlen, value, vlen;	/* offsets into buf */
};

struct h2f_block {
	char *buf;
	size_t len, cap;
	struct h2f_field *fld;
	size_t n, fcap;
	size_t acct;		/* RFC 9113 size: name + value + 32 each */
};

enum h2s_state {
	H2S_HEADERS,		/* request headers arriving */
	H2S_FORWARDED,		/* allowed: open toward the workload */
	H2S_ANSWERED,		/* the filter answered (403, gRPC 7, 400) */
};

/* One request, known to the down session (down_id) and, once forwarded,
 * to the up session (up_id). Freed when neither knows it any more. */
struct h2s {
	struct h2f *f;
	struct h2s *prev, *next;
	int32_t down_id, up_id;
	enum h2s_state state;
	struct h2f_block req_h, req_t, resp_h, resp_t;
	struct h2f_block *rx_down, *rx_up;	/* block being received */
	struct bytebuf req, resp;	/* DATA not yet framed onward */
	bool req_eof, resp_eof;		/* END_STREAM received */
	bool req_trailers, resp_trailers;
	bool resp_final;		/* final response headers received */
	bool down_closed, up_closed;
	const char *answer;		/* body of the filter's own answer */
	size_t answer_len;
};

struct h2f {
	struct hfilt base;		/* first: hfilt_h2_new returns &base */
	nghttp2_session *down, *up;
	struct h2s *streams;		/* every h2s still alive */
	bool broken;			/* protocol error: reset the stream */
	bool client_eof, app_eof;
};

/* hfilt_h2_cb.c: the sessions' callbacks. */
nghttp2_session_callbacks *h2f_down_callbacks(void);
nghttp2_session_callbacks *h2f_up_callbacks(void);

/* hfilt_h2_req.c: one request's life. */
struct h2s *h2s_new(struct h2f *f, int32_t down_id);
/* Frees <s> once neither session knows it. */
void h2s_maybe_free(struct h2s *s);
void h2s_free(struct h2s *s);
/* The request headers are complete: normalize, judge, answer or forward. */
void h2s_request(struct h2s *s);
/* The final response headers from the workload: pass them to the client. */
void h2s_response(struct h2s *s);
/* Give back <n> bytes of window nobody will read. */
void h2s_discard(nghttp2_session *h2, int32_t id, size_t n);
/* Wakes the data provider of stream <id> of <h2> after new bytes or EOF. */
void h2s_resume(nghttp2_session *h2, int32_t id);

/* hfilt_h2_block.c: header blocks. */
void h2f_block_reset(struct h2f_block *b);
void h2f_block_free(struct h2f_block *b);
/* Appends a field; -1 past H2F_HEADER_LIST or out of memory. */
int h2f_block_add(struct h2f_block *b, const uint8_t *name, size_t nlen,
		  const uint8_t *value, size_t vlen);
/* Index of the first field named <name>, or -1. */
int h2f_block_find(const struct h2f_block *b, const char *name);
/* The block as nghttp2 name/value pairs (malloc'd, *n set); field <over>
 * gets value <ov> instead (over -1: none). NULL when out of memory. */
nghttp2_nv *h2f_block_nv(const struct h2f_block *b, int over, const char *ov,
			 size_t ovlen, size_t *n);

#endif
