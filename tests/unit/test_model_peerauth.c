// SPDX-License-Identifier: Apache-2.0
/* PeerAuthentication resolution: one test per precedence rule. */
#include "harness.h"
#include "model/model.h"

#define PA(name, ns, extra) \
	"---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n" \
	"metadata: {name: " name ", namespace: " ns extra "}\nspec:\n"

static struct kv app_a_kv = { NULL, "app", "a" };
static const struct kvs app_a = { &app_a_kv, 1, NULL };
static struct kv app_b_kv = { NULL, "app", "b" };
static const struct kvs app_b = { &app_b_kv, 1, NULL };

static struct mtls_eff mtls_of(struct config *c, struct arena *a,
			       const char *ns, const struct kvs *labels)
{
	struct mtls_eff t;

	resolve_mtls(c, a, ns, labels, &t);
	return t;
}

static const char *name_of(const struct object *o)
{
	return o ? o->meta.name : "(none)";
}

static void workload_beats_namespace_beats_mesh(void)
{
	struct config *c = unit_load(
		PA("mesh", "istio-system", "") "  mtls: {mode: STRICT}\n"
		PA("ns", "shop", "") "  mtls: {mode: PERMISSIVE}\n"
		PA("wl", "shop", "") "  selector: {matchLabels: {app: a}}\n"
		"  mtls: {mode: DISABLE}\n");
	struct arena a = { 0 };
	struct mtls_eff t;

	t = mtls_of(c, &a, "shop", &app_a);
	CU_ASSERT_EQUAL(t.mode, MTLS_DISABLE); /* workload level wins */
	CU_ASSERT_EQUAL(t.level, PA_WORKLOAD);
	CU_ASSERT_STRING_EQUAL(name_of(t.decided_by), "wl");
	t = mtls_of(c, &a, "shop", &app_b);
	CU_ASSERT_EQUAL(t.mode, MTLS_PERMISSIVE); /* namespace level */
	CU_ASSERT_EQUAL(t.level, PA_NAMESPACE);
	t = mtls_of(c, &a, "other", &app_a);
	CU_ASSERT_EQUAL(t.mode, MTLS_STRICT); /* mesh level */
	CU_ASSERT_EQUAL(t.level, PA_MESH);
	CU_ASSERT_STRING_EQUAL(name_of(t.decided_by), "mesh");
	arena_free(&a);
	unit_free(c);
}

static void no_policy_is_permissive(void)
{
	struct config *c = unit_load(PA("x", "elsewhere", "")
				     "  mtls: {mode: STRICT}\n");
	struct arena a = { 0 };
	struct mtls_eff t = mtls_of(c, &a, "shop", &app_a);

	CU_ASSERT_EQUAL(t.mode, MTLS_PERMISSIVE);
	CU_ASSERT_EQUAL(t.level, PA_DEFAULT);
	CU_ASSERT_PTR_NULL(t.decided_by);
	arena_free(&a);
	unit_free(c);
}

static void unset_inherits_and_ports_inherit(void)
{
	struct config *c = unit_load(
		PA("ns", "shop", "") "  mtls: {mode: STRICT}\n"
		PA("wl", "shop", "") "  selector: {matchLabels: {app: a}}\n"
		"  mtls: {mode: UNSET}\n"
		"  portLevelMtls:\n    8080: {mode: DISABLE}\n"
		"    9090: {mode: UNSET}\n");
	struct arena a = { 0 };
	struct mtls_eff t = mtls_of(c, &a, "shop", &app_a);

	if (c->diag.n_err)
		unit_dump(c);
	CU_ASSERT_EQUAL(t.mode, MTLS_STRICT); /* UNSET took the namespace's */
	CU_ASSERT_EQUAL(t.level, PA_NAMESPACE);
	CU_ASSERT_STRING_EQUAL(name_of(t.workload), "wl");
	CU_ASSERT_EQUAL_FATAL(t.n_ports, 2);
	CU_ASSERT_EQUAL(t.ports[0].port, 8080);
	CU_ASSERT_EQUAL(t.ports[0].mode, MTLS_DISABLE);
	CU_ASSERT_FALSE(t.ports[0].inherited);
	CU_ASSERT_EQUAL(t.ports[1].port, 9090);
	CU_ASSERT_EQUAL(t.ports[1].mode, MTLS_STRICT); /* UNSET port */
	CU_ASSERT_TRUE(t.ports[1].inherited);
	arena_free(&a);
	unit_free(c);
}

