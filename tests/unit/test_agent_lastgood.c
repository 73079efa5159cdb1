// SPDX-License-Identifier: Apache-2.0
/* Per-object last good versions (user/agent/lastgood*.c), pure: the merge
 * of a new config with the versions in force, the store on disk, and the
 * compile note for failoverPriority. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "compile/compile.h"
#include "agent/lastgood.h"
#include "harness.h"
#include "model/model.h"

#define DR(name, host, subset) \
	"---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata: {name: " name ", namespace: shop}\nspec:\n" \
	"  host: " host "\n  subsets:\n  - name: " subset "\n" \
	"    labels: {version: " subset "}\n"
/* Istio rejects a subset without a name (spec.subsets[0].name) */
#define DR_BAD(name, host) \
	"---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata: {name: " name ", namespace: shop}\nspec:\n" \
	"  host: " host "\n  subsets:\n  - labels: {version: v9}\n"
#define VS(name, w1, w2) \
	"---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\n" \
	"metadata: {name: " name ", namespace: shop}\nspec:\n" \
	"  hosts: [" name "]\n  http:\n  - route:\n" \
	"    - destination: {host: " name ", subset: v1}\n" \
	"      weight: " #w1 "\n" \
	"    - destination: {host: " name ", subset: v2}\n" \
	"      weight: " #w2 "\n"

#define DR_KEY "networking.istio.io\x1f" "DestinationRule\x1fshop\x1f"
#define VS_KEY "networking.istio.io\x1fVirtualService\x1fshop\x1f"

struct lfix {
	struct config c;
	struct lg_set prev;
	struct lg_merge m;
	int err;
};

static const struct lg_opts opts = { .now = "T1" };

/* Files <names>[i] hold <texts>[i]; NULL ends the list. */
static void load(struct config *c, const char *const *names,
		 const char *const *texts)
{
	config_init(c);
	for (; *names; names++, texts++)
		config_load_buffer(c, *names, *texts, strlen(*texts));
	config_validate(c);
}

static void merge(struct lfix *f, const char *const *names,
		  const char *const *texts)
{
	load(&f->c, names, texts);
	f->err = lg_merge(&f->c, &f->prev, &opts, &f->m);
	CU_ASSERT_EQUAL_FATAL(f->err, 0);
}

static void lfix_done(struct lfix *f)
{
	lg_merge_free(&f->m);
	lg_set_free(&f->prev);
	config_free(&f->c);
}

/* What the first merge put in force becomes the next one's last good. */
static void next_round(struct lfix *f)
{
	lg_set_free(&f->prev);
	f->prev = f->m.next;
	memset(&f->m.next, 0, sizeof(f->m.next));
	lg_merge_free(&f->m);
	config_free(&f->c);
}

static const struct lg_event *ev_of(const struct lg_merge *m,
				    const char *name)
{
	size_t i;

	for (i = 0; i < m->n_ev; i++) {
		const struct lg_event *e = &m->ev[i];
		const char *n = e->o ? e->o->meta.name : e->prev->name;

		if (!strcmp(n, name))
			return e;
	}
	return NULL;
}

static const struct object *valid_obj(const struct config *c,
				      enum kind k, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->objs[i]->kind == k && !c->objs[i]->invalid &&
		    !strcmp(c->objs[i]->meta.name, name))
			return c->objs[i];
	return NULL;
}

static void accepted_goes_in_and_round_trips(void)
{
	const char *n[] = { "a.yaml", NULL }, *t[] = { VS("web", 90, 10) };
	struct lfix f = { 0 };
	const struct lg_entry *e;
	struct config back;
	const struct object *o;

	merge(&f, n, t);
	CU_ASSERT_EQUAL(f.m.n_ev, 1);
	CU_ASSERT_EQUAL(f.m.ev[0].v, LG_APPLIED);
	e = lg_find(&f.m.next, VS_KEY "web");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->file, "a.yaml");
	CU_ASSERT_STRING_EQUAL(e->when, "T1");
	CU_ASSERT_FALSE(e->restored);
	/* the stored YAML reads back as the same object: weights still
	 * integers (plain scalars stay plain) */
	config_init(&back);
	config_load_buffer(&back, "x", e->text, e->len);
	config_validate(&back);
	CU_ASSERT_EQUAL(diag_count(&back.diag, SEV_ERROR), 0);
	o = valid_obj(&back, K_VIRTUAL_SERVICE, "web");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(obj_vs(o)->http.v[0].route.v[0].weight.v, 90);
	CU_ASSERT_EQUAL(obj_vs(o)->http.v[0].route.v[1].weight.v, 10);
	config_free(&back);
	lfix_done(&f);
}

