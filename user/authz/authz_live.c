// SPDX-License-Identifier: Apache-2.0
/*
 * The live generation (see authz.h). A check takes a reference under a
 * mutex held for two instructions, evaluates without it, and drops the
 * reference; a swap replaces the pointer under the same mutex and drops
 * the old generation's reference, so the last check to finish on an old
 * generation frees it. No check ever sees a generation being freed.
 */
#include <stdio.h>
#include <string.h>

#include "authz_int.h"

void authz_live_init(struct authz_live *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
}

void authz_live_free(struct authz_live *l)
{
	authz_gen_put(l->gen);
	l->gen = NULL;
	pthread_mutex_destroy(&l->mu);
}

void authz_live_swap(struct authz_live *l, struct authz_gen *g)
{
	struct authz_gen *old;

	pthread_mutex_lock(&l->mu);
	old = l->gen;
	l->gen = g;
	pthread_mutex_unlock(&l->mu);
	authz_gen_put(old);
}

struct authz_gen *authz_live_get(struct authz_live *l)
{
	struct authz_gen *g;

	pthread_mutex_lock(&l->mu);
	g = authz_gen_ref(l->gen);
	pthread_mutex_unlock(&l->mu);
	return g;
}

void authz_check(struct authz_live *l, const struct authz_req *r,
		 struct authz_verdict *v, char *rule, size_t n)
{
	struct authz_gen *g = authz_live_get(l);

	authz_eval(g, r, v);
	__atomic_add_fetch(&l->counts[v->reason], 1, __ATOMIC_RELAXED);
	if (rule && n)
		snprintf(rule, n, "%s", v->rule ? v->rule : "");
	v->rule = NULL;	/* it lived in <g> */
	authz_gen_put(g);
}
