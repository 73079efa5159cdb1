/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded FIFO of bytes: what the HBONE layer holds between TLS and
 * HTTP/2 (encoded frames not yet written) and between HTTP/2 and the owner
 * (stream bytes not yet consumed or not yet framed). The bound is the
 * point: a buffer refuses what does not fit instead of growing.
 */
#ifndef IM_PROXY_BYTEBUF_H
#define IM_PROXY_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

struct bytebuf {
	uint8_t *p;
	size_t off;		/* first unread byte */
	size_t len;		/* unread bytes from off */
	size_t cap;		/* allocated */
	size_t max;		/* never holds more than this */
};

static inline void bytebuf_init(struct bytebuf *b, size_t max)
{
	*b = (struct bytebuf){ .max = max };
}

static inline size_t bytebuf_room(const struct bytebuf *b)
{
	return b->max - b->len;
}

/* Appends <n> bytes. Returns 0, -ENOBUFS when they do not fit under max
 * (nothing appended), or -ENOMEM. */
int bytebuf_put(struct bytebuf *b, const void *data, size_t n);
/* Copies up to <n> bytes out and consumes them; returns how many. */
size_t bytebuf_get(struct bytebuf *b, void *out, size_t n);
/* Consumes <n> (<= len) bytes read through b->p + b->off. */
void bytebuf_drop(struct bytebuf *b, size_t n);
void bytebuf_free(struct bytebuf *b);

#endif
