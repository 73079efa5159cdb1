// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/grow.h"
#include "context.h"
#include "svids.h"

struct ids {
	struct spiffe_id *v;
	size_t n, cap;
};

static bool has(const struct ids *s, const struct spiffe_id *id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (spiffe_eq(&s->v[i], id))
			return true;
	return false;
}

/* The identities of this node's workloads, each once. */
static int local_ids(const struct agent *a, const struct model *m,
		     struct ids *out)
{
	struct spiffe_id id, *e;
	size_t i;

	for (i = 0; i < m->n_wls; i++) {
		const struct model_workload *w = &m->wls[i];

		if (!w->wl->node || strcmp(w->wl->node, a->o.node) ||
		    !w->identity ||
		    spiffe_parse(w->identity, strlen(w->identity), &id) ||
		    has(out, &id))
			continue;
		e = GROW_PUSH(out->v, out->n, out->cap);
		if (!e)
			return -1;
		*e = id;
	}
	return 0;
}

static void held(void *ctx, const struct tls_ident *e)
{
	struct ids *s = ctx;
	struct spiffe_id *x = GROW_PUSH(s->v, s->n, s->cap);

	if (x)
		*x = e->id;
}

/* Identities in the store that no local workload has any more. */
static void drop_gone(struct agent *a, const struct ids *want)
{
	struct ids in = { 0 };
	char uri[SPIFFE_URI_MAX];
	size_t i;

	tls_idents_each(&a->idents, held, &in);
	for (i = 0; i < in.n; i++) {
		if (has(want, &in.v[i]))
			continue;
		tls_idents_drop(&a->idents, &in.v[i]);
		spiffe_format(&in.v[i], uri, sizeof(uri));
		agent_log(a, "SVID of %s dropped: no workload of this node "
			  "has it", uri);
	}
	free(in.v);
}

int agent_svids_sync(struct agent *a, const struct model *m)
{
	struct ids want = { 0 };
	char why[256], uri[SPIFFE_URI_MAX];
	int held_n = 0;
	size_t i;

	if (!a->idents_open)
		return 0;
	if (local_ids(a, m, &want)) {
		agent_log(a, "SVIDs: out of memory; issued on first use");
		free(want.v);
		return 0;
	}
	for (i = 0; i < want.n; i++) {
		struct tls_ctx *c;

		c = tls_idents_get(&a->idents, &want.v[i], time(NULL), why,
				   sizeof(why));
		spiffe_format(&want.v[i], uri, sizeof(uri));
		if (!c)
			agent_log(a, "SVID for %s: %s", uri, why);
		held_n += !!c;
		tls_ctx_put(c);
	}
	drop_gone(a, &want);
	free(want.v);
	return held_n;
}
