// SPDX-License-Identifier: Apache-2.0
/*
 * One reload's merge of the new objects with the versions in force, as
 * the API server with Istio's webhook would end up:
 *   - an object that validates goes in;
 *   - a rejected object keeps its last good version, or is absent when
 *     there is none (a create the webhook refused);
 *   - an object no file has any more is deleted (kubectl delete);
 *   - a file that cannot be read or parsed (or holds a document that is
 *     not an object with kind and name) is taken as unchanged: the
 *     objects it last gave keep their last good versions and nothing of
 *     its new text is used, so a half-saved file or a typo deletes
 *     nothing;
 *   - an error in the MeshConfig rejects the whole set (it is mesh-wide).
 * Istio's validation has no rule across objects (those are analyzer
 * findings, warnings the agent does not run), so every rejection is one
 * object's own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/kinds.h"
#include "../util/grow.h"
#include "lastgood.h"

/* ---- the new objects ---- */

struct cand {
	char *key;
	const struct object *o;
	bool bad;	/* rejected */
};

static char *group_of(const char *av)
{
	const char *slash = av ? strrchr(av, '/') : NULL;

	return slash ? strndup(av, (size_t)(slash - av)) : strdup("");
}

static char *key_of(const char *group, const char *kind, const char *ns,
		    const char *name)
{
	size_t n = strlen(group) + strlen(kind) + strlen(ns) +
		   strlen(name) + 4;
	char *k = malloc(n);

	if (k)
		snprintf(k, n, "%s\x1f%s\x1f%s\x1f%s", group, kind, ns, name);
	return k;
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* The errors about <o> (by its resource and file); the first in *first. */
static size_t errors_of(const struct config *c, const struct object *o,
			const struct finding **first)
{
	size_t i, n = 0;

	*first = NULL;
	for (i = 0; i < c->diag.n; i++) {
		const struct finding *f = &c->diag.v[i];

		if (f->sev != SEV_ERROR || !same(f->resource, o->resource) ||
		    !same(f->file, o->doc ? o->doc->file : NULL))
			continue;
		if (!*first || f->line < (*first)->line ||
		    (f->line == (*first)->line && f->col < (*first)->col))
			*first = f;
		n++;
	}
	return n;
}

static bool rejected(const struct config *c, const struct object *o)
{
	const struct finding *f;

	return o->invalid || errors_of(c, o, &f);
}

static bool named(const struct object *o)
{
	return o->meta.name && *o->meta.name && o->kind_name && o->doc;
}

/* <file> is <bad> or lies under the directory <bad>. */
static bool under(const char *file, const char *bad)
{
	size_t l = strlen(bad);

	return file && !strncmp(file, bad, l) &&
	       (!file[l] || file[l] == '/' || (l && bad[l - 1] == '/'));
}

static bool is_bad(const struct lg_merge *m, const char *file)
{
	size_t i;

	for (i = 0; i < m->n_bad; i++)
		if (under(file, m->bad_files[i]))
			return true;
	return false;
}

static int add_bad(struct lg_merge *m, const char *file)
{
	const char **slot;

	if (!file || is_bad(m, file))
		return 0;
	slot = GROW_PUSH(m->bad_files, m->n_bad, m->cap_bad);
	if (!slot)
		return -ENOMEM;
	*slot = file;
	return 0;
}

/* Files whose new text is not used, and whether the MeshConfig failed. */
static int find_bad(const struct config *c, const struct lg_opts *op,
		    struct lg_merge *m)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < c->diag.n; i++) {
		const struct finding *f = &c->diag.v[i];

		if (f->sev != SEV_ERROR || f->resource)
			continue;
		if (!f->file || same(f->file, op->mesh_file))
			m->whole = true;
		else
			err = add_bad(m, f->file);
	}
	for (i = 0; !err && i < c->n; i++) {
		const struct object *o = c->objs[i];

		if (o->kind == K_MESH_CONFIG && rejected(c, o))
			m->whole = true;
		else if (!named(o) && rejected(c, o))
			err = add_bad(m, o->doc ? o->doc->file : NULL);
	}
	for (i = 0; !err && i < c->n; i++) {
		const struct object *o = c->objs[i];

		if (o->kind == K_MESH_CONFIG && o->doc &&
		    is_bad(m, o->doc->file))
			m->whole = true;	/* already merged into c->mesh */
	}
	return err;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r)
		return r;
	return x->o->seq < y->o->seq ? -1 : x->o->seq > y->o->seq;
}

