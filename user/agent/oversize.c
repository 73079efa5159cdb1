// SPDX-License-Identifier: Apache-2.0
/* Rejecting, on their own, the objects that make a table entry too big
 * for the kernel (see oversize.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../config/object.h"
#include "../util/grow.h"
#include "../yaml/ydoc.h"
#include "oversize.h"

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a;
	uintptr_t y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

/* The overflow that names <o>, if any. */
static const struct ct_overflow *overflow_of(const struct tables *t,
					     const struct object *o)
{
	size_t i;

	for (i = 0; i < t->n_overflows; i++)
		if (t->overflows[i].obj == o)
			return &t->overflows[i];
	return NULL;
}

/* <e> puts in a version of its object that is not its last good one. */
static bool changed(const struct lg_event *e)
{
	size_t len;
	char *text;
	bool diff;

	if (e->v != LG_APPLIED || !e->o)
		return false;
	if (!e->prev)
		return true;
	text = lg_yaml(e->o->doc, &len);
	diff = !text || len != e->prev->len || memcmp(text, e->prev->text, len);
	free(text);
	return diff;
}

static int add(struct oversize *s, const struct object *o, const char *what)
{
	struct oversize_obj *x = GROW_PUSH(s->v, s->n, s->cap);

	if (!x)
		return -ENOMEM;
	x->resource = strdup(o->resource ? o->resource : "");
	x->file = strdup(o->doc && o->doc->file ? o->doc->file : "");
	x->what = strdup(what);
	return x->resource && x->file && x->what ? 0 : -ENOMEM;
}

int oversize_collect(struct oversize *s, const struct tables *t,
		     const struct lg_merge *m)
{
	const void **objs = malloc((t->n_overflows + 1) * sizeof(*objs));
	const struct ct_overflow *ov;
	size_t i, n = 0;
	int err = objs ? 0 : -ENOMEM;

	for (i = 0; !err && i < t->n_overflows; i++)
		objs[i] = t->overflows[i].obj;
	if (!err)
		qsort(objs, t->n_overflows, sizeof(*objs), cmp_ptr);
	for (i = 0; !err && i < m->n_ev; i++) {
		const struct lg_event *e = &m->ev[i];

		if (!e->o || !bsearch(&e->o, objs, t->n_overflows,
				      sizeof(*objs), cmp_ptr) || !changed(e))
			continue;
		ov = overflow_of(t, e->o);
		err = ov ? add(s, e->o, ov->what) : 0;
		n++;
	}
	free(objs);
	return err ? err : (int)n;
}

static const struct oversize_obj *named(const struct oversize *s,
					const struct object *o)
{
	const char *file = o->doc ? o->doc->file : NULL;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (o->resource && file && !strcmp(s->v[i].resource, o->resource) &&
		    !strcmp(s->v[i].file, file))
			return &s->v[i];
	return NULL;
}

void oversize_mark(const struct oversize *s, struct config *c)
{
	const struct oversize_obj *x;
	const struct ynode *at;
	size_t i;

	for (i = 0; s->n && i < c->n; i++) {
		x = named(s, c->objs[i]);
		if (!x)
			continue;
		at = ynode_get(c->objs[i]->doc, "spec");
		diag_add(&c->diag, "IM1400", SEV_ERROR, c->objs[i],
			 at ? at : c->objs[i]->doc, "spec",
			 "Keep a subset within 4096 endpoints, a route within "
			 "64 destinations and a workload's L4 policies within "
			 "4096 clauses: split the service, its subsets or the "
			 "policies.",
			 "%s: the node's kernel tables cannot hold it, so this "
			 "version is rejected and the last good one stays",
			 x->what);
	}
}

void oversize_free(struct oversize *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].resource);
		free(s->v[i].file);
		free(s->v[i].what);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
