// SPDX-License-Identifier: Apache-2.0
/* infermesh features: what this kernel offers the dataplane, found by
 * trying (see user/kernel/features.h). Absent features are facts, not
 * errors: the exit status is 0 whenever the probe ran. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../kernel/bpf_load.h"
#include "../kernel/features.h"
#include "cli.h"

static void print_text(const struct features *f)
{
	int id;

	printf("Kernel %s, config %s, probed as %s\n\n", f->release,
	       f->config_src[0] ? f->config_src : "not readable",
	       f->root ? "root" : "an unprivileged user");
	printf("%-16s %-8s %s\n", "FEATURE", "STATE", "DETAIL");
	for (id = 0; id < FEAT__COUNT; id++)
		printf("%-16s %-8s %s\n", feat_name(id),
		       feat_state_name(f->r[id].state), f->r[id].detail);
	if (!f->root)
		puts("\nRun as root to try the BPF hooks.");
}

static void print_json(const struct features *f)
{
	json_t *all = json_object(), *j = json_pack(
		"{s:s, s:s?, s:b, s:o}", "kernel", f->release, "config",
		f->config_src[0] ? f->config_src : NULL, "root", f->root,
		"features", all);
	int id;

	for (id = 0; id < FEAT__COUNT; id++) {
		const struct feat_result *r = &f->r[id];

		json_object_set_new(all, feat_name(id),
				    json_pack("{s:s, s:s, s:s, s:s?}",
					      "title", feat_title(id),
					      "state", feat_state_name(r->state),
					      "detail", r->detail, "kconfig",
					      r->kconfig[0] ? r->kconfig : NULL));
	}
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

int cmd_features(int argc, char **argv, struct cli_opts *o)
{
	struct features f;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc &&
		    parse_output(argv[i + 1], o)) {
			i++;
		} else if (!strcmp(argv[i], "-v")) {
			o->verbose = true;
		} else {
			cli_error(o, "usage: infermesh features [-o json] [-v]");
			return 2;
		}
	}
	bpf_log_init(o->verbose);
	features_probe(&f);
	if (o->out == OUT_JSON)
		print_json(&f);
	else
		print_text(&f);
	return 0;
}
