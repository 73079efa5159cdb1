// SPDX-License-Identifier: Apache-2.0
/*
 * The annotation infermesh.io/cgroup of a WorkloadEntry: the workload's
 * cgroup, relative to the node's cgroup root (the agent's --cgroup-root).
 * The kernel takes every process at or below that cgroup for the workload,
 * so a path that could leave the root ("..", an absolute path) or a cgroup
 * two workloads of one node claim would give a process the wrong identity:
 * each is an error that rejects the object.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

#define CGROUP_KEY "infermesh.io/cgroup"
#define NODE_KEY "infermesh.io/node"
#define CGROUP_PATH "metadata.annotations." CGROUP_KEY

static const struct kv *annotation(const struct object *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->meta.annotations.n; i++)
		if (!strcmp(o->meta.annotations.v[i].key, key))
			return &o->meta.annotations.v[i];
	return NULL;
}

/* The next path component of <*p> that is not empty or ".", and its
 * length; NULL at the end. */
static const char *next_part(const char **p, size_t *len)
{
	const char *s;

	for (;;) {
		s = *p;
		*len = strcspn(s, "/");
		*p = s + *len + (s[*len] == '/');
		if (!*s)
			return NULL;
		if (*len && !(*len == 1 && *s == '.'))
			return s;
	}
}

/* "pods/a", "pods//a/" and "./pods/a" name the same cgroup. */
static bool same_cgroup(const char *a, const char *b)
{
	const char *x, *y;
	size_t lx, ly;

	for (;;) {
		x = next_part(&a, &lx);
		y = next_part(&b, &ly);
		if (!x || !y)
			return !x && !y;
		if (lx != ly || memcmp(x, y, lx))
			return false;
	}
}

static bool has_dotdot(const char *p)
{
	const char *s;
	size_t len;

	while ((s = next_part(&p, &len)))
		if (len == 2 && !memcmp(s, "..", 2))
			return true;
	return false;
}

/* An earlier WorkloadEntry of the same node with the same cgroup; its
 * annotation in <*at>. */
static const struct object *claimed_by(const struct config *c,
				       const struct object *o,
				       const char *node, const char *cg,
				       const struct kv **at)
{
	const struct kv *n, *g;
	size_t i;

	for (i = 0; i < c->n && c->objs[i] != o; i++) {
		const struct object *p = c->objs[i];

		if (p->kind != K_WORKLOAD_ENTRY || p->invalid)
			continue;
		n = annotation(p, NODE_KEY);
		g = annotation(p, CGROUP_KEY);
		if (n && g && !strcmp(n->val, node) &&
		    same_cgroup(g->val, cg)) {
			*at = g;
			return p;
		}
	}
	return NULL;
}

void v_we_cgroup(struct config *c, const struct object *o)
{
	const struct kv *cg = annotation(o, CGROUP_KEY);
	const struct kv *node = annotation(o, NODE_KEY);
	const struct object *other;
	const struct kv *theirs = NULL;
	const char *v = cg ? cg->val : NULL, *rest = v;
	size_t len;

	if (!v)
		return;
	if (!next_part(&rest, &len))
		v_error(c, o, cg->at, CGROUP_PATH,
			"write the workload's cgroup relative to the node's "
			"cgroup root, e.g. kubepods/pod-1234",
			"cgroup \"%s\" names no cgroup below the root", v);
	else if (v[0] == '/')
		v_error(c, o, cg->at, CGROUP_PATH,
			"write it relative to the node's cgroup root (the "
			"agent's --cgroup-root), without the leading '/'",
			"cgroup \"%s\" is an absolute path: it may lie outside "
			"the node's cgroup root", v);
	else if (has_dotdot(v))
		v_error(c, o, cg->at, CGROUP_PATH,
			"name the cgroup below the node's cgroup root without "
			"\"..\"",
			"cgroup \"%s\" contains \"..\": it may lie outside the "
			"node's cgroup root", v);
	else if (node && (other = claimed_by(c, o, node->val, v, &theirs)))
		v_error(c, o, cg->at, CGROUP_PATH,
			"give each workload its own cgroup (a container's "
			"cgroup below its pod's is already the pod's)",
			"cgroup \"%s\" on node %s is already the cgroup of "
			"WorkloadEntry %s/%s (%s:%u:%u): a process in it would "
			"be two workloads", v, node->val,
			other->ns ? other->ns : "", other->meta.name,
			theirs->at ? theirs->at->file : "?",
			theirs->at ? theirs->at->line : 0,
			theirs->at ? theirs->at->col : 0);
}
