/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP filter's tests drive it on buffers: a fake policy as the
 * judge, the two queues drained into what the workload and the client
 * would have read. */
#ifndef IM_TEST_HFILT_FIX_H
#define IM_TEST_HFILT_FIX_H

#include <stdbool.h>
#include <stddef.h>

#include "http/hfilt.h"

/* The fake policy: DELETE and anything under /deny are refused, the rest
 * allowed. Its normalization drops "/." segments and refuses targets
 * that are not origin-form. It keeps what it was asked. */
struct hf_policy {
	unsigned judged;
	char last_path[256];
	char last_host[64];
};

/* What one side has read so far. */
struct hf_seen {
	char *b;
	size_t len;
};

struct hf {
	struct hfilt *f;
	struct hf_policy pol;
	struct hf_seen app, client;
	size_t max_to_app;		/* the deepest each queue got */
	size_t max_to_client;
	bool count_only;		/* the workload's bytes: counted only */
};

/* A filter for an L7_HTTP port with the fake policy. */
void hf_open(struct hf *t);
void hf_close(struct hf *t);
/* Both queues drained into app / client. */
void hf_drain(struct hf *t);
/* Feeds <n> bytes from the client (or the workload) in pieces of <step>,
 * draining after each. Returns 0 when all were taken, 1 when the filter
 * stopped taking them, -1 when it asked for a reset. */
int hf_client(struct hf *t, const char *p, size_t n, size_t step);
int hf_app(struct hf *t, const char *p, size_t n, size_t step);
int hf_client_s(struct hf *t, const char *s);
int hf_app_s(struct hf *t, const char *s);
/* Whether <s> occurs in what the side read. */
bool hf_has(const struct hf_seen *s, const char *needle);
/* How many times. */
unsigned hf_count(const struct hf_seen *s, const char *needle);

#endif
