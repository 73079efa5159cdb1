// SPDX-License-Identifier: Apache-2.0
/* Files -> YAML documents -> typed objects. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kinds.h"
#include "mesh.h"

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	diag_init(&c->diag, &c->arena);
	c->default_ns = "default";
	mesh_defaults(&c->mesh);
	c->root_ns = c->mesh.root_namespace;
}

void config_free(struct config *c)
{
	free(c->objs);
	diag_free(&c->diag);
	arena_free(&c->arena);
	memset(c, 0, sizeof(*c));
}

const char *kvs_get(const struct kvs *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].key, key))
			return m->v[i].val ? m->v[i].val : "";
	return NULL;
}

bool labels_match(const struct kvs *sel, const struct kvs *labels)
{
	size_t i;

	for (i = 0; i < sel->n; i++) {
		const char *v = kvs_get(labels, sel->v[i].key);

		if (!v || strcmp(v, sel->v[i].val ? sel->v[i].val : ""))
			return false;
	}
	return true;
}

static void add_object(struct config *c, struct object *o)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->objs = realloc(c->objs, c->cap * sizeof(*c->objs));
		if (!c->objs)
			abort();
	}
	o->seq = c->n;
	c->objs[c->n++] = o;
}

/* apiVersion and kind: written as null or "" is the same as not written
 * (an empty kind used to load as an object of kind "") */
static const char *scalar(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && n->len && !ynode_is_null(n) ?
		       n->str : NULL;
}

/* "networking.istio.io/v1beta1" -> group and version; "v1" -> core. */
static void split_api_version(struct arena *a, const char *av,
			      const char **group, const char **version)
{
	const char *slash = strrchr(av, '/');

	if (!slash) {
		*group = "";
		*version = av;
		return;
	}
	*group = arena_strndup(a, av, (size_t)(slash - av));
	*version = slash + 1;
}

static bool version_known(const struct kind_info *ki, const char *version)
{
	return enum_index(ki->versions, version) >= 0;
}

static void set_resource(struct config *c, struct object *o)
{
	const char *name = o->meta.name ? o->meta.name : "<unnamed>";

	if (o->ns_given)
		o->resource = arena_printf(&c->arena, "%s %s/%s", o->kind_name,
					   o->ns, name);
	else
		o->resource = arena_printf(&c->arena, "%s %s", o->kind_name, name);
}

static int decode_meta(struct config *c, struct object *o)
{
	struct decode_ctx dc = { &c->arena, &c->diag, o };
	const struct ynode *m = ynode_get(o->doc, "metadata");
	int errs = schema_decode(&dc, &schema_meta, m, &o->meta, "metadata");

	o->ns_given = o->meta.namespace_ && *o->meta.namespace_;
	o->ns = o->ns_given ? o->meta.namespace_ : c->default_ns;
	set_resource(c, o);
	if (!errs && (!o->meta.name || !*o->meta.name) &&
	    !o->meta.generate_name) {
		diag_add(&c->diag, "IM0103", SEV_ERROR, o, m ? m : o->doc,
			 "metadata.name", "give the object a metadata.name",
			 "%s has no metadata.name; Kubernetes would refuse it",
			 o->kind_name);
		errs++;
	}
	return errs;
}

static void load_other(struct config *c, struct object *o, const char *group)
{
	o->kind = K_OTHER;
	if (decode_meta(c, o))
		o->invalid = true;
	diag_add(&c->diag, "IM0102", SEV_INFO, o, o->doc, NULL, NULL,
		 "%s%s%s is not read by infermesh (it does not change what the "
		 "sidecarless dataplane enforces)", o->kind_name,
		 *group ? "." : "", group);
}

static void load_istio_operator(struct config *c, struct object *o)
{
	const struct ynode *spec = ynode_get(o->doc, "spec");

	decode_meta(c, o);
	mesh_load_node(c, o, ynode_get(spec, "meshConfig"), "spec.meshConfig");
}

/* ConfigMap istio/<root ns>: Istio keeps MeshConfig as YAML in data.mesh. */
static void load_configmap(struct config *c, struct object *o)
{
	const struct ynode *data = ynode_get(o->doc, "data");
	const struct ynode *mesh = ynode_get(data, "mesh");

	o->kind = K_OTHER;
	decode_meta(c, o);
	if (!o->meta.name || strcmp(o->meta.name, "istio") || !mesh ||
	    mesh->type != Y_SCALAR)
		return;
	o->kind = K_MESH_CONFIG;
	mesh_load_text(c, o, mesh);
}

