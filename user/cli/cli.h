/* SPDX-License-Identifier: Apache-2.0 */
/* The infermesh command line: `infermesh OBJECT [VERB] [flags]`, in the
 * style of bpftool and istioctl. Exit codes are decided only here. */
#ifndef IM_CLI_H
#define IM_CLI_H

#include <stdbool.h>

enum out_fmt { OUT_TEXT, OUT_JSON };

struct cli_opts {
	enum out_fmt out;
	bool verbose;
};

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv, struct cli_opts *o);
	const char *summary;
};

int cmd_agent(int argc, char **argv, struct cli_opts *o);
int cmd_analyze(int argc, char **argv, struct cli_opts *o);
int cmd_ca(int argc, char **argv, struct cli_opts *o);
int cmd_features(int argc, char **argv, struct cli_opts *o);
int cmd_maps(int argc, char **argv, struct cli_opts *o);
int cmd_proxy_config(int argc, char **argv, struct cli_opts *o);
int cmd_status(int argc, char **argv, struct cli_opts *o);
int cmd_uninstall(int argc, char **argv, struct cli_opts *o);

/* Prefix match of <arg> against <full> ("an" matches "analyze"). */
bool is_prefix(const char *arg, const char *full);
/* Parses "-o json|text|yaml"; returns false if the value is unknown. */
bool parse_output(const char *v, struct cli_opts *o);
void cli_error(const struct cli_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
