/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the HTTP filter (hfilt.h): the state every protocol shares and
 * the table of its operations. hfilt.c holds the dispatch (and, for
 * L7_HTTP ports, the sniff of the client's first bytes for the HTTP/2
 * preface); hfilt_h1.c and hfilt_h2.c each implement one protocol.
 */
#ifndef IM_HTTP_HFILT_INT_H
#define IM_HTTP_HFILT_INT_H

#include "hfilt.h"

/* Each queue's bound (to_app, to_client): a whole rewritten header block
 * and the body that follows it fit (hfilt_h1.c asserts it). */
#define HFILT_QUEUE_MAX (192u << 10)

struct hfilt_vt {
	int (*from_client)(struct hfilt *f, const uint8_t *p, size_t n,
			   size_t *used);
	int (*from_app)(struct hfilt *f, const uint8_t *p, size_t n,
			size_t *used);
	void (*client_eof)(struct hfilt *f);
	void (*app_eof)(struct hfilt *f);
	void (*destroy)(struct hfilt *f);	/* the protocol's part only */
};

/* Each protocol's state starts with this. */
struct hfilt {
	const struct hfilt_vt *vt;
	struct hfilt_judge j;
	struct bytebuf to_app, to_client;
	bool shut_app, shut_client;
	struct hfilt_stats st;
};

/* Each allocates its own state (starting with struct hfilt), sets vt and
 * fills the common part through hfilt_base_init. NULL on failure. */
struct hfilt *hfilt_h1_new(const struct hfilt_judge *j);
struct hfilt *hfilt_h2_new(const struct hfilt_judge *j);
void hfilt_base_init(struct hfilt *f, const struct hfilt_vt *vt,
		     const struct hfilt_judge *j);

#endif
