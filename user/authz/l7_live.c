// SPDX-License-Identifier: Apache-2.0
/*
 * The live L7 generation, swapped as authz_live.c swaps the L4 one: a
 * reference taken under a mutex held for two instructions, requests
 * judged without it, the last holder of an old generation frees it.
 */
#include <string.h>

#include "l7_int.h"

void l7_live_init(struct l7_live *l)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
}

void l7_live_free(struct l7_live *l)
{
	l7_gen_put(l->gen);
	l->gen = NULL;
	pthread_mutex_destroy(&l->mu);
}

void l7_live_swap(struct l7_live *l, struct l7_gen *g)
{
	struct l7_gen *old;

	pthread_mutex_lock(&l->mu);
	old = l->gen;
	l->gen = g;
	pthread_mutex_unlock(&l->mu);
	l7_gen_put(old);
}

struct l7_gen *l7_live_get(struct l7_live *l)
{
	struct l7_gen *g;

	pthread_mutex_lock(&l->mu);
	g = l7_gen_ref(l->gen);
	pthread_mutex_unlock(&l->mu);
	return g;
}

void l7_live_count(struct l7_live *l, const struct l7_verdict *v)
{
	if ((unsigned)v->reason < AUTHZ_REASON_MAX)
		__atomic_add_fetch(&l->counts[v->reason], 1, __ATOMIC_RELAXED);
}
