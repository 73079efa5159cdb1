// SPDX-License-Identifier: Apache-2.0
/* AuthorizationPolicy scope, evaluation order and the TCP reduction. */
#include "harness.h"
#include "model/model.h"

#define AP(name, ns, extra) \
	"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: " name ", namespace: " ns extra "}\nspec:\n"

static struct kv app_a_kv = { NULL, "app", "a" };
static const struct kvs app_a = { &app_a_kv, 1, NULL };

static void resolve(struct config *c, struct arena *a, const char *ns,
		    const struct kvs *labels, struct authz_eff *z)
{
	struct registry r;

	registry_build(&r, c);
	resolve_authz(c, &r, a, ns, labels, NULL, z);
}

static void evaluation_order_custom_deny_allow_audit(void)
{
	struct config *c = unit_load(
		AP("allow", "shop", "") "  rules: [{}]\n"
		AP("audit", "shop", "") "  action: AUDIT\n  rules: [{}]\n"
		AP("deny", "shop", "") "  action: DENY\n  rules: [{}]\n"
		AP("custom", "shop", "") "  action: CUSTOM\n"
		"  provider: {name: ext}\n  rules: [{}]\n");
	struct arena a = { 0 };
	struct authz_eff z;

	resolve(c, &a, "shop", &app_a, &z);
	CU_ASSERT_EQUAL_FATAL(z.n, 4);
	CU_ASSERT_STRING_EQUAL(z.v[0].obj->meta.name, "custom");
	CU_ASSERT_STRING_EQUAL(z.v[1].obj->meta.name, "deny");
	CU_ASSERT_STRING_EQUAL(z.v[2].obj->meta.name, "allow");
	CU_ASSERT_STRING_EQUAL(z.v[3].obj->meta.name, "audit");
	CU_ASSERT_EQUAL(z.n_action[AP_DENY], 1);
	CU_ASSERT_TRUE(z.has_allow);
	arena_free(&a);
	unit_free(c);
}

static void scope_namespace_selector_root_and_dry_run(void)
{
	struct config *c = unit_load(
		AP("mesh", "istio-system", "") "  action: DENY\n"
		"  rules: [{from: [{source: {notNamespaces: [shop]}}]}]\n"
		AP("other-ns", "other", "") "  rules: [{}]\n"
		AP("not-me", "shop", "") "  selector: {matchLabels: {app: b}}\n"
		"  rules: [{}]\n"
		AP("dry", "shop", ", annotations: {istio.io/dry-run: \"true\"}")
		"  rules: [{}]\n");
	struct arena a = { 0 };
	struct authz_eff z;

	resolve(c, &a, "shop", &app_a, &z);
	CU_ASSERT_EQUAL_FATAL(z.n, 2);
	CU_ASSERT_STRING_EQUAL(z.v[0].obj->meta.name, "mesh");
	CU_ASSERT_TRUE(z.v[0].mesh_wide);
	CU_ASSERT_STRING_EQUAL(z.v[1].obj->meta.name, "dry");
	CU_ASSERT_TRUE(z.v[1].dry_run);
	/* a dry-run ALLOW does not switch the workload to default-deny */
	CU_ASSERT_FALSE(z.has_allow);
	arena_free(&a);
	unit_free(c);
}

static void allow_without_rules_allows_nothing(void)
{
	struct config *c = unit_load(AP("nothing", "shop", "") "  {}\n");
	struct arena a = { 0 };
	struct authz_eff z;

	resolve(c, &a, "shop", NULL, &z);
	CU_ASSERT_EQUAL_FATAL(z.n, 1);
	CU_ASSERT_TRUE(z.v[0].allow_nothing);
	CU_ASSERT_EQUAL(z.v[0].n_rules, 0);
	CU_ASSERT_TRUE(z.has_allow);
	arena_free(&a);
	unit_free(c);
}

