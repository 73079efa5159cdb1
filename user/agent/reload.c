// SPDX-License-Identifier: Apache-2.0
/*
 * One reload: load and validate the config directory, merge it with the
 * last good version of each object (lastgood.c), build the model, compile
 * it for this node and switch the kernel to the new tables.
 *
 * Rejected objects: as with Istio's admission webhook, a rejected object
 * keeps its last good version (or stays absent when it never had one)
 * while every other change applies; a file that cannot be read or parsed
 * keeps the objects it last gave. Each such decision is logged with the
 * object, file:line:column, field and reason. The versions in force are
 * kept under <state dir>/lastgood, so a restarted agent has them too; they
 * are written only once the tables that use them are live. An object that
 * makes an entry too big for the kernel tables is rejected the same way,
 * on its own, in a second pass (oversize.h). An error in the MeshConfig,
 * or a compile or write failure, still keeps the whole previous tables in
 * force.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config/object.h"
#include "../kernel/cgroup.h"
#include "apply.h"
#include "svids.h"
#include "guards.h"
#include "lastgood.h"
#include "mtls.h"
#include "oversize.h"
#include "reload.h"

static uint64_t cgroup_id(void *ctx, const char *rel)
{
	const struct agent *a = ctx;
	char path[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", a->paths.cgroup_root, rel);
	return cgroup_id_by_path(path);
}

/* The cgroup root's level. A root that is no longer a directory of the
 * cgroup v2 hierarchy (removed, remounted) has none: guessing one would
 * give every identity a level connect4 never looks at, so none is given
 * (compile notes each workload) and it is said here. */
static unsigned int root_level(const struct agent *a)
{
	int lvl = cgroup2_level(a->paths.cgroup_root);

	if (lvl >= 0)
		return (unsigned int)lvl;
	agent_log(a, "cgroup root %s: not a directory of the cgroup v2 "
		  "hierarchy (%s): no workload is identified at connect()",
		  a->paths.cgroup_root, strerror(-lvl));
	return COMPILE_LEVEL_UNKNOWN;
}

static int load_config(struct agent *a, struct config *c)
{
	if (a->o.mesh_config && config_load_mesh_file(c, a->o.mesh_config))
		return -ENOENT;
	/* an unreadable file or subdirectory keeps its objects' last good
	 * versions (lastgood.c); only nothing read at all stops here */
	if (config_load_path(c, a->o.config_dir) && !c->n)
		return -ENOENT;
	config_validate(c);
	return 0;
}

static void log_findings(const struct agent *a, struct config *c,
			 size_t from)
{
	struct diag d = c->diag;

	if (from >= c->diag.n)
		return;
	d.v += from;
	d.n -= from;
	diag_sort(&d);
	diag_print_text(&d, a->log_hold ? a->log_hold : stderr);
}
static void log_notes(struct agent *a, const struct tables *t)
{
	size_t i;

	for (i = 0; i < t->n_notes; i++)
		agent_log(a, "note: %s", t->notes[i]);
}

/* Entries still too big once their new objects are rejected: they fail
 * closed (no endpoint, no destination, a policy set refusing all). */
static void log_overflows(struct agent *a, const struct tables *t)
{
	size_t i;

	for (i = 0; i < t->n_overflows; i++)
		if (!i || t->overflows[i].what != t->overflows[i - 1].what)
			agent_log(a, "%s: refused until it fits",
				  t->overflows[i].what);
}

static void sync_locals(struct agent *a, struct config *c, bool prune);

/* First pass (<ovs> set): entries too big for the kernel make the new
 * objects adding to them go into <ovs>, and -EAGAIN asks for a reload
 * that rejects them; nothing is written then. Otherwise this node's
 * workloads (<c>) are written before the tables, whether they compile or
 * not. */
static int compile_apply(struct agent *a, struct config *c, struct model *m,
			 const struct lg_merge *mg, struct oversize *ovs)
{
	struct compile_in in = {
		.m = m, .node = a->o.node, .locality = a->o.locality,
		.cgroup_id = cgroup_id, .ctx = a,
		.root_level = root_level(a),
		.principals = &a->principals, .namespaces = &a->namespaces,
	};
	struct tables t;
	int err = compile_tables(&in, &t);

	if (err)
		agent_log(a, "%s", t.error);
	if (!err && t.n_overflows && ovs) {
		err = oversize_collect(ovs, &t, mg);
		if (err > 0) {
			tables_free(&t);
			return -EAGAIN;	/* agent_reload() says so */
		}
		err = err < 0 ? err : 0;
	}
	sync_locals(a, c, true);
	if (!err) {
		log_overflows(a, &t);
		log_notes(a, &t);
		err = apply_tables(a, &t);
		if (!err)
			apply_l7(a, m);
		if (err)
			agent_log(a, "writing the tables failed (%s): the "
				  "tables in force stay", strerror(-err));
	}
	if (!err)
		agent_svids_sync(a, m);
	if (!err)
		agent_log(a, "generation %u live: %zu service ports, %zu "
			  "subsets, %zu endpoints, %zu identities, %zu "
			  "policy clauses (locality %s)", a->live_gen,
			  t.n_svcs, t.n_subsets, t.n_eps, t.n_idents,
			  t.n_clauses, t.locality ? t.locality : "unknown");
	if (!err)
		mtls_peers(a, m);	/* the proxy's workloads follow */
	tables_free(&t);
	return err;
}

static void stamp(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "at %lld", (long long)t);
}

