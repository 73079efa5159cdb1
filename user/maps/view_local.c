// SPDX-License-Identifier: Apache-2.0
/* The views of what identifies a node's workloads: the cgroup levels
 * connect4 walks (im_idlvl) and the local workloads the guards judge by
 * their defaults when their own entries are not live (im_local), the
 * latter joined with the identity whose address it is. */
#include <errno.h>

#include "view_int.h"

static int idlvl_cb(void *arg, const void *k, const void *v)
{
	const struct view_ctx *c = ((void **)arg)[0];
	json_t *rows = ((void **)arg)[1];
	json_t *r = dec_idlvl(&c->dec, *(const __u32 *)k, v);

	return r && json_array_append_new(rows, r) ? -ENOMEM : 0;
}

int view_build_idlevels(const struct view_ctx *c, json_t *rows)
{
	void *arg[2] = { (void *)c, rows };

	return src_each(c->src, "im_idlvl", idlvl_cb, arg);
}

/* The identities of the live generation by address: {"10.1.2.3": row}.
 * Two workloads may share an address (hostNetwork): the first wins. */
static json_t *idents_by_address(const struct view_ctx *c)
{
	json_t *rows = json_array(), *by = json_object(), *r;
	size_t i;

	if (rows && by && !view_find("identities")->build(c, rows))
		json_array_foreach(rows, i, r) {
			const char *a = json_string_value(
				json_object_get(r, "address"));

			if (a && !json_object_get(by, a))
				json_object_set(by, a, r);
		}
	json_decref(rows);
	return by;
}

struct local_walk {
	const struct view_ctx *c;
	json_t *rows;
	json_t *ids;
};

static int local_cb(void *arg, const void *k, const void *v)
{
	struct local_walk *w = arg;
	json_t *r = dec_local(&w->c->dec, *(const __u32 *)k, v), *id;

	if (!r || json_array_append_new(w->rows, r))
		return -ENOMEM;
	id = json_object_get(w->ids, json_string_value(
		json_object_get(r, "address")));
	json_object_set_new(r, "cgroup", id ? json_incref(json_object_get(
		id, "cgroup")) : json_null());
	json_object_set_new(r, "principal", id ? json_incref(json_object_get(
		id, "principal")) : json_null());
	return 0;
}

int view_build_local(const struct view_ctx *c, json_t *rows)
{
	struct local_walk w = { c, rows, idents_by_address(c) };
	int err = w.ids ? src_each(c->src, "im_local", local_cb, &w) : -ENOMEM;

	json_decref(w.ids);
	view_sort(rows, "address", NULL);
	return err;
}
