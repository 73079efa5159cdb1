// SPDX-License-Identifier: Apache-2.0
#include "cli.h"

int cmd_features(int argc, char **argv, struct cli_opts *o)
{
	(void)argc;
	(void)argv;
	(void)o;
	return 0;
}
