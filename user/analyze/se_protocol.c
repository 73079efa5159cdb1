// SPDX-License-Identifier: Apache-2.0
/* Istio's serviceentry.ConflictingServiceEntryProtocolAnalyzer (IST0177):
 * ServiceEntries visible in one namespace that give the same host and port
 * different protocols; only one listener/filter chain can win. */
#include "common.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct hp {
	const char *scope, *host, *proto;
	uint32_t port;
	struct object *se;
};

struct hp_set {
	struct hp *v;
	size_t n, cap;
	struct hmap by_port; /* "port:host" -> entry indexes + 1, in order */
};

static void push(struct hp_set *s, struct hp e)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n++] = e;
}

static const char *upper(struct arena *a, const char *s)
{
	char *u = arena_strdup(a, s ? s : "");

	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static void add_scope(struct config *c, struct hp_set *s, struct object *o,
		      const char *scope)
{
	const struct se_spec *se = obj_se(o);
	size_t h, p;

	/* the entries of <o> are the last ones */
	for (p = s->n; p > 0 && s->v[p - 1].se == o; p--)
		if (!strcmp(s->v[p - 1].scope, scope))
			return;
	for (h = 0; h < se->hosts.n; h++)
		for (p = 0; p < se->ports.n; p++)
			push(s, (struct hp){ scope, se->hosts.v[h],
				upper(&c->arena, se->ports.v[p].protocol),
				(uint32_t)se->ports.v[p].number.v, o });
}

static void collect(struct config *c, struct hp_set *s)
{
	for_each_any(c, o, K_SERVICE_ENTRY) {
		const struct strs *e = &obj_se(o)->export_to;
		bool all = !e->n;
		size_t i;

		for (i = 0; i < e->n; i++)
			all |= !strcmp(e->v[i], "*");
		if (all) {
			add_scope(c, s, o, "*");
			continue;
		}
		for (i = 0; i < e->n; i++)
			add_scope(c, s, o, strcmp(e->v[i], ".") ? e->v[i] : o->ns);
	}
}

static const char *port_key(struct config *c, const struct hp *e)
{
	return arena_printf(&c->arena, "%u:%s", e->port, e->host);
}

/* Entries by host and port, the only ones same_key() can accept. */
static void index_entries(struct config *c, struct hp_set *s)
{
	size_t i;

	hmap_init(&s->by_port, &c->arena);
	for (i = 0; i < s->n; i++)
		hmap_push(&s->by_port, port_key(c, &s->v[i]),
			  (void *)(uintptr_t)(i + 1));
}

/* Entries that share key <k>'s host and port, in its scope or exported
 * everywhere. */
static bool same_key(const struct hp *k, const struct hp *e)
{
	if (k->port != e->port || strcmp(k->host, e->host))
		return false;
	return !strcmp(k->scope, e->scope) || !strcmp(e->scope, "*");
}

static size_t distinct(const char **v, size_t n)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && strcmp(v[i], v[j]); j++)
			;
		k += j == i;
	}
	return k;
}

/* The port entry of <o> for <port>: where the protocol is written. */
static size_t port_idx(const struct object *o, uint32_t port)
{
	const struct se_spec *se = obj_se(o);
	size_t i;

	for (i = 0; i < se->ports.n; i++)
		if (se->ports.v[i].number.v == (int64_t)port)
			return i;
	return 0;
}

static void report(struct config *c, const struct hp_set *s, const struct hp *k,
		   bool *done)
{
	size_t i, j, n = 0, n_grp;
	void *const *grp = hmap_list(&s->by_port, port_key(c, k), &n_grp);
	const char **names = arena_alloc(&c->arena, n_grp * sizeof(*names));
	const char **protos = arena_alloc(&c->arena, n_grp * sizeof(*protos));
	const char *nstr, *pstr;
	const struct ynode *at;

	for (i = 0; i < n_grp; i++) {
		const struct hp *e = &s->v[(uintptr_t)grp[i] - 1];

		if (!same_key(k, e))
			continue;
		names[n] = an_full_name(c, e->se);
		protos[n++] = e->proto;
	}
	if (distinct(protos, n) < 2)
		return;
	pstr = an_join_sorted(&c->arena, protos, n, ", ", true);
	nstr = an_join_sorted(&c->arena, names, n, ", ", true);
	for (i = 0; i < n_grp; i++) {
		const struct hp *e = &s->v[(uintptr_t)grp[i] - 1];

		if (!same_key(k, e) || done[e->se->seq])
			continue;
		done[e->se->seq] = true;
		j = port_idx(e->se, k->port);
		at = obj_se(e->se)->ports.v[j].at;
		diag_add(&c->diag, "IST0177", SEV_WARNING, e->se,
			 ynode_get(at, "protocol") ? ynode_get(at, "protocol") : at,
			 arena_printf(&c->arena, "spec.ports[%zu].protocol", j),
			 arena_printf(&c->arena, "give port %u of %s one protocol "
				      "in every ServiceEntry, or merge them into "
				      "one", k->port, k->host),
			 "Multiple ServiceEntries (%s) define the same host %s "
			 "and port %u with conflicting protocols (%s).", nstr,
			 an_quote(&c->arena, k->host), k->port, pstr);
	}
}

void analyze_se_conflicting_protocol(struct config *c)
{
	struct hp_set s = { 0 };
	bool *done; /* by object seq: reported once */
	size_t i;

	collect(c, &s);
	index_entries(c, &s);
	done = arena_alloc(&c->arena, (c->n + 1) * sizeof(*done));
	for (i = 0; i < s.n; i++)
		report(c, &s, &s.v[i], done);
	free(s.v);
}
