// SPDX-License-Identifier: Apache-2.0
/* `infermesh analyze --explain`: builds the resolved model and prints it. */
#include "explain.h"

#include <string.h>

#include "explain_int.h"
#include "model.h"

void explain_print(struct config *c, bool json, FILE *out)
{
	struct model m;
	struct arena scratch;

	memset(&scratch, 0, sizeof(scratch));
	model_build(&m, c);
	if (json)
		explain_json(&m, &scratch, out);
	else
		explain_text(&m, &scratch, out);
	model_free(&m);
	arena_free(&scratch);
}
