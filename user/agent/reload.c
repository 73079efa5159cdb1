// SPDX-License-Identifier: Apache-2.0
/*
 * One reload: load and validate the config directory, build the model,
 * compile it for this node and switch the kernel to the new tables.
 *
 * Rejected objects: when validation rejects any object (a SEV_ERROR
 * finding), nothing of the new set is applied: every finding is logged
 * with its file:line and the tables in force stay as they are, so the
 * last good version of every object stays in force. (Per-object fallback,
 * mixing the rejected object's previous version into the new set, is not
 * done: the whole previous set is kept.)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../config/object.h"
#include "agent_int.h"

static uint64_t cgroup_id(void *ctx, const char *rel)
{
	const struct agent *a = ctx;
	char path[2 * PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", a->cgroup_root, rel);
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return 0;
	return st.st_ino;	/* a cgroup's id is its directory's inode */
}

static int load_config(struct agent *a, struct config *c)
{
	if (a->o.mesh_config && config_load_mesh_file(c, a->o.mesh_config))
		return -ENOENT;
	if (config_load_path(c, a->o.config_dir))
		return -ENOENT;
	config_validate(c);
	return 0;
}

static void log_findings(struct agent *a, struct config *c)
{
	size_t errs = diag_count(&c->diag, SEV_ERROR);

	if (!c->diag.n)
		return;
	diag_sort(&c->diag);
	diag_print_text(&c->diag, stderr);
	if (errs)
		agent_log(a, "%zu error(s) in %s: the new configuration is "
			  "rejected, the tables in force stay (generation %u)",
			  errs, a->o.config_dir, a->live_gen);
}

static void log_notes(struct agent *a, const struct tables *t)
{
	size_t i;

	for (i = 0; i < t->n_notes; i++)
		agent_log(a, "note: %s", t->notes[i]);
}

static int compile_apply(struct agent *a, struct model *m)
{
	struct compile_in in = {
		.m = m, .node = a->o.node, .locality = a->o.locality,
		.cgroup_id = cgroup_id, .ctx = a,
		.principals = &a->principals, .namespaces = &a->namespaces,
	};
	struct tables t;
	int err = compile_tables(&in, &t);

	if (err)
		agent_log(a, "%s", t.error);
	if (!err) {
		log_notes(a, &t);
		err = apply_tables(a, &t);
		if (err)
			agent_log(a, "writing the tables failed (%s): the "
				  "tables in force stay", strerror(-err));
	}
	if (!err)
		agent_log(a, "generation %u live: %zu service ports, %zu "
			  "subsets, %zu endpoints, %zu identities, %zu "
			  "policy clauses (locality %s)", a->live_gen,
			  t.n_svcs, t.n_subsets, t.n_eps, t.n_idents,
			  t.n_clauses, t.locality ? t.locality : "unknown");
	tables_free(&t);
	return err;
}

int agent_reload(struct agent *a)
{
	struct config c;
	struct model m;
	int err;

	config_init(&c);
	err = load_config(a, &c);
	log_findings(a, &c);
	if (err)
		agent_log(a, "cannot read %s: the tables in force stay",
			  a->o.config_dir);
	else if (diag_count(&c.diag, SEV_ERROR))
		err = -EINVAL;
	if (!err) {
		model_build(&m, &c);
		err = compile_apply(a, &m);
		model_free(&m);
	}
	config_free(&c);
	return err;
}
