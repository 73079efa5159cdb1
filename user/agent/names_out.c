// SPDX-License-Identifier: Apache-2.0
/*
 * The names `infermesh maps` prints instead of numbers (user/maps/names.h).
 * bpffs holds only BPF objects and directories (this kernel refuses even
 * symlinks there), so the files live in the agent's state directory:
 * <state-dir>/names.<gen>.json, written before the generation goes live.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../maps/names.h"
#include "apply.h"

static int set_all(struct im_names *n, enum names_kind k,
		   const struct ct_name *v, size_t cnt)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < cnt; i++)
		err = names_set(n, k, v[i].id, v[i].name);
	return err;
}

static int set_identities(struct im_names *n, const struct agent *a)
{
	char buf[PATH_MAX];
	size_t i;
	int err = 0;

	for (i = 0; !err && i < a->principals.n; i++) {
		snprintf(buf, sizeof(buf), "spiffe://%s", a->principals.v[i]);
		err = names_set(n, NAMES_PRINCIPAL, i + 1, buf);
	}
	for (i = 0; !err && i < a->namespaces.n; i++)
		err = names_set(n, NAMES_NAMESPACE, i + 1, a->namespaces.v[i]);
	return err;
}

static int set_endpoints(struct im_names *n, const struct tables *t)
{
	char wl[512];
	size_t i, j;
	int err = 0;

	for (i = 0; !err && i < t->n_endpoints; i++) {
		const struct ct_endpoint *e = &t->endpoints[i];
		const struct kvs *l = e->wl ? e->wl->labels : NULL;

		snprintf(wl, sizeof(wl), "%s/%s", e->wl ? e->wl->ns : "",
			 e->wl ? e->wl->name : "");
		err = names_set_endpoint(n, e->ip, wl, e->locality);
		for (j = 0; !err && l && j < l->n; j++)
			err = names_add_label(n, e->ip, l->v[j].key,
					      l->v[j].val);
	}
	return err;
}

static int fill(struct im_names *n, const struct agent *a,
		const struct tables *t)
{
	int err = set_all(n, NAMES_SERVICE, t->svc_names, t->n_svc_names);

	err = err ?: set_all(n, NAMES_ROUTE, t->route_names, t->n_route_names);
	err = err ?: set_all(n, NAMES_SUBSET, t->subset_names,
			     t->n_subset_names);
	err = err ?: set_all(n, NAMES_RULE, t->rule_names, t->n_rule_names);
	err = err ?: set_all(n, NAMES_POLSET, t->polset_names,
			     t->n_polset_names);
	err = err ?: set_all(n, NAMES_CGROUP, t->cgroup_names,
			     t->n_cgroup_names);
	err = err ?: set_identities(n, a);
	return err ?: set_endpoints(n, t);
}

int apply_names(struct agent *a, const struct tables *t, unsigned int gen)
{
	struct im_names *n = names_new(gen, a->o.node);
	int err = n ? fill(n, a, t) : -ENOMEM;

	err = err ?: names_save(n, a->paths.state_dir);
	names_free(n);
	if (err)
		fprintf(stderr, "infermesh agent: names for `infermesh maps` "
			"not written: %s\n", strerror(-err));
	return err;
}