/* The bad DR keeps its v1 version; the VS's new weights still apply. */
static void rejected_keeps_previous(void)
{
	const char *n[] = { "a.yaml", "b.yaml", NULL };
	const char *t1[] = { DR("ms", "ms", "v1"), VS("web", 90, 10) };
	const char *t2[] = { DR_BAD("ms", "ms"), VS("web", 50, 50) };
	struct lfix f = { 0 };
	const struct lg_event *e;
	const struct object *o;
	char line[1024];

	merge(&f, n, t1);
	next_round(&f);
	merge(&f, n, t2);
	e = ev_of(&f.m, "ms");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(e->v, LG_KEPT);
	CU_ASSERT_EQUAL(ev_of(&f.m, "web")->v, LG_APPLIED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lg_find(&f.m.next, DR_KEY "ms"));
	CU_ASSERT_TRUE(lg_find(&f.m.next, DR_KEY "ms")->restored);
	lg_event_text(e, line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "rejected: DestinationRule "
				      "shop/ms at a.yaml:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "spec.subsets[0].name: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "keeping the version accepted "
				      "T1 from a.yaml"));
	if (!strstr(line, "spec.subsets[0]"))
		fprintf(stderr, "%s\n", line);
	/* the merged config: the old DR valid, the new VS */
	CU_ASSERT_EQUAL(lg_apply(&f.c, &f.m), 0);
	o = valid_obj(&f.c, K_DESTINATION_RULE, "ms");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(obj_dr(o)->subsets.v[0].name, "v1");
	o = valid_obj(&f.c, K_VIRTUAL_SERVICE, "web");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(obj_vs(o)->http.v[0].route.v[0].weight.v, 50);
	lfix_done(&f);
}

static void rejected_without_previous_is_absent(void)
{
	const char *n[] = { "a.yaml", NULL }, *t[] = { DR_BAD("ms", "ms") };
	struct lfix f = { 0 };
	char line[1024];

	merge(&f, n, t);
	CU_ASSERT_EQUAL_FATAL(f.m.n_ev, 1);
	CU_ASSERT_EQUAL(f.m.ev[0].v, LG_NOT_APPLIED);
	CU_ASSERT_EQUAL(f.m.next.n, 0);
	lg_event_text(&f.m.ev[0], line, sizeof(line));
	CU_ASSERT_PTR_NOT_NULL(strstr(line, "no previous version, not "
				      "applied"));
	lg_apply(&f.c, &f.m);
	CU_ASSERT_PTR_NULL(valid_obj(&f.c, K_DESTINATION_RULE, "ms"));
	lfix_done(&f);
}

static void removed_object_is_deleted(void)
{
	const char *n[] = { "a.yaml", NULL };
	const char *t1[] = { DR("ms", "ms", "v1") VS("web", 90, 10) };
	const char *t2[] = { VS("web", 90, 10) };
	struct lfix f = { 0 };

	merge(&f, n, t1);
	next_round(&f);
	merge(&f, n, t2);
	CU_ASSERT_EQUAL(ev_of(&f.m, "ms")->v, LG_DELETED);
	CU_ASSERT_PTR_NULL(lg_find(&f.m.next, DR_KEY "ms"));
	CU_ASSERT_EQUAL(f.m.next.n, 1);
	lfix_done(&f);
}

/* b.yaml broken mid-way: nothing of its new text is used and both of its
 * objects keep their last good versions; a.yaml's change applies. */
static void unparsable_file_keeps_its_objects(void)
{
	const char *n[] = { "a.yaml", "b.yaml", NULL };
	const char *t1[] = { VS("web", 90, 10),
			     DR("ms", "ms", "v1") DR("db", "db", "v1") };
	const char *t2[] = { VS("web", 50, 50),
			     DR("ms", "ms", "v2") "---\nkind: [unclosed\n" };
	struct lfix f = { 0 };
	const struct object *o;

	merge(&f, n, t1);
	next_round(&f);
	merge(&f, n, t2);
	CU_ASSERT_EQUAL_FATAL(f.m.n_bad, 1);
	CU_ASSERT_STRING_EQUAL(f.m.bad_files[0], "b.yaml");
	CU_ASSERT_EQUAL(ev_of(&f.m, "ms")->v, LG_FILE_KEPT);
	CU_ASSERT_EQUAL(ev_of(&f.m, "db")->v, LG_FILE_KEPT);
	CU_ASSERT_EQUAL(ev_of(&f.m, "web")->v, LG_APPLIED);
	CU_ASSERT_EQUAL(f.m.next.n, 3);
	CU_ASSERT_EQUAL(lg_apply(&f.c, &f.m), 0);
	/* the half-written v2 of ms is dropped, v1 is back */
	o = valid_obj(&f.c, K_DESTINATION_RULE, "ms");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(obj_dr(o)->subsets.v[0].name, "v1");
	CU_ASSERT_PTR_NOT_NULL(valid_obj(&f.c, K_DESTINATION_RULE, "db"));
	lfix_done(&f);
}

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* A restarted agent reads the store: a bad DR still has its last good
 * version. Deleting an object removes its file. */