static void load_typed(struct config *c, struct object *o,
		       const struct kind_info *ki)
{
	struct decode_ctx dc = { &c->arena, &c->diag, o };
	const struct ynode *spec = ynode_get(o->doc, "spec");
	int errs = decode_meta(c, o);

	o->kind = ki->kind;
	o->status = ynode_get(o->doc, "status");
	if (ki->spec) {
		o->spec = arena_alloc(&c->arena, ki->spec->size);
		errs += schema_decode(&dc, ki->spec, spec, o->spec, "spec");
	}
	if (ki->kind == K_SERVICE_ENTRY && o->status) {
		struct se_status *st = arena_alloc(&c->arena, sizeof(*st));

		/* status is written by the control plane; read the
		 * allocated addresses, never warn about its fields */
		schema_decode(&dc, &schema_se_status, o->status, st, "status");
		o->status_typed = st;
	}
	if (errs)
		o->invalid = true;
}

static void load_doc(struct config *c, const struct ynode *doc);

/* Findings from one file after which its remaining documents are skipped. */
#define LOAD_MAX_FINDINGS 10000

/* kubectl get -o yaml prints `kind: List` with the objects in items. */
static void load_list(struct config *c, const struct ynode *doc)
{
	const struct ynode *items = ynode_get(doc, "items");
	size_t i;

	if (!items || items->type != Y_SEQ)
		return;
	for (i = 0; i < items->n; i++)
		load_doc(c, items->items[i]);
}

static void load_doc(struct config *c, const struct ynode *doc)
{
	struct object *o;
	const char *av, *kind, *group, *version;
	const struct kind_info *ki;

	if (doc->type != Y_MAP) {
		diag_add(&c->diag, "IM0103", SEV_ERROR, NULL, doc, NULL,
			 "each YAML document must be one Kubernetes object",
			 "document is a %s, not an object with apiVersion and kind",
			 ynode_type_name(doc));
		return;
	}
	av = scalar(ynode_get(doc, "apiVersion"));
	kind = scalar(ynode_get(doc, "kind"));
	if (!av || !kind) {
		diag_add(&c->diag, "IM0103", SEV_ERROR, NULL, doc,
			 av ? "kind" : "apiVersion",
			 "add apiVersion and kind, e.g. apiVersion: "
			 "networking.istio.io/v1 and kind: VirtualService",
			 "document has no %s; it cannot be read",
			 av ? "kind" : "apiVersion");
		return;
	}
	if (!strcmp(kind, "List") && !strcmp(av, "v1")) {
		load_list(c, doc);
		return;
	}
	o = arena_alloc(&c->arena, sizeof(*o));
	/* until a loader below says otherwise: zeroed memory would make it a
	 * PeerAuthentication without a spec (an IstioOperator without
	 * meshConfig was one, and crashed the model; fuzzer) */
	o->kind = K_OTHER;
	o->doc = doc;
	o->kind_name = kind;
	o->api_version = av;
	add_object(c, o);
	split_api_version(&c->arena, av, &group, &version);
	ki = kind_lookup(group, kind);
	if (!strcmp(group, "") && !strcmp(kind, "ConfigMap"))
		return load_configmap(c, o);
	if (!ki)
		return load_other(c, o, group);
	if (!version_known(ki, version)) {
		decode_meta(c, o);
		o->kind = ki->kind;
		o->invalid = true;
		diag_add(&c->diag, "IM0104", SEV_ERROR, o,
			 ynode_get(doc, "apiVersion"), "apiVersion",
			 "use one of the versions Istio serves (v1 is current)",
			 "%s has no version \"%s\" in %s", kind, version,
			 *group ? group : "the core API group");
		return;
	}
	if (ki->kind == K_MESH_CONFIG)
		return load_istio_operator(c, o);
	load_typed(c, o, ki);
}

static void load_docs(struct config *c, struct ydocs *docs, const char *file)
{
	size_t i, before = c->diag.n;

	if (!docs->n) {
		struct finding *f = diag_add(&c->diag, "IM0010", SEV_WARNING, NULL,
					     NULL, NULL, NULL,
					     "file holds no objects");

		f->file = file;
		f->line = f->col = 1;
	}
	for (i = 0; i < docs->n; i++) {
		load_doc(c, docs->docs[i]);
		/* a 32 MiB file of "a\n---\n" gave 5.5 million findings,
		 * 10 GB and minutes of output: past a point, more of the
		 * same helps no one */
		if (c->diag.n - before > LOAD_MAX_FINDINGS && i + 1 < docs->n) {
			const struct ynode *next = docs->docs[i + 1];
			struct finding *f = diag_add(&c->diag, "IM0013", SEV_ERROR,
						     NULL, next, NULL,
						     "fix the findings above first",
						     "more than %d findings in this "
						     "file; its remaining %zu "
						     "documents were not read",
						     LOAD_MAX_FINDINGS,
						     docs->n - i - 1);

			f->file = file;
			break;
		}
	}
	free(docs->docs);
}

