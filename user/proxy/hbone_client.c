// SPDX-License-Identifier: Apache-2.0
/* HBONE client side: a CONNECT with :method and :authority only (no
 * :scheme, no :path: ztunnel's h2 resets those), kept open by a data
 * provider that waits for the owner's bytes. */
#include <string.h>

#include "hbone_int.h"

#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), \
		   NGHTTP2_NV_FLAG_NONE }

struct hbone_stream *hbone_client_open(struct hbone_conn *c,
				       const char *authority, void *ctx)
{
	nghttp2_nv nv[] = { NV(":method", "CONNECT"),
			    NV(":authority", authority) };
	struct hbone_stream *s;
	nghttp2_data_provider dp;
	int32_t id;

	if (c->server || c->state == HBONE_DEAD || c->goaway_seen ||
	    c->draining || strlen(authority) >= AUTHORITY_STR_MAX)
		return NULL;
	s = hbone_stream_new(c, ctx);
	if (!s)
		return NULL;
	dp = hbone_stream_provider(s);
	id = nghttp2_submit_request(c->h2, NULL, nv, 2, &dp, s);
	if (id < 0) {
		hbone_stream_free(s);
		c->opened--;
		return NULL;
	}
	s->id = id;
	return s;
}
