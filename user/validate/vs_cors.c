// SPDX-License-Identifier: Apache-2.0
/* HTTP route corsPolicy, after Istio's validateCORSPolicy. The schema keeps
 * corsPolicy as a raw node, so the fields are read here. */
#include "networking.h"

#include <stdio.h>
#include <string.h>

static const char *const cors_methods[] = { "GET", "HEAD", "POST", "PUT",
	"PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*", NULL };

static const char *scalar(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && n->str ? n->str : NULL;
}

static void origins(const struct vctx *x, const struct ynode *l,
		    const char *path)
{
	static const char *const kinds[] = { "exact", "prefix", "regex" };
	char p[VP_LEN], why[1400];
	const char *err;
	size_t i, k;

	for (i = 0; l && l->type == Y_SEQ && i < l->n; i++) {
		const struct ynode *o = l->items[i];
		const char *v = NULL;

		vp(p, "%s.allowOrigins[%zu]", path, i);
		for (k = 0; k < 3 && !v; k++)
			v = scalar(ynode_get(o, kinds[k]));
		if (!v || !*v) {
			v_error(x->c, x->o, o, p, "Give exact, prefix or regex "
				"a value.", "'' is not a valid match type for "
				"CORS allow origins");
			continue;
		}
		if (k == 3 && (err = v_regex(v, "corsPolicy.allowOrigins", why,
					     sizeof(why))))
			v_error(x->c, x->o, o, p, "Fix the expression; it must "
				"be RE2 syntax.", "%s", err);
	}
}

static void methods(const struct vctx *x, const struct ynode *l,
		    const char *path)
{
	char p[VP_LEN];
	size_t i;

	for (i = 0; l && l->type == Y_SEQ && i < l->n; i++) {
		const char *m = scalar(l->items[i]);

		if (m && enum_index(cors_methods, m) >= 0)
			continue;
		v_error(x->c, x->o, l->items[i], vp(p, "%s.allowMethods[%zu]",
			path, i), "Use GET, HEAD, POST, PUT, PATCH, DELETE, "
			"CONNECT, OPTIONS, TRACE or *.",
			"\"%s\" is not a supported HTTP method", m ? m : "");
	}
}

static void header_names(const struct vctx *x, const struct ynode *l,
			 const char *path)
{
	size_t i;

	for (i = 0; l && l->type == Y_SEQ && i < l->n; i++) {
		const char *h = scalar(l->items[i]);

		if (!h || !*h)
			v_error(x->c, x->o, l->items[i], path, "Name the header.",
				"header name cannot be empty");
		else if (strcmp(h, "*") && !v_header_token(h))
			v_error(x->c, x->o, l->items[i], path, "Use a valid "
				"header name.", "header name %s is not a valid "
				"header name", h);
	}
}

void vs_cors(const struct vctx *x, const struct ynode *cors, const char *path)
{
	const struct ynode *age;
	char p[VP_LEN];

	if (!cors || cors->type != Y_MAP)
		return;
	origins(x, ynode_get(cors, "allowOrigins"), path);
	methods(x, ynode_get(cors, "allowMethods"), path);
	header_names(x, ynode_get(cors, "allowHeaders"),
		     vp(p, "%s.allowHeaders", path));
	header_names(x, ynode_get(cors, "exposeHeaders"),
		     vp(p, "%s.exposeHeaders", path));
	age = ynode_get(cors, "maxAge");
	if (scalar(age)) {
		struct opt_dur d = { true, parse_duration(age->str) };

		vp(p, "%s.maxAge", path);
		if (d.ns < 0) {
			v_error(x->c, x->o, age, p, "Write a duration such as "
				"24h.", "invalid duration");
			return;
		}
		v_duration(x, cors, "maxAge", &d, p);
		if (d.ns % 1000000000)
			v_error(x->c, x->o, age, p, "Use whole seconds.",
				"max_age duration is accurate only to seconds "
				"precision");
	}
}