static void oldest_wins_at_one_level(void)
{
	struct config *c = unit_load(
		PA("newer", "shop", ", creationTimestamp: \"2024-06-01T00:00:00Z\"")
		"  mtls: {mode: DISABLE}\n"
		PA("older", "shop", ", creationTimestamp: \"2023-01-01T00:00:00Z\"")
		"  mtls: {mode: STRICT}\n"
		PA("undated", "shop", "") "  mtls: {mode: PERMISSIVE}\n");
	struct arena a = { 0 };
	struct mtls_eff t = mtls_of(c, &a, "shop", NULL);

	/* loaded second but created first; an undated one counts as newest */
	CU_ASSERT_STRING_EQUAL(name_of(t.ns), "older");
	CU_ASSERT_EQUAL(t.mode, MTLS_STRICT);
	CU_ASSERT_EQUAL(t.n_ignored, 2);
	arena_free(&a);
	unit_free(c);
}

static void load_order_breaks_ties_without_timestamps(void)
{
	struct config *c = unit_load(
		PA("first", "shop", "") "  mtls: {mode: DISABLE}\n"
		PA("second", "shop", "") "  mtls: {mode: STRICT}\n");
	struct arena a = { 0 };
	struct mtls_eff t = mtls_of(c, &a, "shop", NULL);

	CU_ASSERT_STRING_EQUAL(name_of(t.ns), "first");
	CU_ASSERT_EQUAL(t.mode, MTLS_DISABLE);
	arena_free(&a);
	unit_free(c);
}

static void root_namespace_selector_is_ignored(void)
{
	struct config *c = unit_load(
		PA("rootsel", "istio-system", "")
		"  selector: {matchLabels: {app: a}}\n"
		"  mtls: {mode: STRICT}\n");
	struct arena a = { 0 };
	struct mtls_eff t = mtls_of(c, &a, "shop", &app_a);

	CU_ASSERT_EQUAL(t.mode, MTLS_PERMISSIVE); /* not STRICT */
	CU_ASSERT_PTR_NULL(t.workload);
	CU_ASSERT_PTR_NULL(t.mesh);
	CU_ASSERT_EQUAL_FATAL(t.n_ignored, 1);
	CU_ASSERT_STRING_EQUAL(name_of(t.ignored[0]), "rootsel");
	arena_free(&a);
	unit_free(c);
}

static void empty_match_labels_is_namespace_wide(void)
{
	struct config *c = unit_load(
		PA("emptysel", "shop", "") "  selector: {matchLabels: {}}\n"
		"  mtls: {mode: STRICT}\n");
	struct arena a = { 0 };
	struct mtls_eff t = mtls_of(c, &a, "shop", &app_b);

	CU_ASSERT_EQUAL(t.level, PA_NAMESPACE);
	CU_ASSERT_EQUAL(t.mode, MTLS_STRICT);
	arena_free(&a);
	unit_free(c);
}

static void port_modes_only_from_the_winning_workload_policy(void)
{
	struct config *c = unit_load(
		PA("wl-old", "shop", ", creationTimestamp: \"2023-01-01T00:00:00Z\"")
		"  selector: {matchLabels: {app: a}}\n  mtls: {mode: STRICT}\n"
		PA("wl-new", "shop", ", creationTimestamp: \"2024-01-01T00:00:00Z\"")
		"  selector: {matchLabels: {app: a}}\n  mtls: {mode: STRICT}\n"
		"  portLevelMtls:\n    9090: {mode: DISABLE}\n");
	struct arena a = { 0 };
	struct mtls_eff t = mtls_of(c, &a, "shop", &app_a);

	/* the newer policy lost, and its port settings with it */
	CU_ASSERT_STRING_EQUAL(name_of(t.workload), "wl-old");
	CU_ASSERT_EQUAL(t.n_ports, 0);
	t = mtls_of(c, &a, "shop", &app_b);
	CU_ASSERT_EQUAL(t.n_ports, 0); /* not selected: no port modes */
	arena_free(&a);
	unit_free(c);
}

UNIT_SUITE(model_peerauth)
{
	UNIT_TEST(s, workload_beats_namespace_beats_mesh);
	UNIT_TEST(s, no_policy_is_permissive);
	UNIT_TEST(s, unset_inherits_and_ports_inherit);
	UNIT_TEST(s, oldest_wins_at_one_level);
	UNIT_TEST(s, load_order_breaks_ties_without_timestamps);
	UNIT_TEST(s, root_namespace_selector_is_ignored);
	UNIT_TEST(s, empty_match_labels_is_namespace_wide);
	UNIT_TEST(s, port_modes_only_from_the_winning_workload_policy);
}
