// SPDX-License-Identifier: Apache-2.0
/* ct_local_addrs: the addresses the guard follower's route rule asks the
 * kernel about. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "compile/compile.h"
#include "harness.h"
#include "model/model.h"

#define WE(name, ip, node, cgroup) \
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: " name "\n  namespace: shop\n  annotations:\n" \
	"    infermesh.io/node: " node "\n" cgroup \
	"spec:\n  address: " ip "\n  labels: {app: " name "}\n"

static void test_local_addrs(void)
{
	struct config *c = unit_load(
		WE("b", "10.0.0.2", "node-a", "    infermesh.io/cgroup: pods/b\n")
		WE("a", "10.0.0.1", "node-a", "")	/* no cgroup: still local */
		WE("a2", "10.0.0.1", "node-a", "")	/* the same address */
		WE("x", "10.0.0.3", "node-b", "")	/* another node */
		WE("h", "db.example.com", "node-a", ""));	/* not an address */
	struct model m;
	uint32_t *v = NULL;
	size_t n = 0;

	model_build(&m, c);
	CU_ASSERT_EQUAL(ct_local_addrs(&m, "node-a", &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_NOT_EQUAL(v[0], v[1]);	/* 10.0.0.1 once */
	CU_ASSERT(v[0] == inet_addr("10.0.0.1") || v[1] == inet_addr("10.0.0.1"));
	CU_ASSERT(v[0] == inet_addr("10.0.0.2") || v[1] == inet_addr("10.0.0.2"));
	free(v);
	CU_ASSERT_EQUAL(ct_local_addrs(&m, "node-c", &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(v);
	CU_ASSERT_EQUAL(ct_local_addrs(&m, NULL, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(v);
	model_free(&m);
	unit_free(c);
}

UNIT_SUITE(compile_local)
{
	UNIT_TEST(s, test_local_addrs);
}
