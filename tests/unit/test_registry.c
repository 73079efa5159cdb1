// SPDX-License-Identifier: Apache-2.0
/* The registry holds what istiod would: services by FQDN, their ports'
 * protocols, workloads and which service selects which workload. */
#include "harness.h"
#include "model/registry.h"

static const char *const yaml =
	"apiVersion: v1\nkind: Service\n"
	"metadata: {name: reviews, namespace: default}\n"
	"spec:\n  clusterIP: 10.0.0.7\n  selector: {app: reviews}\n"
	"  ports:\n  - {name: http-web, port: 9080}\n"
	"  - {name: grpc, port: 9090}\n"
	"  - {name: db, port: 5432, appProtocol: tcp}\n"
	"  - {name: x, port: 81, appProtocol: kubernetes.io/h2c}\n"
	"  - {name: grpc-web-ui, port: 82}\n"
	"  - {name: metrics, port: 83}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata:\n  name: reviews-1\n  namespace: default\n"
	"  labels: {app: reviews}\n"
	"  annotations: {infermesh.io/cgroup: /kubepods/r1}\n"
	"spec: {serviceAccountName: bookinfo-reviews, nodeName: n1}\n"
	"status: {podIP: 10.1.0.5}\n"
	"---\napiVersion: v1\nkind: Node\n"
	"metadata: {name: n1, labels: {topology.kubernetes.io/zone: z1}}\n"
	"---\napiVersion: v1\nkind: Pod\n"
	"metadata: {name: other, namespace: prod, labels: {app: reviews}}\n"
	"spec: {}\n"
	"---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
	"metadata: {name: ext, namespace: default}\n"
	"spec:\n  hosts: [a.example.com, b.example.com]\n"
	"  exportTo: [.]\n  resolution: STATIC\n"
	"  ports:\n  - {number: 443, name: tls, protocol: tls}\n"
	"  endpoints:\n  - {address: 1.2.3.4, locality: r/z, weight: 3}\n"
	"status:\n  addresses:\n  - {host: b.example.com, value: 240.240.0.1}\n"
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
	"metadata:\n  name: vm\n  namespace: default\n"
	"  annotations: {infermesh.io/node: n9}\n"
	"spec: {address: 10.9.9.9, labels: {app: reviews}, serviceAccount: vm}\n";

static const struct workload *wl(const struct registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_wls; i++)
		if (!strcmp(r->wls[i].name, name))
			return &r->wls[i];
	return NULL;
}

static void services_and_ports(void)
{
	struct config *c = unit_load(yaml);
	struct registry r;
	const struct service *s;

	registry_build(&r, c);
	CU_ASSERT_EQUAL(r.n_svcs, 3);
	s = registry_service(&r, "reviews.default.svc.cluster.local");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->vip, "10.0.0.7");
	CU_ASSERT_EQUAL_FATAL(s->n_ports, 6);
	CU_ASSERT_STRING_EQUAL(s->ports[0].protocol, "HTTP");
	CU_ASSERT_STRING_EQUAL(s->ports[1].protocol, "GRPC");
	CU_ASSERT_STRING_EQUAL(s->ports[2].protocol, "TCP");
	CU_ASSERT_STRING_EQUAL(s->ports[3].protocol, "HTTP2");
	CU_ASSERT_STRING_EQUAL(s->ports[4].protocol, "GRPC-Web");
	CU_ASSERT_STRING_EQUAL(s->ports[5].protocol, "UNSUPPORTED");
	s = registry_service(&r, "b.example.com");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(s->external);
	CU_ASSERT_STRING_EQUAL(s->vip, "240.240.0.1");
	CU_ASSERT_STRING_EQUAL(s->ports[0].protocol, "TLS");
	CU_ASSERT_PTR_NULL(registry_service(&r, "reviews"));
	unit_free(c);
}

