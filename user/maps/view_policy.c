// SPDX-License-Identifier: Apache-2.0
/* The policy view: per workload port, its PeerAuthentication mode and the
 * L4 AuthorizationPolicy clauses the kernel evaluates, with each clause's
 * principals, namespaces, ports and ipBlocks in names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "view_int.h"

/* clause number (within gen) -> { field: [values] } */
struct gather {
	const struct view_ctx *c;
	json_t *by_clause;
};

static void gather_add(struct gather *g, json_t *r, const char *vkey)
{
	json_t *cl, *vals;
	const char *field;
	char k[16];

	if (!r)
		return;
	field = json_string_value(json_object_get(r, "field"));
	snprintf(k, sizeof(k), "%lld",
		 (long long)json_integer_value(json_object_get(r, "clause")));
	cl = json_object_get(g->by_clause, k);
	if (!cl) {
		cl = json_object();
		json_object_set_new(g->by_clause, k, cl);
	}
	vals = json_object_get(cl, field);
	if (!vals) {
		vals = json_array();
		json_object_set_new(cl, field, vals);
	}
	json_array_append(vals, json_object_get(r, vkey));
	json_decref(r);
}

static int gather_member(void *arg, const void *k, const void *v)
{
	struct gather *g = arg;
	const struct im_member_key *mk = k;

	if (mk->clause / IM_MAX_CLAUSES == g->c->dec.gen)
		gather_add(g, dec_member(&g->c->dec, mk),
			   dec_is_cidr(mk) ? "cidr" : "value");
	return 0;
}

/* The clauses of policy set <ps>, each with its gathered values. */
static json_t *clauses(const struct view_ctx *c, const struct im_polset *ps,
		       json_t *by_clause)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; i < ps->n && i < IM_POLSET_CLAUSES; i++) {
		uint32_t cl = ps->first + i, idx = c->dec.gen * IM_MAX_CLAUSES + cl;
		struct im_clause v;
		json_t *r, *vals;
		char k[16];

		if (cl >= IM_MAX_CLAUSES ||
		    src_lookup(c->src, "im_clause_v2", &idx, &v))
			break;
		r = dec_clause(&c->dec, idx, &v);
		if (!r)		/* an all-zero clause: ALLOW, tests nothing */
			r = json_pack("{s:I, s:s, s:n, s:I, s:[]}", "clause",
				      (json_int_t)cl, "action", "ALLOW", "rule",
				      "rule_id", (json_int_t)0, "tests");
		snprintf(k, sizeof(k), "%u", cl);
		vals = json_object_get(by_clause, k);
		json_object_set_new(r, "match", vals ? json_incref(vals) :
				    json_object());
		json_array_append_new(a, r);
	}
	return a;
}

struct pol_walk {
	const struct view_ctx *c;
	json_t *rows, *by_clause;
};

static int policy_cb(void *arg, const void *k, const void *v)
{
	struct pol_walk *w = arg;
	const struct im_wlport *wp = v;
	const struct view_ctx *c = w->c;
	uint32_t idx = c->dec.gen * IM_MAX_POLSETS + wp->polset;
	struct im_polset ps;
	json_t *r = dec_wlport(&c->dec, k, wp), *p;

	if (!r)
		return 0;
	if (wp->polset && wp->polset < IM_MAX_POLSETS &&
	    !src_lookup(c->src, "im_polset", &idx, &ps)) {
		p = dec_polset(&c->dec, idx, &ps);
		json_object_set_new(r, "otherwise", p ? json_incref(
			json_object_get(p, "otherwise")) : json_string("ALLOW"));
		json_decref(p);
		json_object_set_new(r, "clauses", clauses(c, &ps, w->by_clause));
	} else {
		json_object_set_new(r, "otherwise", json_string("ALLOW"));
		json_object_set_new(r, "clauses", json_array());
	}
	return json_array_append_new(w->rows, r) ? -ENOMEM : 0;
}

int view_build_policy(const struct view_ctx *c, json_t *rows)
{
	struct gather g = { c, json_object() };
	struct pol_walk w = { c, rows, g.by_clause };
	int err;

	/* Members are optional: a mesh without such clauses may not even
	 * have them pinned. */
	src_each(c->src, "im_member_v2", gather_member, &g);
	err = src_each(c->src, "im_wlport", policy_cb, &w);
	json_decref(g.by_clause);
	view_sort(rows, "address", "port");
	return err;
}

static void text_clause(FILE *f, const json_t *cl)
{
	const char *field;
	json_t *vals;
	char rule[256], b[1024];

	view_fmt_cell(json_object_get(cl, "rule"), rule, sizeof(rule));
	fprintf(f, "    %-5s clause %lld  %s\n",
		json_string_value(json_object_get(cl, "action")),
		(long long)json_integer_value(json_object_get(cl, "clause")),
		rule);
	json_object_foreach((json_t *)json_object_get(cl, "match"), field,
			    vals) {
		view_fmt_cell(vals, b, sizeof(b));
		fprintf(f, "          %s: %s\n", field, b);
	}
}

void view_text_policy(FILE *f, const json_t *rows)
{
	const json_t *r, *cl;
	size_t i, j;
	char w[256], pol[256];

	if (!json_array_size(rows))
		fputs("(no workload ports)\n", f);
	json_array_foreach(rows, i, r) {
		long long port = json_integer_value(json_object_get(r, "port"));
		char ps[16] = "*";

		if (port)
			snprintf(ps, sizeof(ps), "%lld", port);
		view_fmt_cell(json_object_get(r, "workload"), w, sizeof(w));
		view_fmt_cell(json_object_get(r, "policy"), pol, sizeof(pol));
		fprintf(f, "%s:%s  %s  %s  policy %s  otherwise %s\n",
			json_string_value(json_object_get(r, "address")), ps, w,
			json_string_value(json_object_get(r, "mode")), pol,
			json_string_value(json_object_get(r, "otherwise")));
		json_array_foreach(json_object_get(r, "clauses"), j, cl)
			text_clause(f, cl);
	}
}
