// SPDX-License-Identifier: Apache-2.0
/* HBONE server side: a request is a plain RFC 7540 CONNECT with an
 * :authority we can parse (nghttp2 itself resets a CONNECT that carries
 * :scheme or :path with PROTOCOL_ERROR). Anything else is answered 400
 * here; a good one goes to the owner, who answers 200/400/401/503. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hbone_int.h"

static int submit_status(struct hbone_stream *s, int status)
{
	struct hbone_conn *c = s->c;
	char v[4];
	nghttp2_nv nv = { (uint8_t *)":status", (uint8_t *)v, 7, 3,
			  NGHTTP2_NV_FLAG_NONE };
	nghttp2_data_provider dp = hbone_stream_provider(s);

	if (status < 100 || status > 999)
		return -EINVAL;
	snprintf(v, sizeof(v), "%d", status);
	s->status = status;
	/* 200 without END_STREAM: the tunnel's DATA follows; anything else
	 * is a bare HEADERS with END_STREAM */
	return nghttp2_submit_response(c->h2, s->id, &nv, 1,
				       status == 200 ? &dp : NULL) ? -ENOMEM : 0;
}

void hbone_server_on_request(struct hbone_conn *c, struct hbone_stream *s)
{
	struct authority a;

	if (!s->is_connect || s->bad_header || !s->authority[0] ||
	    authority_parse(s->authority, strlen(s->authority), &a)) {
		hbone_count(c, HBONE_R_BAD_REQUEST);
		submit_status(s, 400);
		return;
	}
	if (!c->cf.ops->request) {
		submit_status(s, 503);
		return;
	}
	s->released = false;	/* the owner's now */
	c->cf.ops->request(c->cf.owner, s, &a, c->peer_id);
}

int hbone_stream_respond(struct hbone_stream *s, int status)
{
	if (!s->c->server || s->status || s->released)
		return -EINVAL;
	if (s->h2_closed || s->c->state != HBONE_OPEN)
		return -EPIPE;
	return submit_status(s, status);
}

void hbone_server_on_sent(struct hbone_conn *c, struct hbone_stream *s,
			  uint8_t flags)
{
	/* an error answer ends our side; the client never half-closed, so
	 * end theirs too with RST_STREAM(NO_ERROR), as h2 does */
	if ((flags & NGHTTP2_FLAG_END_STREAM) && s->status != 200 &&
	    !nghttp2_session_get_stream_remote_close(c->h2, s->id))
		nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, s->id,
					  NGHTTP2_NO_ERROR);
}
