// SPDX-License-Identifier: Apache-2.0
#include "../config/kinds.h"

void validate_vs(struct config *c, struct object *o)
{
	(void)c;
	(void)o;
}