/* Logs every decision but "applied"; returns how many were not. */
static size_t log_events(struct agent *a, const struct lg_merge *m)
{
	char line[2048];
	size_t i, n = 0;

	for (i = 0; i < m->n_ev; i++) {
		if (m->ev[i].v == LG_APPLIED && !a->o.verbose)
			continue;
		n += m->ev[i].v != LG_APPLIED;
		agent_log(a, "%s", lg_event_text(&m->ev[i], line,
						 sizeof(line)));
	}
	return n;
}

static bool same_set(const struct lg_set *x, const struct lg_set *y)
{
	size_t i;

	if (x->n != y->n)
		return false;
	for (i = 0; i < x->n; i++)
		if (strcmp(x->v[i].key, y->v[i].key) ||
		    x->v[i].len != y->v[i].len ||
		    memcmp(x->v[i].text, y->v[i].text, x->v[i].len))
			return false;
	return true;
}

/* Nothing the new files say changes what is in force: a broken new file
 * or a rejected edit switches no generation. */
static bool nothing_new(const struct agent *a, const struct lg_merge *m,
			const struct lg_set *prev, size_t not_applied)
{
	return a->applies && (not_applied || m->n_bad) &&
	       same_set(&m->next, prev);
}

static void store(struct agent *a, const char *dir, const struct lg_merge *m,
		  const struct lg_set *prev)
{
	int err = lg_store_write(dir, &m->next, prev);

	if (err)
		agent_log(a, "writing the last good versions to %s failed "
			  "(%s): a restarted agent may not have them", dir,
			  strerror(-err));
}

/* Writes im_local, this node's mesh workloads with their defaults, from
 * every object of <c> valid or not: whatever becomes of the tables, the
 * guards judge a local workload by its defaults until its own entries are
 * live. Without <prune> only adds (what <c> lacks may still be in force). */
static void sync_locals(struct agent *a, struct config *c, bool prune)
{
	struct ct_locals l;
	int err = ct_locals(c, a->o.node, &l);

	err = err ?: dp_sync_local(&a->dp, l.ips, l.v, l.n, prune);
	if (err)
		agent_log(a, "writing this node's workload addresses failed "
			  "(%s): a new workload may meet no guard default",
			  strerror(-err));
	/* the same addresses place the guards on the pods' interfaces */
	guards_workloads(a, l.ips, l.n, prune);
	ct_locals_free(&l);
}

/* Merges <c> with the last good versions and applies the result; see
 * compile_apply() on <ovs>. */
static int merge_apply(struct agent *a, struct config *c,
		       struct oversize *ovs)
{
	struct lg_opts op = { .mesh_file = a->o.mesh_config };
	char dir[PATH_MAX + 16], now[64];
	struct lg_set prev;
	struct lg_merge m;
	struct model mo;
	size_t n, before;
	int err;

	snprintf(dir, sizeof(dir), "%s/lastgood", a->paths.state_dir);
	stamp(now, sizeof(now));
	op.now = now;
	err = lg_store_read(dir, &prev);
	if (err)
		agent_log(a, "reading the last good versions in %s failed "
			  "(%s)", dir, strerror(-err));
	err = lg_merge(c, &prev, &op, &m);
	if (err) {
		agent_log(a, "merging with the last good versions failed "
			  "(%s): the tables in force stay", strerror(-err));
		lg_set_free(&prev);
		return err;
	}
	n = log_events(a, &m);
	if (m.whole || nothing_new(a, &m, &prev, n))
		sync_locals(a, c, false);
	if (m.whole) {
		agent_log(a, "the MeshConfig has errors: the new configuration "
			  "is rejected, the tables in force stay "
			  "(generation %u)", a->live_gen);
		err = -EINVAL;
	} else if (nothing_new(a, &m, &prev, n)) {
		agent_log(a, "nothing to change: the tables in force stay "
			  "(generation %u)", a->live_gen);
	} else {
		before = c->diag.n;
		if (lg_apply(c, &m))
			agent_log(a, "a stored last good version no longer "
				  "validates; it stays out:");
		log_findings(a, c, before);
		model_build(&mo, c);
		err = compile_apply(a, c, &mo, &m, ovs);
		model_free(&mo);
		if (!err)
			store(a, dir, &m, &prev);
	}
	lg_merge_free(&m);
	lg_set_free(&prev);
	return err;
}

/* One pass; <ovs> the objects too big for the kernel found so far, to
 * reject (second pass), or to fill (first pass, <first>). */
static int reload_pass(struct agent *a, struct oversize *ovs, bool first)
{
	struct config c;
	int err;

	config_init(&c);
	err = load_config(a, &c);
	if (!first)
		oversize_mark(ovs, &c);
	log_findings(a, &c, 0);
	if (err)
		agent_log(a, "cannot read %s: the tables in force stay",
			  a->o.config_dir);
	else
		err = merge_apply(a, &c, first ? ovs : NULL);
	config_free(&c);
	return err;
}

/* The first pass holds its log lines: when it finds objects too big for
 * the kernel (it wrote nothing then) the second pass, which rejects them,
 * says everything again, so the first one's lines go; otherwise they are
 * the reload's and are printed. */
static int first_pass(struct agent *a, struct oversize *ovs)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	a->log_hold = open_memstream(&buf, &len);
	err = reload_pass(a, ovs, true);
	if (a->log_hold)
		fclose(a->log_hold);
	a->log_hold = NULL;
	if (err != -EAGAIN && buf)
		fwrite(buf, 1, len, stderr);
	free(buf);
	return err;
}

int agent_reload(struct agent *a)
{
	struct oversize ovs = { 0 };
	int err = first_pass(a, &ovs);

	if (err == -EAGAIN) {
		agent_log(a, "%zu object(s) would make entries too big for "
			  "the kernel tables: rejecting them on their own",
			  ovs.n);
		err = reload_pass(a, &ovs, false);
	}
	oversize_free(&ovs);
	return err;
}