static void restart_adopts_the_store(void)
{
	const char *n[] = { "a.yaml", NULL };
	const char *t1[] = { DR("ms", "ms", "v1") VS("web", 90, 10) };
	const char *t2[] = { DR_BAD("ms", "ms") };
	char tmpl[] = "/tmp/im-lastgood-XXXXXX", dir[64];
	struct lfix f = { 0 };
	struct lg_set back;
	const struct lg_entry *e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/lastgood", tmpl);
	merge(&f, n, t1);
	CU_ASSERT_EQUAL(lg_store_write(dir, &f.m.next, NULL), 0);
	CU_ASSERT_EQUAL(files_in(dir), 2);
	lfix_done(&f);

	/* a new process: only the directory is left */
	memset(&f, 0, sizeof(f));
	CU_ASSERT_EQUAL(lg_store_read(dir, &f.prev), 0);
	CU_ASSERT_EQUAL_FATAL(f.prev.n, 2);
	e = lg_find(&f.prev, DR_KEY "ms");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(e->file, "a.yaml");
	CU_ASSERT_STRING_EQUAL(e->when, "T1");
	merge(&f, n, t2);
	CU_ASSERT_EQUAL(ev_of(&f.m, "ms")->v, LG_KEPT);
	CU_ASSERT_EQUAL(ev_of(&f.m, "web")->v, LG_DELETED);
	CU_ASSERT_EQUAL(lg_apply(&f.c, &f.m), 0);
	CU_ASSERT_PTR_NOT_NULL(valid_obj(&f.c, K_DESTINATION_RULE, "ms"));
	/* web was deleted: its file goes, ms stays */
	CU_ASSERT_EQUAL(lg_store_write(dir, &f.m.next, &f.prev), 0);
	CU_ASSERT_EQUAL(files_in(dir), 1);
	CU_ASSERT_EQUAL(lg_store_read(dir, &back), 0);
	CU_ASSERT_EQUAL(back.n, 1);
	lg_set_free(&back);
	lfix_done(&f);
	rm_dir(dir);
	rmdir(tmpl);
}

/* The MeshConfig is mesh-wide: an error in it rejects everything. */
static void mesh_config_error_rejects_all(void)
{
	const char *n[] = { "a.yaml", NULL };
	const char *t[] = { VS("web", 90, 10)
		"---\napiVersion: v1\nkind: ConfigMap\n"
		"metadata: {name: istio, namespace: istio-system}\n"
		"data:\n  mesh: |\n    connectTimeout: [1]\n" };
	struct lfix f = { 0 };

	merge(&f, n, t);
	CU_ASSERT_TRUE(f.m.whole);
	lfix_done(&f);
}

UNIT_SUITE(agent_lastgood)
{
	UNIT_TEST(s, accepted_goes_in_and_round_trips);
	UNIT_TEST(s, rejected_keeps_previous);
	UNIT_TEST(s, rejected_without_previous_is_absent);
	UNIT_TEST(s, removed_object_is_deleted);
	UNIT_TEST(s, unparsable_file_keeps_its_objects);
	UNIT_TEST(s, restart_adopts_the_store);
	UNIT_TEST(s, mesh_config_error_rejects_all);
}

/* ---- the failoverPriority note ---- */

#define FP_YAML(lls) \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: ms, " \
	"namespace: shop}\nspec:\n  clusterIP: 10.96.0.2\n" \
	"  selector: {app: ms}\n  ports: [{name: http, port: 8080}]\n" \
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: ms-a\n  namespace: shop\n  annotations:\n" \
	"    infermesh.io/node: node-a\n" \
	"spec:\n  address: 10.1.0.11\n  labels: {app: ms}\n" \
	"  locality: us-east-1/us-east-1a\n" \
	"---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata: {name: ms, namespace: shop}\nspec:\n  host: ms\n" \
	"  trafficPolicy:\n" \
	"    outlierDetection: {consecutive5xxErrors: 7, interval: 1s}\n" \
	"    loadBalancer:\n      localityLbSetting:\n" lls
#define FP "        failoverPriority: [topology.kubernetes.io/region]\n"

static size_t notes_with(const char *yaml, const char *what)
{
	struct intern p = { 0 }, ns = { 0 };
	struct compile_in in = { .node = "node-a", .principals = &p,
				 .namespaces = &ns };
	struct config *c = unit_load(yaml);
	struct tables t;
	struct model m;
	size_t i, n = 0;

	CU_ASSERT_EQUAL(diag_count(&c->diag, SEV_ERROR), 0);
	model_build(&m, c);
	in.m = &m;
	CU_ASSERT_EQUAL(compile_tables(&in, &t), 0);
	for (i = 0; i < t.n_notes; i++)
		n += !!strstr(t.notes[i], what);
	tables_free(&t);
	model_free(&m);
	unit_free(c);
	intern_free(&p);
	intern_free(&ns);
	return n;
}

static void failover_priority_is_noted_once(void)
{
	/* enforced now; the note for local workloads that differ is in
	 * test_agent_failover.c */
	CU_ASSERT_EQUAL(notes_with(FP_YAML(FP), "failoverPriority"), 0);
	CU_ASSERT_EQUAL(notes_with(FP_YAML("        enabled: true\n"),
				   "failoverPriority"), 0);
}

UNIT_SUITE(agent_locality_notes)
{
	UNIT_TEST(s, failover_priority_is_noted_once);
}
