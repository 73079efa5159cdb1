// SPDX-License-Identifier: Apache-2.0
/* Where the peer's HTTP/2 byte stream stands between frames: a peer that
 * closes in the middle of the client preface or of a frame sent a
 * truncated frame, which is a refusal of its own ("truncated"), while a
 * close between frames is an ordinary end. nghttp2 keeps its partial
 * frame to itself, so the 9-byte headers are followed here; payloads are
 * skipped whole, never looked at byte by byte. */
#include "hbone_int.h"

#define H2_PREFACE_LEN 24	/* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */
#define H2_FRAME_HDR 9

void hbone_edge_init(struct hbone_edge *e, bool server)
{
	*e = (struct hbone_edge){ .skip = server ? H2_PREFACE_LEN : 0 };
}

void hbone_edge_feed(struct hbone_edge *e, const uint8_t *p, size_t n)
{
	if (n)
		e->started = true;
	while (n) {
		if (e->skip) {
			size_t k = n < e->skip ? n : e->skip;

			e->skip -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		if (e->hdr_got < 3)	/* the 24-bit length comes first */
			e->len = e->len << 8 | *p;
		p++;
		n--;
		if (++e->hdr_got == H2_FRAME_HDR) {
			e->skip = e->len;
			e->len = 0;
			e->hdr_got = 0;
		}
	}
}

bool hbone_edge_mid_frame(const struct hbone_edge *e)
{
	return e->started && (e->skip || e->hdr_got);
}
