/* SPDX-License-Identifier: Apache-2.0 */
/* The client side of the agent's admin socket (user/agent/admin.h), for
 * `infermesh status` and `infermesh proxy-config`. */
#ifndef IM_CLI_ADMIN_CLIENT_H
#define IM_CLI_ADMIN_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "cli.h"

/* Seconds the client waits for the agent's whole answer. */
#define ADMIN_CLIENT_TIMEOUT_S 5

struct admin_target {
	char sock[4200];	/* <state-dir>/admin.sock */
};

/* Parses --node N | --state-dir D at argv[*i] (advancing *i past the
 * value). Returns 1 when it took one, 0 when argv[*i] is not one, -1
 * for a missing value. */
int admin_target_arg(int argc, char **argv, int *i, struct admin_target *t);
/* With neither given: the one node under IM_STATE_BASE that has an admin
 * socket. Returns 0, or -1 after saying why. */
int admin_target_default(struct admin_target *t, const struct cli_opts *o);

/* The arguments of status and proxy-config from argv[<first>] on: -o
 * json, --node, --state-dir; with neither of the last two, the default
 * target. Returns 0, -1 after an error, -2 for bad usage, -3 for
 * -h/--help. */
int admin_cmd_args(int argc, char **argv, int first, struct admin_target *t,
		   struct cli_opts *o);

/* Sends <req> and returns the agent's JSON answer in <out>. Returns 0;
 * or -1 after printing an error naming the socket (no agent there, not
 * allowed, no answer in time) or the agent's own {"error": ...}. */
int admin_ask(const struct admin_target *t, const char *req,
	      const struct cli_opts *o, json_t **out);

/* Prints <j> as the JSON output of a command (indented, in order). */
void admin_json_out(json_t *j);

#endif
