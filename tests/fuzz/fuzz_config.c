// SPDX-License-Identifier: Apache-2.0
/* libFuzzer entry point: any byte string goes through the whole path a file
 * given to `infermesh analyze` takes (YAML, schema decoding, Istio's
 * validation, every analyzer) and must come out as findings, never as a
 * crash, a hang or a leak. */
#include <stddef.h>
#include <stdint.h>

#include "analyze/analyze.h"
#include "config/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	size_t i;

	config_init(&c);
	config_load_buffer(&c, "fuzz.yaml", (const char *)data, size);
	config_validate(&c);
	analyze_all(&c);
	diag_sort(&c.diag);
	/* every finding must point somewhere sensible once sorted */
	for (i = 0; i < c.diag.n; i++)
		if (!c.diag.v[i].code || !c.diag.v[i].msg)
			__builtin_trap();
	config_free(&c);
	return 0;
}
