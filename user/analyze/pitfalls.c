// SPDX-License-Identifier: Apache-2.0
/* infermesh's own findings (IM1xxx): seed pitfalls and silent behaviour. */
#include "analyze.h"

void analyze_pitfalls(struct config *c)
{
	(void)c;
}
