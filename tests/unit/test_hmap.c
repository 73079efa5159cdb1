// SPDX-License-Identifier: Apache-2.0
/* The hash map behind the analyzers' indexes, and the indexes themselves:
 * a lookup must find exactly what a scan of every object would, in the
 * order the scan would meet it. */
#include "harness.h"
#include "model/objindex.h"
#include "model/registry.h"
#include "util/hmap.h"

static void keys_values_and_growth(void)
{
	struct arena a = { 0 };
	struct hmap m;
	char *keys[1000];
	size_t i;

	hmap_init(&m, &a);
	CU_ASSERT_PTR_NULL(hmap_get(&m, "absent"));
	for (i = 0; i < 1000; i++) {
		keys[i] = arena_printf(&a, "host-%zu.ns.svc.cluster.local", i);
		*hmap_slot(&m, keys[i]) = keys[i];
	}
	CU_ASSERT_EQUAL(m.n, 1000);
	/* every key survives the table doubling; a new slot starts NULL */
	for (i = 0; i < 1000; i++)
		CU_ASSERT_PTR_EQUAL(hmap_get(&m, keys[i]), keys[i]);
	CU_ASSERT_PTR_NULL(*hmap_slot(&m, "new"));
	CU_ASSERT_EQUAL(m.n, 1001);
	/* the same key again is the same slot */
	CU_ASSERT_PTR_EQUAL(hmap_slot(&m, "new"), hmap_slot(&m, "new"));
	CU_ASSERT_EQUAL(m.n, 1001);
	/* a prefix of a key, given with its length, is another key */
	CU_ASSERT_PTR_NULL(hmap_getn(&m, keys[7], 6));
	CU_ASSERT_PTR_EQUAL(hmap_getn(&m, "host-7.ns.svc.cluster.localXYZ",
				      strlen(keys[7])), keys[7]);
	CU_ASSERT_PTR_NULL(hmap_get(&m, ""));
	arena_free(&a);
}

static void lists_keep_push_order(void)
{
	struct arena a = { 0 };
	struct hmap m;
	int v[10];
	void *const *l;
	size_t i, n;

	hmap_init(&m, &a);
	for (i = 0; i < 10; i++)
		hmap_push(&m, i % 2 ? "odd" : "even", &v[i]);
	l = hmap_list(&m, "odd", &n);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	for (i = 0; i < n; i++)
		CU_ASSERT_PTR_EQUAL(l[i], &v[2 * i + 1]);
	CU_ASSERT_PTR_NULL(hmap_list(&m, "none", &n));
	CU_ASSERT_EQUAL(n, 0);
	arena_free(&a);
}

static const char *const objs_yaml =
	"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
	"metadata: {name: root1, namespace: istio-system}\nspec: {}\n"
	"---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
	"metadata: {name: a1, namespace: a}\nspec: {}\n"
	"---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
	"metadata: {name: b1, namespace: b}\nspec: {}\n"
	"---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
	"metadata: {name: root2, namespace: istio-system}\nspec: {}\n"
	"---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
	"metadata: {name: a2, namespace: a}\n"
	"spec: {mtls: {mode: NOPE}}\n"
	"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n"
	"metadata: {name: short, namespace: a}\n"
	"spec: {hosts: [r], http: [{route: [{destination: {host: r}}]}]}\n"
	"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n"
	"metadata: {name: wild, namespace: b}\n"
	"spec: {hosts: [r.a.svc.cluster.local, \"*.a.svc.cluster.local\"],\n"
	"  http: [{route: [{destination: {host: r}}]}]}\n"
	"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n"
	"metadata: {name: other, namespace: b}\n"
	"spec: {hosts: [r], http: [{route: [{destination: {host: r}}]}]}\n";

static const char *next_name(struct obj_iter *it)
{
	const struct object *o = obj_iter_next(it);

	return o ? o->meta.name : "(end)";
}

static void namespaces_merge_in_load_order(void)
{
	struct config *c = unit_load(objs_yaml);
	struct obj_iter it;
	void *const *v;
	size_t n;

	v = config_ns_objects(c, K_PEER_AUTHENTICATION, "a", &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	/* invalid objects are listed too: callers filter as scans do */
	CU_ASSERT_TRUE(((const struct object *)v[1])->invalid);
	obj_iter_ns(&it, c, K_PEER_AUTHENTICATION, "a", "istio-system");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "root1");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "a1");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "root2");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "a2");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "(end)");
	/* the same namespace twice is walked once */
	obj_iter_ns(&it, c, K_PEER_AUTHENTICATION, "b", "b");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "b1");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "(end)");
	unit_free(c);
}

static void hosts_resolve_and_wildcards_come_along(void)
{
	struct config *c = unit_load(objs_yaml);
	struct obj_iter it;

	/* "r" in a and r.a.svc... in b resolve alike; "wild" names the host
	 * and a wildcard but comes once; "r" in b is another host */
	obj_iter_host(&it, c, K_VIRTUAL_SERVICE, "r.a.svc.cluster.local");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "short");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "wild");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "(end)");
	obj_iter_host(&it, c, K_VIRTUAL_SERVICE, "x.example.com");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "wild");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "(end)");
	obj_iter_host(&it, c, K_DESTINATION_RULE, "r.a.svc.cluster.local");
	CU_ASSERT_STRING_EQUAL(next_name(&it), "(end)");
	unit_free(c);
}

