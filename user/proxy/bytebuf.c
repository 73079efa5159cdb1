// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"

/* Makes room for <n> more bytes after the unread ones: slides them to the
 * front first, grows (doubling, capped at max) only when that is not
 * enough. */
static int bytebuf_reserve(struct bytebuf *b, size_t n)
{
	size_t want = b->len + n, cap;
	uint8_t *p;

	if (b->off + want <= b->cap)
		return 0;
	if (b->off && want <= b->cap) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
		return 0;
	}
	for (cap = b->cap ? b->cap : 4096; cap < want; cap *= 2)
		;
	if (cap > b->max)
		cap = b->max;
	p = malloc(cap);
	if (!p)
		return -ENOMEM;
	if (b->len)
		memcpy(p, b->p + b->off, b->len);
	free(b->p);
	b->p = p;
	b->off = 0;
	b->cap = cap;
	return 0;
}

int bytebuf_put(struct bytebuf *b, const void *data, size_t n)
{
	int err;

	if (n > bytebuf_room(b))
		return -ENOBUFS;
	if (!n)
		return 0;
	err = bytebuf_reserve(b, n);
	if (err)
		return err;
	memcpy(b->p + b->off + b->len, data, n);
	b->len += n;
	return 0;
}

size_t bytebuf_get(struct bytebuf *b, void *out, size_t n)
{
	if (n > b->len)
		n = b->len;
	if (n)
		memcpy(out, b->p + b->off, n);
	bytebuf_drop(b, n);
	return n;
}

void bytebuf_drop(struct bytebuf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (!b->len)
		b->off = 0;
}

void bytebuf_free(struct bytebuf *b)
{
	free(b->p);
	*b = (struct bytebuf){ .max = b->max };
}
