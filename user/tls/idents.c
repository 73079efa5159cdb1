// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>

#include "../util/grow.h"
#include "idents.h"
#include "pemfile.h"
#include "svid.h"

int tls_idents_init(struct tls_idents *s, const struct tls_ca *ca,
		    unsigned int ttl, const struct tls_ctx_opts *o)
{
	memset(s, 0, sizeof(*s));
	if (ttl < SVID_TTL_MIN)
		return -EINVAL;
	pthread_mutex_init(&s->lock, NULL);
	s->ca = ca;
	s->ttl = ttl;
	s->o = *o;
	return 0;
}

void tls_idents_free(struct tls_idents *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		tls_ctx_put(s->v[i].ctx);
	free(s->v);
	pthread_mutex_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

/* Issues a new SVID and context for <e>; the old context is released
 * only when one is in place. Called with the lock held. */
static int renew(struct tls_idents *s, struct tls_ident *e, time_t now,
		 char *why, size_t n)
{
	struct tls_svid svid;
	struct tls_ctx *c;
	int err = tls_svid_issue(&svid, s->ca, &e->id, now, s->ttl);

	if (err)
		return tls_why(err, why, n, "cannot issue an SVID: %s",
			       strerror(-err));
	c = tls_ctx_new(s->ca, &svid, &s->o, why, n);
	if (c) {
		tls_ctx_put(e->ctx);
		e->ctx = c;
		e->renew_at = tls_svid_renew_at(&svid);
	}
	tls_svid_free(&svid);
	return c ? 0 : -ENOMEM;
}

static struct tls_ident *find(struct tls_idents *s, const struct spiffe_id *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (spiffe_eq(&s->v[i].id, id))
			return &s->v[i];
	return NULL;
}

struct tls_ctx *tls_idents_get(struct tls_idents *s,
			       const struct spiffe_id *id, time_t now,
			       char *why, size_t n)
{
	struct tls_ctx *c = NULL;
	struct tls_ident *e;

	pthread_mutex_lock(&s->lock);
	e = find(s, id);
	if (!e && (e = GROW_PUSH(s->v, s->n, s->cap)))
		e->id = *id;
	if (!e)
		tls_why(0, why, n, "out of memory");
	else if (e->ctx && now < e->renew_at)
		c = tls_ctx_get(e->ctx);
	else if (!renew(s, e, now, why, n) ||
		 (e->ctx && now < e->ctx->not_after))
		c = tls_ctx_get(e->ctx);	/* the old one if renewal failed */
	if (e && !e->ctx)	/* never issued: forget it again */
		s->n--;
	pthread_mutex_unlock(&s->lock);
	return c;
}

int tls_idents_rotate(struct tls_idents *s, time_t now)
{
	int done = 0, err = 0, e;
	char why[256];
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++) {
		if (now < s->v[i].renew_at)
			continue;
		e = renew(s, &s->v[i], now, why, sizeof(why));
		if (e && !err)
			err = e;
		done += !e;
	}
	pthread_mutex_unlock(&s->lock);
	return err ?: done;
}

time_t tls_idents_next_renewal(struct tls_idents *s)
{
	time_t t = 0;
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++)
		if (!t || s->v[i].renew_at < t)
			t = s->v[i].renew_at;
	pthread_mutex_unlock(&s->lock);
	return t;
}

size_t tls_idents_each(struct tls_idents *s, tls_ident_fn fn, void *ctx)
{
	size_t i, n = 0;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++) {
		if (!s->v[i].ctx)
			continue;
		fn(ctx, &s->v[i]);
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

void tls_idents_drop(struct tls_idents *s, const struct spiffe_id *id)
{
	struct tls_ident *e;

	pthread_mutex_lock(&s->lock);
	e = find(s, id);
	if (e) {
		tls_ctx_put(e->ctx);
		*e = s->v[--s->n];
	}
	pthread_mutex_unlock(&s->lock);
}
