// SPDX-License-Identifier: Apache-2.0
/* infermesh analyze: load, validate, analyze, print; like istioctl analyze. */
#include <stdio.h>
#include <string.h>

#include "../analyze/analyze.h"
#include "../config/object.h"
#include "../model/explain.h"
#include "cli.h"

struct analyze_args {
	const char *paths[256];
	size_t n_paths;
	const char *mesh_file;
	const char *only;       /* --analyzer NAME */
	bool explain;
	bool suppress_info;
};

static void analyze_usage(FILE *f)
{
	fputs("Usage: infermesh analyze -f FILE|DIR [-f ...] [-o json]\n"
	      "         [--mesh-config FILE] [-n NAMESPACE] [--explain]\n"
	      "         [--analyzer NAME] [--no-info]\n"
	      "Exit status: 0 clean or warnings only, 1 errors, 2 unusable input.\n",
	      f);
}

static int parse_args(int argc, char **argv, struct cli_opts *o,
		      struct analyze_args *a, struct config *c)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) && v) {
			if (a->n_paths == 256)
				return -1;
			a->paths[a->n_paths++] = argv[++i];
		} else if (!strcmp(argv[i], "-o") && v) {
			if (!parse_output(argv[++i], o))
				return -1;
		} else if (!strcmp(argv[i], "--mesh-config") && v) {
			a->mesh_file = argv[++i];
		} else if (!strcmp(argv[i], "-n") && v) {
			c->default_ns = argv[++i];
		} else if (!strcmp(argv[i], "--analyzer") && v) {
			a->only = argv[++i];
		} else if (!strcmp(argv[i], "--explain")) {
			a->explain = true;
		} else if (!strcmp(argv[i], "--no-info")) {
			a->suppress_info = true;
		} else if (argv[i][0] != '-') {
			if (a->n_paths == 256)
				return -1;
			a->paths[a->n_paths++] = argv[i];
		} else {
			return -1;
		}
	}
	return a->n_paths ? 0 : -1;
}

static void drop_info(struct diag *d)
{
	size_t i, j = 0;

	for (i = 0; i < d->n; i++)
		if (d->v[i].sev != SEV_INFO)
			d->v[j++] = d->v[i];
	d->n = j;
}

static size_t usable_objects(const struct config *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->objs[i]->kind != K_OTHER;
	return n;
}

int cmd_analyze(int argc, char **argv, struct cli_opts *o)
{
	struct analyze_args a = { 0 };
	struct config c;
	int rc, load_failed = 0;
	size_t i;

	config_init(&c);
	if (parse_args(argc, argv, o, &a, &c)) {
		analyze_usage(stderr);
		config_free(&c);
		return 2;
	}
	if (a.mesh_file && config_load_mesh_file(&c, a.mesh_file))
		load_failed = 1;
	for (i = 0; i < a.n_paths; i++)
		if (config_load_path(&c, a.paths[i]))
			load_failed = 1;
	config_validate(&c);
	if (a.only) {
		if (analyze_one(&c, a.only)) {
			cli_error(o, "no analyzer named %s", a.only);
			config_free(&c);
			return 2;
		}
	} else {
		analyze_all(&c);
	}
	if (a.suppress_info)
		drop_info(&c.diag);
	diag_sort(&c.diag);
	if (a.explain)
		explain_print(&c, o->out == OUT_JSON, stdout);
	else if (o->out == OUT_JSON)
		diag_print_json(&c.diag, stdout);
	else if (!c.diag.n)
		printf("\u2714 No validation issues found when analyzing %zu "
		       "objects in %zu files.\n", c.n, c.n_files);
	else
		diag_print_text(&c.diag, stdout);
	/* unusable: nothing could be read at all */
	if (load_failed && !usable_objects(&c))
		rc = 2;
	else
		rc = c.diag.n_err ? 1 : 0;
	config_free(&c);
	return rc;
}
