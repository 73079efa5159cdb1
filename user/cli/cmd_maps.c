// SPDX-License-Identifier: Apache-2.0
/* infermesh maps list|dump: the dataplane's pinned maps, decoded into
 * names. Reads the pins directly (user/maps/), so it works while the
 * agent is down, and opens them read-only. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dataplane/paths.h"
#include "../maps/view.h"
#include "cli.h"


struct maps_args {
	const char *verb;
	const char *name;	/* dump NAME */
	char root[4096];
	char state[4096 + 64];	/* where the agent writes the names */
	int gen;		/* -1: the live one */
};

static const char usage_text[] =
	"usage: infermesh maps list [--pin-root DIR | --node NAME] [-o json]\n"
	"       infermesh maps dump NAME [--pin-root DIR | --node NAME] "
	"[--state-dir DIR] [--gen 0|1] [-o json]\n"
	"  --node NAME      pins under " IM_PIN_BASE "/NAME (the agent's default)\n"
	"  --pin-root DIR   pins under DIR (the agent's --pin-root)\n"
	"  --state-dir DIR  the agent's --state-dir, for names (default "
	IM_STATE_BASE "/NODE)\n"
	"  --gen 0|1        show that table generation instead of the live one\n";

/* With neither --pin-root nor --node: the one node pinned under
 * IM_PIN_BASE, if there is exactly one. */
static int default_root(struct maps_args *a, struct cli_opts *o)
{
	DIR *d = opendir(IM_PIN_BASE);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		if (!n++)
			snprintf(a->root, sizeof(a->root), "%s/%s", IM_PIN_BASE,
				 e->d_name);
	}
	if (d)
		closedir(d);
	if (n == 1)
		return 0;
	if (n)
		cli_error(o, "%d nodes pinned under %s: choose one with --node",
			  n, IM_PIN_BASE);
	else
		cli_error(o, "nothing pinned under %s: give --pin-root or "
			  "--node (is the agent running?)", IM_PIN_BASE);
	return -1;
}

static int parse_args(int argc, char **argv, struct maps_args *a,
		      struct cli_opts *o)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->gen = -1;
	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-o") && v && parse_output(v, o))
			i++;
		else if (!strcmp(argv[i], "--pin-root") && v && ++i)
			snprintf(a->root, sizeof(a->root), "%s", v);
		else if (!strcmp(argv[i], "--node") && v && ++i)
			snprintf(a->root, sizeof(a->root), "%s/%s",
				 IM_PIN_BASE, v);
		else if (!strcmp(argv[i], "--state-dir") && v && ++i)
			snprintf(a->state, sizeof(a->state), "%s", v);
		else if (!strcmp(argv[i], "--gen") && v &&
			 (!strcmp(v, "0") || !strcmp(v, "1")) && ++i)
			a->gen = v[0] - '0';
		else if (argv[i][0] != '-' && !a->verb)
			a->verb = argv[i];
		else if (argv[i][0] != '-' && !a->name)
			a->name = argv[i];
		else
			return -1;
	}
	if (!a->verb)
		return -1;
	if (!a->root[0] && default_root(a, o))
		return -2;
	if (!a->state[0]) {	/* the node: the pin root's last component */
		const char *node = strrchr(a->root, '/');

		snprintf(a->state, sizeof(a->state), "%s/%s", IM_STATE_BASE,
			 node ? node + 1 : a->root);
	}
	return 0;
}

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void json_out(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

/* Entries in use: hash keys; array slots that are not all zero. */
struct count {
	size_t vsize;
	bool array;
	long n;
};

static int count_cb(void *arg, const void *k, const void *v)
{
	struct count *c = arg;
	const unsigned char *b = v;
	size_t i;

	if (!c->array) {
		c->n++;
		return 0;
	}
	for (i = 0; i < c->vsize; i++)
		if (b[i]) {
			c->n++;
			break;
		}
	return 0;
}

static json_t *list_one(const struct map_src *s, const char *name)
{
	struct map_info mi;
	struct count c = {};
	const struct view *v = view_find(name);
	const char *type;
	json_t *entries = json_null();

	if (src_info(s, name, &mi))
		return NULL;	/* pinned, but not a map */
	type = libbpf_bpf_map_type_str(mi.type);
	c.array = mi.type == BPF_MAP_TYPE_ARRAY ||
		  mi.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	c.vsize = mi.type == BPF_MAP_TYPE_PERCPU_ARRAY ?
		  ((mi.value_size + 7) & ~7U) * (size_t)s->ncpu : mi.value_size;
	if (mi.type != BPF_MAP_TYPE_SK_STORAGE &&
	    !src_each(s, name, count_cb, &c))
		entries = json_integer(c.n);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:I, s:s?}",
			 "name", name, "type", type ? type : "unknown",
			 "key_size", (json_int_t)mi.key_size,
			 "value_size", (json_int_t)mi.value_size,
			 "max_entries", (json_int_t)mi.max_entries,
			 "entries", entries, "id", (json_int_t)mi.id,
			 "view", v ? v->name : NULL);
}