/* Keyed objects of usable files, sorted by key then load order. */
static int collect(const struct config *c, struct lg_merge *m,
		   struct cand **out, size_t *n_out)
{
	struct cand *v = calloc(c->n + 1, sizeof(*v));
	size_t i, n = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < c->n; i++) {
		const struct object *o = c->objs[i];
		char *g;

		if (o->kind == K_MESH_CONFIG || !named(o))
			continue;
		if (is_bad(m, o->doc->file)) {
			struct object **d = GROW_PUSH(m->drop, m->n_drop,
						      m->cap_drop);

			if (!d)
				goto oom;
			*d = (struct object *)o;
			continue;
		}
		g = group_of(o->api_version);
		v[n].key = g ? key_of(g, o->kind_name, o->ns, o->meta.name) :
			   NULL;
		free(g);
		if (!v[n].key)
			goto oom;
		v[n].o = o;
		v[n++].bad = rejected(c, o);
	}
	qsort(v, n, sizeof(*v), cand_cmp);
	*out = v;
	*n_out = n;
	return 0;
oom:
	while (n)
		free(v[--n].key);
	free(v);
	return -ENOMEM;
}

/* ---- decisions ---- */

static struct lg_event *event(struct lg_merge *m, enum lg_verdict v,
			      const struct object *o,
			      const struct lg_entry *prev)
{
	struct lg_event *e = GROW_PUSH(m->ev, m->n_ev, m->cap_ev);

	if (e) {
		e->v = v;
		e->o = o;
		e->prev = prev;
	}
	return e;
}

static int keep_prev(struct lg_merge *m, const struct lg_entry *p)
{
	int err = lg_set_add(&m->next, p->group, p->kind, p->ns, p->name,
			     p->file, p->when, p->text, p->len);

	if (!err)
		m->next.v[m->next.n - 1].restored = true;
	return err;
}

/* The last valid object of the group goes in. */
static int take_new(struct lg_merge *m, const struct object *o,
		    const struct lg_entry *p, const struct lg_opts *op)
{
	const char *file = o->doc->file;
	size_t len = 0;
	char *text = lg_yaml(o->doc, &len), *g;
	const char *when = op->now;
	int err;

	if (!text)
		return -ENOMEM;
	/* the same version as before keeps its first acceptance */
	if (p && p->len == len && !memcmp(p->text, text, len) &&
	    same(p->file, file))
		when = p->when;
	g = group_of(o->api_version);
	err = g ? lg_set_add(&m->next, g, o->kind_name, o->ns, o->meta.name,
			     file, when, text, len) : -ENOMEM;
	free(g);
	free(text);
	return err ?: event(m, LG_APPLIED, o, p) ? 0 : -ENOMEM;
}

/* One object's group of new copies <v>[0..n) with last good <p>. */
static int decide(const struct config *c, struct lg_merge *m,
		  const struct cand *v, size_t n, const struct lg_entry *p,
		  const struct lg_opts *op)
{
	const struct object *good = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (!v[i].bad)
			good = v[i].o;
	for (i = 0; i < n; i++) {
		struct lg_event *e;

		if (!v[i].bad)
			continue;
		e = event(m, p && !good ? LG_KEPT : LG_NOT_APPLIED, v[i].o,
			  good ? NULL : p);
		if (!e)
			return -ENOMEM;
		e->n_errs = errors_of(c, v[i].o, &e->why);
		e->other_applies = good != NULL;
	}
	if (good)
		return take_new(m, good, p, op);
	return p ? keep_prev(m, p) : 0;
}

static int gone(struct lg_merge *m, const struct lg_entry *p)
{
	bool bad = is_bad(m, p->file);

	if (!event(m, bad ? LG_FILE_KEPT : LG_DELETED, NULL, p))
		return -ENOMEM;
	return bad ? keep_prev(m, p) : 0;
}

/* Walks the sorted new objects and the sorted last good set together. */
static int walk(const struct config *c, const struct lg_set *prev,
		const struct cand *v, size_t n, const struct lg_opts *op,
		struct lg_merge *m)
{
	size_t i = 0, j = 0, k;
	int err = 0;

