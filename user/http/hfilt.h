/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An HTTP filter on one relayed inbound stream (client -> local workload),
 * for the ports l7_port() says are judged per request: it parses the
 * client's requests, asks the judge about each, forwards the allowed ones
 * to the workload (with the normalized path) and answers the refused ones
 * itself (403 "RBAC: access denied"; a malformed or smuggling request gets
 * 400 and the connection ends, the workload never sees it). Responses
 * flow back as the workload writes them: never buffered whole, streaming
 * responses (SSE, chunked, gRPC server streams) pass as they arrive.
 *
 * It is bytes in, bytes out, no sockets: the relay (px_pipe.c) feeds what
 * it reads and drains the two queues into the socket and the stream, so
 * the same filter runs under CUnit on buffers. Backpressure: a feed
 * consumes only what fits in the queue it fills.
 *
 * One implementation per protocol (hfilt_h1.c: HTTP/1.1 over
 * http-parser; hfilt_h2.c: HTTP/2 and gRPC over nghttp2), chosen by
 * hfilt_new from the port's protocol and, for L7_HTTP, the client's
 * first bytes (the HTTP/2 preface).
 */
#ifndef IM_HTTP_HFILT_H
#define IM_HTTP_HFILT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../authz/l7.h"
#include "../proxy/bytebuf.h"

/* The policy of this stream's connection (its peer, source, workload and
 * port are the judge's to know: the filter sees only requests). */
struct hfilt_judge {
	void (*judge)(void *ctx, const struct l7_req *r, struct l7_verdict *v);
	int (*normalize)(void *ctx, const char *in, size_t n, char *out,
			 size_t outsz);	/* as l7_normalize */
	void *ctx;
};

struct hfilt_stats {
	uint64_t requests;	/* judged */
	uint64_t denied;	/* answered 403 (gRPC: grpc-status 7) */
	uint64_t bad;		/* answered 400 / reset: malformed, smuggling,
				   too big */
};

struct hfilt;

/* A filter for a stream to a port of protocol <proto> (not L7_NONE), or
 * NULL on allocation failure. <j> is copied. */
struct hfilt *hfilt_new(enum l7_proto proto, const struct hfilt_judge *j);
void hfilt_free(struct hfilt *f);

/* Bytes from the client, toward the workload. Consumes what it can and
 * sets *used. Returns 0, or -1 when the stream must end now with a reset
 * (a protocol error past any answer the filter could still give). */
int hfilt_from_client(struct hfilt *f, const uint8_t *p, size_t n,
		      size_t *used);
/* Bytes from the workload, toward the client. As above. */
int hfilt_from_app(struct hfilt *f, const uint8_t *p, size_t n, size_t *used);
/* The client / the workload will send nothing more. */
void hfilt_client_eof(struct hfilt *f);
void hfilt_app_eof(struct hfilt *f);

/* What must be written to the workload and back to the client. The relay
 * drains them (bytebuf_get / bytebuf_drop). */
struct bytebuf *hfilt_to_app(struct hfilt *f);
struct bytebuf *hfilt_to_client(struct hfilt *f);
/* Once its queue is empty: shut the write side toward the workload /
 * end the stream toward the client (after a refusal, at an EOF). */
bool hfilt_shut_app(const struct hfilt *f);
bool hfilt_shut_client(const struct hfilt *f);

const struct hfilt_stats *hfilt_stats(const struct hfilt *f);

#endif
