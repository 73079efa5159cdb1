/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the HTTP/1.1 filter: its state, shared by hfilt_h1.c (the two
 * directions, the order of answers) and hfilt_h1_head.c (one request's
 * header block: checked, judged, rewritten).
 */
#ifndef IM_HTTP_HFILT_H1_H
#define IM_HTTP_HFILT_H1_H

#include <http_parser.h>

#include "hfilt_int.h"

/* Envoy's max_request_headers_kb and max_headers_count defaults: beyond
 * either the answer is 431 and the workload sees nothing. */
#define H1_HEAD_MAX (60u << 10)
#define H1_NHDRS_MAX 100
/* Requests forwarded whose responses have not ended yet (pipelining):
 * beyond this the client's bytes wait. */
#define H1_OWED_MAX 32

/* The client's side. */
enum h1_cstate {
	H1_C_HEAD,	/* gathering a header block */
	H1_C_BODY,	/* an allowed request's body, forwarded as it comes */
	H1_C_WAIT,	/* an Upgrade went out: its response decides */
	H1_C_TUNNEL,	/* 101 came: opaque both ways */
	H1_C_DONE,	/* answered by us: nothing more is forwarded */
};

/* A forwarded request whose response is owed. */
struct h1_owed {
	bool head;	/* HEAD: its response has no body */
	bool upgrade;	/* asked to switch protocols */
};

struct h1 {
	struct hfilt base;
	enum h1_cstate cs;
	http_parser req, resp;
	bool req_done, resp_done;	/* on_message_complete fired */
	/* the header block being gathered, and what its parse found (the
	 * pointers point into hb) */
	uint8_t hb[H1_HEAD_MAX];
	size_t hb_len;
	const char *url;
	size_t url_len;
	struct l7_hdr hdrs[H1_NHDRS_MAX];
	size_t nhdrs;
	bool in_value;
	int head_err;			/* an answer status the parse chose */
	char target[H1_HEAD_MAX];	/* the normalized request-target */
	/* responses owed, oldest first */
	struct h1_owed owed[H1_OWED_MAX];
	unsigned owed_first, owed_n;
	bool tunnel;			/* the workload's side after a 101 */
	bool app_eof;
	int answer;			/* our answer, once the owed ones end */
};

/* hfilt_h1_head.c: the header block in h->hb (h->hb_len bytes, ending
 * in CRLF CRLF) is checked and judged; allowed, its rewritten form goes
 * to the workload and the body state begins. <rest>/<nrest>: the bytes
 * after it, for a look at the body's first framing before anything is
 * forwarded. Returns 0, the status we answer (400, 403, 431), or -1
 * when the queue took only part of it (no memory): a reset. */
int h1_head_done(struct h1 *h, const uint8_t *rest, size_t nrest);
extern const http_parser_settings h1_req_cb;
/* Whether byte <i> of a header block can never be part of one (NUL, a
 * LF without its CR): refused at once, before the block ends. */
bool h1_bad_byte(const uint8_t *b, size_t i);

/* hfilt_h1.c: the next owed response's slot. */
struct h1_owed *h1_owed_push(struct h1 *h);

#endif
