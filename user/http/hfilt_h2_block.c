// SPDX-License-Identifier: Apache-2.0
/* Header blocks of the HTTP/2 filter: kept as received (one buffer per
 * block, bounded by H2F_HEADER_LIST), judged from, forwarded from. */
#include <stdlib.h>
#include <string.h>

#include "hfilt_h2_int.h"

void h2f_block_reset(struct h2f_block *b)
{
	b->len = 0;
	b->n = 0;
	b->acct = 0;
}

void h2f_block_free(struct h2f_block *b)
{
	free(b->buf);
	free(b->fld);
	*b = (struct h2f_block){ 0 };
}

static int grow(void **p, size_t *cap, size_t want, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *np;

	if (want <= *cap)
		return 0;
	while (c < want)
		c *= 2;
	np = realloc(*p, c * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

int h2f_block_add(struct h2f_block *b, const uint8_t *name, size_t nlen,
		  const uint8_t *value, size_t vlen)
{
	struct h2f_field *fl;

	/* nghttp2 treats our SETTINGS_MAX_HEADER_LIST_SIZE as advice: the
	 * bound is enforced here, on what the peer actually sent */
	b->acct += nlen + vlen + 32;
	if (b->acct > H2F_HEADER_LIST ||
	    grow((void **)&b->buf, &b->cap, b->len + nlen + vlen, 1) ||
	    grow((void **)&b->fld, &b->fcap, b->n + 1, sizeof(*b->fld)))
		return -1;
	fl = &b->fld[b->n++];
	fl->name = b->len;
	fl->nlen = nlen;
	memcpy(b->buf + b->len, name, nlen);
	b->len += nlen;
	fl->value = b->len;
	fl->vlen = vlen;
	memcpy(b->buf + b->len, value, vlen);
	b->len += vlen;
	return 0;
}

int h2f_block_find(const struct h2f_block *b, const char *name)
{
	size_t len = strlen(name), i;

	/* HTTP/2 field names arrive lowercase (nghttp2 checks) */
	for (i = 0; i < b->n; i++)
		if (b->fld[i].nlen == len &&
		    !memcmp(b->buf + b->fld[i].name, name, len))
			return (int)i;
	return -1;
}

nghttp2_nv *h2f_block_nv(const struct h2f_block *b, int over, const char *ov,
			 size_t ovlen, size_t *n)
{
	nghttp2_nv *nv = calloc(b->n ? b->n : 1, sizeof(*nv));
	size_t i;

	if (!nv)
		return NULL;
	for (i = 0; i < b->n; i++) {
		const struct h2f_field *fl = &b->fld[i];

		nv[i].name = (uint8_t *)b->buf + fl->name;
		nv[i].namelen = fl->nlen;
		nv[i].value = (uint8_t *)b->buf + fl->value;
		nv[i].valuelen = fl->vlen;
		if ((int)i == over) {
			nv[i].value = (uint8_t *)ov;
			nv[i].valuelen = ovlen;
		}
	}
	*n = b->n;
	return nv;
}
