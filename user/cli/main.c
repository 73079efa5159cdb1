// SPDX-License-Identifier: Apache-2.0
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cmd cmds[] = {
	{ "agent", cmd_agent,
	  "agent --config DIR --node NAME [...]: run the node agent (--help)" },
	{ "analyze", cmd_analyze,
	  "analyze -f FILE|DIR... [-o json] [--explain]: check Istio config" },
	{ "ca", cmd_ca,
	  "ca init|check DIR [-o json]: a mesh CA in Istio's cacerts layout" },
	{ "features", cmd_features,
	  "features [-o json]: probe the kernel for what the dataplane needs" },
	{ "maps", cmd_maps,
	  "maps list|dump NAME [--pin-root DIR] [-o json]: pinned maps in names" },
	{ "proxy-config", cmd_proxy_config,
	  "proxy-config secrets|tunnels|refusals [--node N] [-o json]: the "
	  "agent's mTLS state" },
	{ "status", cmd_status,
	  "status [--node NAME | --state-dir DIR] [-o json]: the running agent" },
	{ "uninstall", cmd_uninstall,
	  "uninstall --node NAME [...]: remove infermesh from the node" },
};

bool is_prefix(const char *arg, const char *full)
{
	size_t l = strlen(arg);

	return l && l <= strlen(full) && !strncmp(arg, full, l);
}

bool parse_output(const char *v, struct cli_opts *o)
{
	if (!strcmp(v, "json"))
		o->out = OUT_JSON;
	else if (!strcmp(v, "text") || !strcmp(v, "short"))
		o->out = OUT_TEXT;
	else
		return false;
	return true;
}

/* bpftool's convention: errors are {"error": ...} on stdout in JSON mode,
 * "Error: ..." on stderr otherwise, so scripts always get valid JSON. */
void cli_error(const struct cli_opts *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (o && o->out == OUT_JSON) {
		json_t *j = json_pack("{s:s}", "error", buf);

		json_dumpf(j, stdout, 0);
		fputc('\n', stdout);
		json_decref(j);
	} else {
		fprintf(stderr, "Error: %s\n", buf);
	}
}

static void usage(FILE *f)
{
	size_t i;

	fputs("Usage: infermesh [-o json] [-v] COMMAND [ARGS]\n\nCommands:\n", f);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].summary);
	fputs("\nCommands may be abbreviated (infermesh an -f dir/).\n", f);
}

int main(int argc, char **argv)
{
	struct cli_opts o = { OUT_TEXT, false };
	const struct cmd *hit = NULL;
	size_t i;
	int a = 1;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "-v")) {
			o.verbose = true;
		} else if (!strcmp(argv[a], "-o") && a + 1 < argc) {
			if (!parse_output(argv[++a], &o)) {
				cli_error(NULL, "unknown output format %s", argv[a]);
				return 2;
			}
		} else {
			cli_error(&o, "unknown option %s", argv[a]);
			return 2;
		}
	}
	if (a >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (is_prefix(argv[a], cmds[i].name)) {
			if (hit) {
				cli_error(&o, "ambiguous command %s", argv[a]);
				return 2;
			}
			hit = &cmds[i];
		}
	}
	if (!hit) {
		cli_error(&o, "unknown command %s (try infermesh --help)", argv[a]);
		return 2;
	}
	return hit->run(argc - a, argv + a, &o);
}