static void list_text(const char *root, unsigned int gen, const json_t *maps)
{
	const json_t *m;
	size_t i;
	char e[24];

	printf("pin root %s, live generation %u\n\n", root, gen);
	printf("%-12s %-14s %5s %6s %8s %8s  %s\n", "MAP", "TYPE", "KEY",
	       "VALUE", "MAX", "ENTRIES", "VIEW");
	json_array_foreach(maps, i, m) {
		const json_t *n = json_object_get(m, "entries");
		const char *v = json_string_value(json_object_get(m, "view"));

		snprintf(e, sizeof(e), json_is_integer(n) ? "%lld" : "-",
			 (long long)json_integer_value(n));
		printf("%-12s %-14s %5lld %6lld %8lld %8s  %s\n",
		       json_string_value(json_object_get(m, "name")),
		       json_string_value(json_object_get(m, "type")),
		       (long long)json_integer_value(json_object_get(m, "key_size")),
		       (long long)json_integer_value(json_object_get(m, "value_size")),
		       (long long)json_integer_value(json_object_get(m, "max_entries")),
		       e, v ? v : "-");
	}
}

static int do_list(const struct map_src *s, const struct maps_args *a,
		   struct cli_opts *o)
{
	char **names = src_pinned_names(s);
	json_t *maps = json_array();
	unsigned int gen = view_live_gen(s, NULL);
	size_t i;

	for (i = 0; names && names[i]; i++) {
		json_t *m = list_one(s, names[i]);

		if (m)
			json_array_append_new(maps, m);
	}
	src_pinned_free_names(names);
	if (!json_array_size(maps)) {
		json_decref(maps);
		cli_error(o, "no dataplane maps pinned under %s", a->root);
		return 1;
	}
	if (o->out == OUT_JSON) {
		json_out(json_pack("{s:s, s:I, s:o}", "pin_root", a->root,
				   "live_gen", (json_int_t)gen, "maps", maps));
		return 0;
	}
	list_text(a->root, gen, maps);
	json_decref(maps);
	return 0;
}

static void dump_usage(struct cli_opts *o)
{
	const struct view *v;
	size_t n, i;

	v = view_all(&n);
	cli_error(o, "usage: infermesh maps dump NAME [--pin-root DIR] "
		  "[-o json]; NAME is a view or its map");
	if (o->out == OUT_JSON)
		return;
	for (i = 0; i < n; i++)
		fprintf(stderr, "  %-11s %-10s %s\n", v[i].name, v[i].map,
			v[i].summary);
}

/* The names: beside the pins (im_names map) or in the agent's state
 * directory (names.<gen>.json), whichever has them. */
static struct im_names *load_names(const struct maps_args *a,
				   unsigned int gen, char *why, size_t n)
{
	struct im_names *names = names_load(a->root, gen, why, n);

	if (!names && !why[0])
		names = names_load(a->state, gen, why, n);
	if (!names && !why[0])
		snprintf(why, n, "no names for generation %u under %s or %s",
			 gen, a->root, a->state);
	return names;
}

static int do_dump(const struct map_src *s, const struct maps_args *a,
		   struct cli_opts *o)
{
	const struct view *v = a->name ? view_find(a->name) : NULL;
	struct view_ctx c = { .src = s };
	struct im_names *names;
	json_t *rows;
	char why[8448];
	int err;

	if (!v) {
		dump_usage(o);
		return 2;
	}
	c.dec.gen = a->gen >= 0 ? (unsigned int)a->gen : view_live_gen(s, NULL);
	c.dec.now_ns = now_mono_ns();
	names = load_names(a, c.dec.gen, why, sizeof(why));
	if (!names && o->out != OUT_JSON)
		fprintf(stderr, "note: %s; ids are shown as numbers\n", why);
	c.dec.names = names;
	rows = json_array();
	err = v->build(&c, rows);
	if (err) {
		cli_error(o, "%s: reading %s under %s: %s", v->name, v->map,
			  a->root, strerror(-err));
		json_decref(rows);
		names_free(names);
		return 1;
	}
	if (o->out == OUT_JSON) {
		json_out(json_pack("{s:s, s:s, s:s, s:I, s:b, s:o}", "pin_root",
				   a->root, "view", v->name, "map", v->map,
				   "gen", (json_int_t)c.dec.gen, "names",
				   names != NULL, "rows", rows));
	} else {
		view_text(stdout, v, rows);
		json_decref(rows);
	}
	names_free(names);
	return 0;
}

int cmd_maps(int argc, char **argv, struct cli_opts *o)
{
	struct maps_args a;
	struct map_src s;
	int rc, err = parse_args(argc, argv, &a, o);

	if (err == -2)
		return 1;
	if (err || (!is_prefix(a.verb, "list") && !is_prefix(a.verb, "dump"))) {
		cli_error(o, "%s", usage_text);
		return 2;
	}
	err = src_pinned_open(&s, a.root);
	if (err) {
		cli_error(o, "%s: %s (is the agent running, or was it ever?)",
			  a.root, strerror(-err));
		return 1;
	}
	rc = is_prefix(a.verb, "list") ? do_list(&s, &a, o) :
	     do_dump(&s, &a, o);
	src_pinned_close(&s);
	return rc;
}