static void index_follows_new_objects(void)
{
	struct config *c = unit_load(objs_yaml);
	const char *more = "apiVersion: security.istio.io/v1\n"
			   "kind: PeerAuthentication\n"
			   "metadata: {name: b2, namespace: b}\nspec: {}\n";
	size_t n;

	config_ns_objects(c, K_PEER_AUTHENTICATION, "b", &n);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(config_load_buffer(c, "more.yaml", more, strlen(more)),
			0);
	config_ns_objects(c, K_PEER_AUTHENTICATION, "b", &n);
	CU_ASSERT_EQUAL(n, 2);
	unit_free(c);
}

static void registry_namespace_lists(void)
{
	struct config *c = unit_load(
		"apiVersion: v1\nkind: Service\n"
		"metadata: {name: s, namespace: a}\n"
		"spec: {selector: {app: s}}\n"
		"---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
		"metadata: {name: se, namespace: a}\n"
		"spec: {hosts: [s, \"*.ext.com\"], resolution: STATIC,\n"
		"  endpoints: [{address: 1.1.1.1}],\n"
		"  ports: [{number: 80, name: http, protocol: HTTP}]}\n"
		"---\napiVersion: v1\nkind: Pod\n"
		"metadata: {name: p, namespace: a, labels: {app: s}}\n"
		"spec: {}\n"
		"---\napiVersion: v1\nkind: Pod\n"
		"metadata: {name: q, namespace: b, labels: {app: s}}\n"
		"spec: {}\n");
	struct registry r;
	void *const *v;
	size_t n;

	registry_build(&r, c);
	/* the Service and the ServiceEntry's short host "s" resolve alike */
	v = registry_fqdn_services(&r, "s.a.svc.cluster.local", &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_PTR_NULL(((const struct service *)v[0])->se);
	CU_ASSERT_PTR_NOT_NULL(((const struct service *)v[1])->se);
	CU_ASSERT_EQUAL(r.wild_ses.n, 1);
	/* pod p and the SE's inline endpoint, not pod q of namespace b */
	v = registry_ns_workloads(&r, "a", &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(((const struct workload *)v[0])->name, "p");
	CU_ASSERT_EQUAL(((const struct workload *)v[1])->obj->kind,
			K_SERVICE_ENTRY);
	registry_ns_services(&r, "b", &n);
	CU_ASSERT_EQUAL(n, 0);
	/* endpoints: the Service's pod of its own namespace; the SE's
	 * inline endpoint, on each of its hosts */
	v = registry_fqdn_services(&r, "s.a.svc.cluster.local", &n);
	CU_ASSERT_EQUAL_FATAL(((const struct service *)v[0])->endpoints.n, 1);
	CU_ASSERT_STRING_EQUAL(((const struct workload *)((const struct service *)
				v[0])->endpoints.v[0])->name, "p");
	CU_ASSERT_EQUAL(((const struct service *)v[1])->endpoints.n, 1);
	CU_ASSERT_EQUAL(((const struct service *)r.wild_ses.v[0])->endpoints.n,
			1);
	unit_free(c);
}

static void selector_candidates_hold_every_match(void)
{
	struct config *c = unit_load(
		"apiVersion: v1\nkind: Pod\n"
		"metadata: {name: p1, namespace: a, labels: {app: m, v: '1'}}\n"
		"spec: {}\n"
		"---\napiVersion: v1\nkind: Pod\n"
		"metadata: {name: p2, namespace: a, labels: {app: m, v: '2'}}\n"
		"spec: {}\n"
		"---\napiVersion: v1\nkind: Pod\n"
		"metadata: {name: p3, namespace: a, labels: {app: n, v: '2'}}\n"
		"spec: {}\n"
		"---\napiVersion: v1\nkind: Pod\n"
		"metadata: {name: p4, namespace: b, labels: {app: m, v: '2'}}\n"
		"spec: {}\n"
		"---\napiVersion: v1\nkind: Service\n"
		"metadata: {name: m2, namespace: a}\n"
		"spec: {selector: {app: m, v: '2'}}\n");
	struct kvs sel = { 0 };
	struct kv kv[2] = { { .key = "app", .val = "m" },
			    { .key = "v", .val = "3" } };
	struct registry r;
	const struct service *s;
	size_t n;

	registry_build(&r, c);
	/* both labels must match, and only in the Service's namespace */
	s = registry_service(&r, "m2.a.svc.cluster.local");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(s->endpoints.n, 1);
	CU_ASSERT_STRING_EQUAL(((const struct workload *)
				s->endpoints.v[0])->name, "p2");
	sel.v = kv;
	sel.n = 1;
	registry_selector_candidates(&r, "a", &sel, &n);
	CU_ASSERT_EQUAL(n, 2);
	/* a pair no workload carries leaves nothing to test */
	sel.n = 2;
	CU_ASSERT_PTR_NULL(registry_selector_candidates(&r, "a", &sel, &n));
	CU_ASSERT_EQUAL(n, 0);
	/* no selector: the whole namespace */
	registry_selector_candidates(&r, "a", NULL, &n);
	CU_ASSERT_EQUAL(n, 3);
	unit_free(c);
}

UNIT_SUITE(hmap)
{
	UNIT_TEST(s, keys_values_and_growth);
	UNIT_TEST(s, lists_keep_push_order);
	UNIT_TEST(s, namespaces_merge_in_load_order);
	UNIT_TEST(s, hosts_resolve_and_wildcards_come_along);
	UNIT_TEST(s, index_follows_new_objects);
	UNIT_TEST(s, registry_namespace_lists);
	UNIT_TEST(s, selector_candidates_hold_every_match);
}