	while (!err && (i < n || j < prev->n)) {
		int r = i == n ? 1 : j == prev->n ? -1 :
			strcmp(v[i].key, prev->v[j].key);

		if (r > 0) {
			err = gone(m, &prev->v[j++]);
			continue;
		}
		for (k = i; k < n && !strcmp(v[k].key, v[i].key); k++)
			;
		err = decide(c, m, v + i, k - i, r ? NULL : &prev->v[j], op);
		j += !r;
		i = k;
	}
	return err;
}

int lg_merge(const struct config *c, const struct lg_set *prev,
	     const struct lg_opts *op, struct lg_merge *m)
{
	struct cand *v = NULL;
	size_t n = 0, i;
	int err;

	memset(m, 0, sizeof(*m));
	err = find_bad(c, op, m);
	err = err ?: collect(c, m, &v, &n);
	err = err ?: walk(c, prev, v, n, op, m);
	for (i = 0; i < n; i++)
		free(v[i].key);
	free(v);
	if (err)
		lg_merge_free(m);
	return err;
}

/* ---- into the config ---- */

static size_t validate_from(struct config *c, size_t from)
{
	size_t i, bad = 0;

	for (i = from; i < c->n; i++) {
		struct object *o = c->objs[i];
		const struct kind_info *ki = kind_info_of(o->kind);
		size_t before = c->diag.n_err;

		if (!o->invalid && ki && ki->validate && o->spec)
			ki->validate(c, o);
		if (c->diag.n_err != before || o->kind == K_MESH_CONFIG)
			o->invalid = true;
		bad += o->invalid;
	}
	return bad;
}

size_t lg_apply(struct config *c, struct lg_merge *m)
{
	size_t i, bad = 0;

	for (i = 0; i < m->n_drop; i++)
		m->drop[i]->invalid = true;
	for (i = 0; i < m->next.n; i++) {
		const struct lg_entry *e = &m->next.v[i];
		size_t from = c->n;
		char *name;

		if (!e->restored)
			continue;
		name = malloc(strlen(e->file) + 32);
		if (!name) {
			bad++;
			continue;
		}
		sprintf(name, "%s (last good version)", e->file);
		config_load_buffer(c, name, e->text, e->len);
		free(name);
		bad += validate_from(c, from);
	}
	return bad;
}

void lg_merge_free(struct lg_merge *m)
{
	lg_set_free(&m->next);
	free(m->ev);
	free(m->drop);
	free(m->bad_files);
	memset(m, 0, sizeof(*m));
}

/* ---- the log ---- */

static const char *ident(const struct lg_event *e, char *buf, size_t n)
{
	const struct lg_entry *p = e->prev;

	if (e->o)
		snprintf(buf, n, "%s %s/%s", e->o->kind_name, e->o->ns,
			 e->o->meta.name);
	else
		snprintf(buf, n, "%s %s/%s", p->kind, p->ns, p->name);
	return buf;
}

static void where(const struct lg_event *e, char *buf, size_t n)
{
	const struct finding *f = e->why;

	if (!f) {
		snprintf(buf, n, "%s:%u:%u: invalid", e->o->doc->file,
			 e->o->doc->line, e->o->doc->col);
		return;
	}
	snprintf(buf, n, "%s:%u:%u: %s%s%s%s", f->file, f->line, f->col,
		 f->path ? f->path : "", f->path ? ": " : "", f->msg,
		 e->n_errs > 1 ? " (and more errors, listed above)" : "");
}

const char *lg_event_text(const struct lg_event *e, char *buf, size_t n)
{
	char id[512], at[1024];

	ident(e, id, sizeof(id));
	switch (e->v) {
	case LG_APPLIED:
		snprintf(buf, n, "applied: %s from %s", id, e->o->doc->file);
		break;
	case LG_KEPT:
		where(e, at, sizeof(at));
		snprintf(buf, n, "rejected: %s at %s; keeping the version "
			 "accepted %s from %s", id, at, e->prev->when,
			 e->prev->file);
		break;
	case LG_NOT_APPLIED:
		where(e, at, sizeof(at));
		snprintf(buf, n, "rejected: %s at %s; %s", id, at,
			 e->other_applies ?
			 "another copy of it applies" :
			 "no previous version, not applied");
		break;
	case LG_DELETED:
		snprintf(buf, n, "deleted: %s (no longer in %s)", id,
			 e->prev->file);
		break;
	case LG_FILE_KEPT:
		snprintf(buf, n, "kept: %s: %s cannot be read; keeping the "
			 "version accepted %s", id, e->prev->file,
			 e->prev->when);
		break;
	}
	return buf;
}
