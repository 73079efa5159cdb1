// SPDX-License-Identifier: Apache-2.0
#include "explain.h"

void explain_print(struct config *c, bool json, FILE *out)
{
	(void)c;
	fputs(json ? "{}\n" : "(resolved model not built yet)\n", out);
}
