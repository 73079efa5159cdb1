// SPDX-License-Identifier: Apache-2.0
#include "analyze.h"

#include <string.h>

const struct analyzer analyzers[] = {
	{ "infermesh.Pitfalls", analyze_pitfalls },
};
const size_t n_analyzers = sizeof(analyzers) / sizeof(analyzers[0]);

void analyze_all(struct config *c)
{
	size_t i;

	for (i = 0; i < n_analyzers; i++)
		analyzers[i].run(c);
}

int analyze_one(struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < n_analyzers; i++) {
		if (!strcmp(analyzers[i].name, name)) {
			analyzers[i].run(c);
			return 0;
		}
	}
	return -1;
}
