// SPDX-License-Identifier: Apache-2.0
/* The document tree keeps positions; the schema decoder checks types. */
#include "harness.h"

static void positions_are_kept(void)
{
	struct config *c = unit_load("apiVersion: networking.istio.io/v1\n"
				     "kind: VirtualService\n"
				     "metadata:\n  name: a\n"
				     "spec:\n  hosts: [x]\n"
				     "  http:\n  - route:\n    - destination:\n"
				     "        host: x\n      weight: \"ten\"\n");
	const struct finding *f = unit_find_code(c, "IST0106");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->line, 11);
	CU_ASSERT_EQUAL(f->col, 15);
	CU_ASSERT_STRING_EQUAL(f->path, "spec.http[0].route[0].weight");
	CU_ASSERT_TRUE(unit_obj(c, K_VIRTUAL_SERVICE, "a")->invalid);
	unit_free(c);
}

static void unknown_field_warns_with_suggestion(void)
{
	struct config *c = unit_load("apiVersion: security.istio.io/v1\n"
				     "kind: PeerAuthentication\n"
				     "metadata: {name: a, namespace: n}\n"
				     "spec:\n  mtsl: {mode: STRICT}\n");
	const struct finding *f = unit_find_code(c, "IM0101");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->sev, SEV_WARNING);
	CU_ASSERT_EQUAL(f->line, 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->fix, "\"mtls\""));
	CU_ASSERT_FALSE(unit_obj(c, K_PEER_AUTHENTICATION, "a")->invalid);
	unit_free(c);
}

UNIT_SUITE(ydoc)
{
	UNIT_TEST(s, positions_are_kept);
	UNIT_TEST(s, unknown_field_warns_with_suggestion);
}