static void workloads(void)
{
	struct config *c = unit_load(yaml);
	struct registry r;
	const struct workload *w;

	registry_build(&r, c);
	CU_ASSERT_EQUAL(r.n_wls, 4);
	w = wl(&r, "reviews-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_STRING_EQUAL(w->service_account, "bookinfo-reviews");
	CU_ASSERT_STRING_EQUAL(w->address, "10.1.0.5");
	CU_ASSERT_STRING_EQUAL(w->node, "n1");
	CU_ASSERT_STRING_EQUAL(w->cgroup, "/kubepods/r1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->node_labels);
	CU_ASSERT_STRING_EQUAL(kvs_get(w->node_labels,
				       "topology.kubernetes.io/zone"), "z1");
	w = wl(&r, "vm");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_STRING_EQUAL(w->node, "n9");
	CU_ASSERT_STRING_EQUAL(w->service_account, "vm");
	w = wl(&r, "ext");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(w->weight, 3);
	CU_ASSERT_STRING_EQUAL(w->locality, "r/z");
	CU_ASSERT_STRING_EQUAL(wl(&r, "other")->service_account, "default");
	unit_free(c);
}

static void selection(void)
{
	struct config *c = unit_load(yaml);
	struct registry r;
	const struct service *rev, *ext;

	registry_build(&r, c);
	rev = registry_service(&r, "reviews.default.svc.cluster.local");
	ext = registry_service(&r, "a.example.com");
	CU_ASSERT_TRUE(registry_selects(rev, wl(&r, "reviews-1")));
	CU_ASSERT_TRUE(registry_selects(rev, wl(&r, "vm")));
	/* same labels, other namespace */
	CU_ASSERT_FALSE(registry_selects(rev, wl(&r, "other")));
	CU_ASSERT_FALSE(registry_selects(rev, wl(&r, "ext")));
	CU_ASSERT_TRUE(registry_selects(ext, wl(&r, "ext")));
	CU_ASSERT_FALSE(registry_selects(ext, wl(&r, "reviews-1")));
	unit_free(c);
}

static void fqdn(void)
{
	struct arena a = { 0 };

	CU_ASSERT_STRING_EQUAL(registry_fqdn(&a, NULL, "reviews", "default"),
			       "reviews.default.svc.cluster.local");
	/* a dotted name is taken as written, not expanded */
	CU_ASSERT_STRING_EQUAL(registry_fqdn(&a, NULL, "reviews.default", "x"),
			       "reviews.default");
	CU_ASSERT_STRING_EQUAL(registry_fqdn(&a, NULL, "*", "x"), "*");
	CU_ASSERT_STRING_EQUAL(registry_fqdn(&a, NULL, "*.foo.com", "x"),
			       "*.foo.com");
	CU_ASSERT_STRING_EQUAL(registry_fqdn(&a, NULL, "::1", "x"), "::1");
	arena_free(&a);
}

static void export_to(void)
{
	struct strs none = { 0 };
	const char *dot[] = { "." }, *list[] = { "a", "b" };
	struct strs sdot = { dot, 1, NULL }, slist = { list, 2, NULL };

	CU_ASSERT_TRUE(registry_exported_to(&none, "x", "y"));
	CU_ASSERT_TRUE(registry_exported_to(&sdot, "x", "x"));
	CU_ASSERT_FALSE(registry_exported_to(&sdot, "x", "y"));
	CU_ASSERT_TRUE(registry_exported_to(&slist, "x", "b"));
	CU_ASSERT_FALSE(registry_exported_to(&slist, "x", "x"));
}

static void node_topology_and_export_annotation(void)
{
	struct config *c = unit_load(yaml);
	struct registry r;
	const struct workload *w;
	const struct service *s;
	struct kv zone = { NULL, "topology.kubernetes.io/zone", "z1" };
	struct kv host = { NULL, "kubernetes.io/hostname", "n1" };
	struct kv other = { NULL, "topology.kubernetes.io/zone", "z2" };
	struct kvs sel = { &zone, 1, NULL }, hsel = { &host, 1, NULL };
	struct kvs osel = { &other, 1, NULL };

	registry_build(&r, c);
	w = wl(&r, "reviews-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	/* istiod gives endpoints the topology labels of their node */
	CU_ASSERT_TRUE(registry_labels_match(&sel, w));
	CU_ASSERT_TRUE(registry_labels_match(&hsel, w));
	CU_ASSERT_FALSE(registry_labels_match(&osel, w));
	CU_ASSERT_FALSE(registry_labels_match(&sel, wl(&r, "other")));
	s = registry_service(&r, "reviews.default.svc.cluster.local");
	CU_ASSERT_PTR_NULL(s->export_to);
	unit_free(c);

	c = unit_load("apiVersion: v1\nkind: Service\nmetadata:\n"
		      "  name: d\n  namespace: x\n  annotations:\n"
		      "    networking.istio.io/exportTo: \"a,.\"\n"
		      "spec: {ports: [{port: 80}]}\n");
	registry_build(&r, c);
	CU_ASSERT_EQUAL_FATAL(r.n_svcs, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.svcs[0].export_to);
	CU_ASSERT_TRUE(registry_exported_to(r.svcs[0].export_to, "x", "a"));
	CU_ASSERT_TRUE(registry_exported_to(r.svcs[0].export_to, "x", "x"));
	CU_ASSERT_FALSE(registry_exported_to(r.svcs[0].export_to, "x", "b"));
	unit_free(c);
}

UNIT_SUITE(registry)
{
	UNIT_TEST(s, node_topology_and_export_annotation);
	UNIT_TEST(s, services_and_ports);
	UNIT_TEST(s, workloads);
	UNIT_TEST(s, selection);
	UNIT_TEST(s, fqdn);
	UNIT_TEST(s, export_to);
}