static struct ap_rule_eff reduce(struct config *c, struct arena *a,
				 const char *name, size_t rule)
{
	const struct object *o = unit_obj(c, K_AUTHORIZATION_POLICY, name);
	const struct ap_spec *p = obj_ap(o);
	struct ap_rule_eff e;

	CU_ASSERT_FATAL(p && rule < p->rules.n);
	authz_reduce_rule(a, &p->rules.v[rule],
			  p->action.set ? (enum ap_action)p->action.v : AP_ALLOW,
			  &e);
	return e;
}

static void allow_rule_with_http_fields_is_dropped_on_tcp(void)
{
	struct config *c = unit_load(
		AP("a", "shop", "") "  rules:\n"
		"  - to: [{operation: {methods: [POST], ports: [\"8080\"]}}]\n"
		"  - to: [{operation: {ports: [\"9090\"]}}]\n"
		"  - from: [{source: {requestPrincipals: [\"*\"]}}]\n");
	struct arena a = { 0 };
	struct ap_rule_eff e;

	e = reduce(c, &a, "a", 0);
	CU_ASSERT_EQUAL(e.fate, L4_DROPPED);
	CU_ASSERT_STRING_EQUAL(e.http_fields, "methods");
	e = reduce(c, &a, "a", 1);
	CU_ASSERT_EQUAL(e.fate, L4_AS_WRITTEN); /* ports work on TCP */
	CU_ASSERT_PTR_NULL(e.http_fields);
	e = reduce(c, &a, "a", 2);
	CU_ASSERT_EQUAL(e.fate, L4_DROPPED);
	CU_ASSERT_STRING_EQUAL(e.http_fields, "requestPrincipals");
	arena_free(&a);
	unit_free(c);
}

static void deny_rule_loses_only_its_http_fields_on_tcp(void)
{
	struct config *c = unit_load(
		AP("d", "shop", "") "  action: DENY\n  rules:\n"
		"  - to: [{operation: {methods: [POST]}}]\n"
		"  - to: [{operation: {methods: [POST], ports: [\"8080\"]}}]\n"
		"  - from: [{source: {ipBlocks: [10.0.0.0/8]}}]\n"
		"    when:\n    - {key: \"request.headers[x-a]\", values: [b]}\n"
		"    - {key: source.ip, values: [10.1.0.0/16]}\n");
	struct arena a = { 0 };
	struct ap_rule_eff e;

	e = reduce(c, &a, "d", 0);
	CU_ASSERT_EQUAL(e.fate, L4_STRIPPED);
	/* only HTTP fields: the sidecar denies every TCP connection */
	CU_ASSERT_TRUE(e.widened_to_all);
	CU_ASSERT_EQUAL(e.l4.to.v[0].operation.methods.n, 0);
	e = reduce(c, &a, "d", 1);
	CU_ASSERT_EQUAL(e.fate, L4_STRIPPED);
	CU_ASSERT_FALSE(e.widened_to_all); /* the port still narrows it */
	CU_ASSERT_EQUAL(e.l4.to.v[0].operation.ports.n, 1);
	CU_ASSERT_EQUAL(e.l4.to.v[0].operation.methods.n, 0);
	/* the policy as written keeps its methods for HTTP ports */
	CU_ASSERT_EQUAL(e.rule->to.v[0].operation.methods.n, 1);
	e = reduce(c, &a, "d", 2);
	CU_ASSERT_EQUAL(e.fate, L4_STRIPPED);
	CU_ASSERT_EQUAL_FATAL(e.l4.when.n, 1);
	CU_ASSERT_STRING_EQUAL(e.l4.when.v[0].key, "source.ip");
	CU_ASSERT_EQUAL(e.l4.from.n, 1);
	arena_free(&a);
	unit_free(c);
}

UNIT_SUITE(model_authz)
{
	UNIT_TEST(s, evaluation_order_custom_deny_allow_audit);
	UNIT_TEST(s, scope_namespace_selector_root_and_dry_run);
	UNIT_TEST(s, allow_without_rules_allows_nothing);
	UNIT_TEST(s, allow_rule_with_http_fields_is_dropped_on_tcp);
	UNIT_TEST(s, deny_rule_loses_only_its_http_fields_on_tcp);
}