int config_load_buffer(struct config *c, const char *name, const char *buf,
		       size_t len)
{
	struct ydocs docs = { 0 };
	const char *file = arena_strdup(&c->arena, name);
	int rc = ydoc_parse(&c->arena, &c->diag, file, buf, len, &docs);

	c->n_files++;
	load_docs(c, &docs, file);
	return rc;
}

static int load_file(struct config *c, const char *path)
{
	struct ydocs docs = { 0 };
	int rc;

	c->n_files++;
	rc = ydoc_parse_file(&c->arena, &c->diag, path, &docs);
	if (rc && !docs.n) {
		free(docs.docs); /* a retried parse can leave an empty array */
		return rc;
	}
	load_docs(c, &docs, docs.n ? docs.docs[0]->file : path);
	return 0;
}

static bool yaml_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] != '.' &&
	       ((l > 5 && !strcmp(n + l - 5, ".yaml")) ||
		(l > 4 && !strcmp(n + l - 4, ".yml")) ||
		(l > 5 && !strcmp(n + l - 5, ".json")));
}

/* A finding about a path as a whole (it has no line of its own). */
static struct finding *path_finding(struct config *c, enum severity sev,
				    const char *path, const char *fix,
				    const char *what, int err)
{
	struct finding *f = diag_add(&c->diag, sev == SEV_ERROR ? "IM0009" : "IM0012",
				     sev, NULL, NULL, NULL, fix, "%s: %s", what,
				     strerror(err));

	f->file = arena_strdup(&c->arena, path);
	f->line = f->col = 1;
	return f;
}

/* Every directory read so far, the current chain of them first: a symlink
 * back to one of those is a loop (two such links multiplied the walk 2^16
 * times), and links to one directory from many places (a DAG of them) are
 * as bad, so a directory is read once. */
struct dir_walk {
	struct { dev_t dev; ino_t ino; } *seen;
	size_t n_seen, cap_seen;
	int depth;
};

static bool dir_seen(const struct dir_walk *w, const struct stat *st)
{
	size_t i;

	for (i = 0; i < w->n_seen; i++)
		if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
			return true;
	return false;
}

static void dir_remember(struct dir_walk *w, const struct stat *st)
{
	if (w->n_seen == w->cap_seen) {
		w->cap_seen = w->cap_seen ? w->cap_seen * 2 : 16;
		w->seen = realloc(w->seen, w->cap_seen * sizeof(*w->seen));
		if (!w->seen)
			abort();
	}
	w->seen[w->n_seen].dev = st->st_dev;
	w->seen[w->n_seen++].ino = st->st_ino;
}

static int load_dir(struct config *c, const char *path, struct dir_walk *w);

static int load_entry(struct config *c, const char *full, const char *name,
		      struct dir_walk *w)
{
	struct stat st;
	int rc;

	if (name[0] == '.')
		return 0;
	if (stat(full, &st)) {
		/* a dangling symlink or a symlink loop (ELOOP) */
		if (yaml_name(name) || errno == ELOOP)
			path_finding(c, SEV_WARNING, full, "fix or remove the link",
				     "skipped", errno);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return yaml_name(name) ? load_file(c, full) : 0;
	if (!S_ISDIR(st.st_mode) || w->depth >= 16)
		return 0;
	if (dir_seen(w, &st)) {
		path_finding(c, SEV_WARNING, full,
			     "remove the symlink that leads there twice",
			     "skipped: this directory was already read under "
			     "another path", ELOOP);
		return 0;
	}
	dir_remember(w, &st);
	w->depth++;
	rc = load_dir(c, full, w);
	w->depth--;
	return rc;
}

static int load_dir(struct config *c, const char *path, struct dir_walk *w)
{
	struct dirent **ents;
	int i, n, rc = 0;

	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		path_finding(c, SEV_ERROR, path, NULL, "cannot read directory",
			     errno);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *full = arena_printf(&c->arena, "%s%s%s", path,
					  path[strlen(path) - 1] == '/' ? "" : "/",
					  name);

		rc |= load_entry(c, full, name, w);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int config_load_path(struct config *c, const char *path)
{
	struct dir_walk w = { 0 };
	struct stat st;
	int rc;

	if (stat(path, &st)) {
		path_finding(c, SEV_ERROR, path, NULL, "cannot read", errno);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(c, path);
	dir_remember(&w, &st);
	rc = load_dir(c, path, &w);
	free(w.seen);
	return rc;
}

void config_validate(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct object *o = c->objs[i];
		const struct kind_info *ki = kind_info_of(o->kind);
		size_t before = c->diag.n_err;

		if (o->invalid || !ki || !ki->validate || !o->spec)
			continue;
		ki->validate(c, o);
		if (c->diag.n_err != before)
			o->invalid = true;
	}
}
