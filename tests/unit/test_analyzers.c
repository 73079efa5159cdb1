// SPDX-License-Identifier: Apache-2.0
/* Each of Istio's analyzers fires on a config that has the problem and stays
 * quiet on the corrected config; findings point at the offending field. */
#include "analyze/analyze.h"
#include "harness.h"

#define SVC(name, ns, ports) \
	"---\napiVersion: v1\nkind: Service\n" \
	"metadata: {name: " name ", namespace: " ns "}\n" \
	"spec:\n  selector: {app: " name "}\n  ports: " ports "\n"
#define POD(name, ns, labels) \
	"---\napiVersion: v1\nkind: Pod\n" \
	"metadata: {name: " name ", namespace: " ns ", labels: " labels "}\n" \
	"spec: {}\n"

/* Loads <yaml>, runs analyzer <name>, returns the config. */
static struct config *run(const char *yaml, const char *name)
{
	struct config *c = unit_load(yaml);

	CU_ASSERT_EQUAL(analyze_one(c, name), 0);
	return c;
}

/* Number of <code> findings analyzer <name> reports on <yaml>. */
static size_t count(const char *yaml, const char *name, const char *code)
{
	struct config *c = run(yaml, name);
	size_t n = unit_count_code(c, code);

	if (!n)
		unit_dump(c);
	unit_free(c);
	return n;
}

#define VS_TO(host, extra) \
	"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n" \
	"metadata: {name: vs, namespace: default}\n" \
	"spec:\n  hosts: [r]\n  http:\n  - route:\n    - destination:\n" \
	"        host: " host "\n" extra

static void destination_host(void)
{
	const char *a = "virtualservice.DestinationHostAnalyzer";
	const char *one = SVC("r", "default", "[{name: http, port: 80}]");
	const char *two = SVC("r", "default",
			      "[{name: http, port: 80}, {name: grpc, port: 90}]");
	struct config *c;
	const struct finding *f;
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s%s", one, VS_TO("nope", ""));
	c = run(buf, a);
	f = unit_find_code(c, "IST0101");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->msg, "Referenced host not found: \"nope\"");
	CU_ASSERT_STRING_EQUAL(f->path, "spec.http[0].route[0].destination.host");
	CU_ASSERT_EQUAL(f->line, 17);
	CU_ASSERT_PTR_NOT_NULL(f->fix);
	unit_free(c);
	/* no Services loaded: only hosts outside the cluster are judged */
	c = run(VS_TO("nope", "") VS_TO("x.example.com", ""), a);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0101"), 1);
	unit_free(c);
	/* short name and FQDN both resolve in the VS namespace */
	snprintf(buf, sizeof(buf), "%s%s", one, VS_TO("r", ""));
	c = run(buf, a);
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
	snprintf(buf, sizeof(buf), "%s%s", one,
		 VS_TO("r.default.svc.cluster.local", ""));
	CU_ASSERT_EQUAL(unit_count_code(c = run(buf, a), "IST0101"), 0);
	unit_free(c);
	/* two ports and no port: IST0112; a port it lacks: IST0101 */
	snprintf(buf, sizeof(buf), "%s%s", two, VS_TO("r", ""));
	CU_ASSERT_EQUAL(count(buf, a, "IST0112"), 1);
	snprintf(buf, sizeof(buf), "%s%s", two,
		 VS_TO("r", "        port: {number: 90}\n"));
	c = run(buf, a);
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
	snprintf(buf, sizeof(buf), "%s%s", two,
		 VS_TO("r", "        port: {number: 91}\n"));
	c = run(buf, a);
	f = unit_find_code(c, "IST0101");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->msg, "Referenced host:port not found: \"r:91\"");
	unit_free(c);
}

static void destination_host_export_to(void)
{
	const char *a = "virtualservice.DestinationHostAnalyzer";
	const char *se =
		"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
		"metadata: {name: e, namespace: other}\n"
		"spec: {hosts: [x.example.com], exportTo: [.], "
		"ports: [{number: 80, name: http, protocol: HTTP}]}\n";
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s%s", se, VS_TO("x.example.com", ""));
	CU_ASSERT_EQUAL(count(buf, a, "IST0101"), 1);
	/* exported to the VS namespace: visible */
	snprintf(buf, sizeof(buf),
		 "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
		 "metadata: {name: e, namespace: other}\n"
		 "spec: {hosts: ['*.example.com'], exportTo: [default], "
		 "ports: [{number: 80, name: http, protocol: HTTP}]}\n%s",
		 VS_TO("x.example.com", ""));
	struct config *c = run(buf, a);

	CU_ASSERT_EQUAL(unit_count_code(c, "IST0101"), 0);
	unit_free(c);
}

static void destination_subset(void)
{
	const char *a = "virtualservice.DestinationRuleAnalyzer";
	const char *dr =
		"apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
		"metadata: {name: d, namespace: default}\n"
		"spec: {host: r, subsets: [{name: v1, labels: {v: '1'}}]}\n";
	struct config *c;
	const struct finding *f;
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s%s", dr,
		 VS_TO("r.default.svc.cluster.local", "        subset: v1\n"));
	c = run(buf, a);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0101"), 0);
	unit_free(c);
	snprintf(buf, sizeof(buf), "%s%s", dr, VS_TO("r", "        subset: v2\n"));
	c = run(buf, a);
	f = unit_find_code(c, "IST0101");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->msg, "Referenced host+subset in destinationrule "
			       "not found: \"r+v2\"");
	CU_ASSERT_STRING_EQUAL(f->path, "spec.http[0].route[0].destination.subset");
	unit_free(c);
}

#define MESH_VS(name, ns, host, extra) \
	"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n" \
	"metadata: {name: " name ", namespace: " ns "}\n" \
	"spec:\n  hosts: [" host "]\n" extra \
	"  http:\n  - route:\n    - destination: {host: " host "}\n"

static void conflicting_mesh_hosts(void)
{
	const char *a = "virtualservice.ConflictingMeshGatewayHostsAnalyzer";

	CU_ASSERT_EQUAL(count(MESH_VS("a", "foo", "p", "")
			      MESH_VS("b", "foo", "p.foo.svc.cluster.local", ""),
			      a, "IST0109"), 2);
	/* each exported only to its own namespace: no namespace sees both */
	struct config *c = run(MESH_VS("a", "foo", "'*.p'", "  exportTo: [.]\n")
			       MESH_VS("b", "bar", "'*.p'", "  exportTo: [.]\n"),
			       a);

	CU_ASSERT_EQUAL(unit_count_code(c, "IST0109"), 0);
	unit_free(c);
	/* a gateway-only VS is not on the mesh */
	c = run(MESH_VS("a", "foo", "p", "")
		MESH_VS("b", "foo", "p", "  gateways: [gw]\n"), a);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0109"), 0);
	unit_free(c);
}

static const char jwt_vs[] =
	"apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
	"metadata: {name: v, namespace: default}\n"
	"spec:\n  hosts: [a.com]\n  gateways: [gw]\n  http:\n"
	"  - match:\n    - headers:\n        '@request.auth.claims.g': {exact: x}\n"
	"    route:\n    - destination: {host: a.com}\n"
	"---\napiVersion: networking.istio.io/v1\nkind: Gateway\n"
	"metadata: {name: gw, namespace: default}\n"
	"spec:\n  selector: {istio: ingress}\n  servers:\n"
	"  - port: {number: 80, name: http, protocol: HTTP}\n    hosts: [a.com]\n"
	POD("ingress-1", "istio-system", "{istio: ingress}");

static void jwt_claim_route(void)
{
	const char *a = "virtualservice.JWTClaimRouteAnalyzer";
	char buf[2048];

	CU_ASSERT_EQUAL(count(jwt_vs, a, "IST0149"), 1);
	snprintf(buf, sizeof(buf), "%s---\napiVersion: security.istio.io/v1\n"
		 "kind: RequestAuthentication\n"
		 "metadata: {name: ra, namespace: istio-system}\n"
		 "spec:\n  selector: {matchLabels: {istio: ingress}}\n"
		 "  jwtRules: [{issuer: i}]\n", jwt_vs);
	struct config *c = run(buf, a);

	CU_ASSERT_EQUAL(unit_count_code(c, "IST0149"), 0);
	unit_free(c);
}

#define NS_WEB "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n"
#define AP(name, ns, spec) \
	"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: " name ", namespace: " ns "}\nspec: " spec "\n"

static void authz(void)
{
	const char *a = "authz.AuthorizationPoliciesAnalyzer";
	struct config *c;
	const struct finding *f;

	c = run(POD("p", "web", "{app: web}") AP("x", "web",
		"{selector: {matchLabels: {app: api, v: '1'}}}"), a);
	f = unit_find_code(c, "IST0127");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->msg, "No matching workloads for this resource "
			       "with the following labels: app=api,v=1");
	unit_free(c);
	c = run(POD("p", "web", "{app: web}")
		AP("x", "web", "{selector: {matchLabels: {app: web}}}")
		AP("y", "istio-system", "{selector: {matchLabels: {app: web}}}"), a);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0127"), 0);
	unit_free(c);
	/* without Pods or WorkloadEntries nothing can be said */
	c = run(AP("x", "web", "{selector: {matchLabels: {app: api}}}"), a);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0127"), 0);
	unit_free(c);
	/* source namespaces are checked against the Namespaces given */
	c = run(NS_WEB AP("x", "web", "{rules: [{from: [{source: "
		"{namespaces: [web, 'w*', bogus]}}]}]}"), a);
	f = unit_find_code(c, "IST0101");
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0101"), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->path, "spec.rules[0].from[0].source.namespaces[2]");
	unit_free(c);
}

#define DR(name, spec) \
	"---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata: {name: " name ", namespace: default}\nspec: " spec "\n"

static void ca_certificates(void)
{
	const char *a = "destinationrule.CaCertificateAnalyzer";

	CU_ASSERT_EQUAL(count(DR("d", "{host: db, trafficPolicy: {tls: {mode: SIMPLE}}}"),
			      a, "IST0128"), 1);
	CU_ASSERT_EQUAL(count(DR("d", "{host: db, trafficPolicy: {portLevelSettings: "
				 "[{port: {number: 5}, tls: {mode: MUTUAL}}]}}"),
			      a, "IST0129"), 1);
	struct config *c = run(DR("d", "{host: db, trafficPolicy: {tls: "
				  "{mode: SIMPLE, caCertificates: /ca.pem}}}")
			       DR("e", "{host: db, trafficPolicy: {tls: "
				  "{mode: ISTIO_MUTUAL}}}"), a);

	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
}

static void pods_not_selected(void)
{
	const char *a = "destinationrule.PodNotSelectedAnalyzer";
	const char *base = SVC("h", "default", "[{name: http, port: 80}]")
		POD("h-1", "default", "{app: h, version: v1}")
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: h-2, "
		"namespace: default, labels: {app: h}}\nspec: {nodeName: n1}\n"
		"---\napiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: "
		"{topology.kubernetes.io/zone: z1}}\n";
	char buf[4096];
	struct config *c;

	CU_ASSERT_EQUAL(count(SVC("h", "default", "[{name: http, port: 80}]")
			      DR("d", "{host: nope.default.svc.cluster.local}"),
			      a, "IST0174"), 1);
	/* with no Services loaded at all, a cluster-local host is not judged */
	c = run(DR("d", "{host: nope.default.svc.cluster.local}"), a);
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
	snprintf(buf, sizeof(buf), "%s%s", base,
		 DR("d", "{host: h, subsets: [{name: v3, labels: {version: v3}}]}"));
	CU_ASSERT_EQUAL(count(buf, a, "IST0173"), 1);
	/* labels of the pod, and topology labels of its node, both count */
	snprintf(buf, sizeof(buf), "%s%s", base,
		 DR("d", "{host: h, subsets: [{name: v1, labels: {version: v1}}, "
		    "{name: z, labels: {topology.kubernetes.io/zone: z1}}]}"));
	c = run(buf, a);
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
}

#define SE(name, spec) \
	"---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\n" \
	"metadata: {name: " name ", namespace: default}\nspec: " spec "\n"

static void se_addresses(void)
{
	const char *a = "serviceentry.ProtocolAddressesAnalyzer";
	struct config *c;

	CU_ASSERT_EQUAL(count(SE("s", "{hosts: [db.x], ports: [{number: 5432, "
				 "name: pg, protocol: TCP}, {number: 80, name: h, "
				 "protocol: HTTP}]}"), a, "IST0134"), 1);
	c = run(SE("s", "{hosts: [db.x], addresses: [10.1.1.1], ports: "
		   "[{number: 5432, name: pg, protocol: TCP}]}"), a);
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
	/* DNS auto-allocation gives every ServiceEntry a VIP */
	c = run("apiVersion: v1\nkind: ConfigMap\n"
		"metadata: {name: istio, namespace: istio-system}\n"
		"data:\n  mesh: |\n    defaultConfig:\n      proxyMetadata:\n"
		"        ISTIO_META_DNS_CAPTURE: \"true\"\n"
		"        ISTIO_META_DNS_AUTO_ALLOCATE: \"true\"\n"
		SE("s", "{hosts: [db.x], ports: [{number: 5432, name: pg}]}"), a);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0134"), 0);
	unit_free(c);
}

static void se_conflicting_protocol(void)
{
	const char *a = "serviceentry.ConflictingServiceEntryProtocolAnalyzer";
	struct config *c;
	const struct finding *f;

	c = run(SE("a", "{hosts: [x.com], ports: [{number: 8, name: h, protocol: HTTP}]}")
		SE("b", "{hosts: [x.com], ports: [{number: 8, name: s, protocol: HTTPS}]}"),
		a);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0177"), 2);
	f = unit_find_code(c, "IST0177");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->msg, "Multiple ServiceEntries (default/a, "
			       "default/b) define the same host \"x.com\" and "
			       "port 8 with conflicting protocols (HTTP, HTTPS).");
	unit_free(c);
	c = run(SE("a", "{hosts: [x.com], ports: [{number: 8, name: h, protocol: HTTP}]}")
		SE("b", "{hosts: [x.com], ports: [{number: 8, name: s, protocol: http}]}"),
		a);
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
}

#define TEL(name, ns, spec) \
	"---\napiVersion: telemetry.istio.io/v1\nkind: Telemetry\n" \
	"metadata: {name: " name ", namespace: " ns "}\nspec: " spec "\n"

static void telemetry(void)
{
	struct config *c;

	CU_ASSERT_EQUAL(count(TEL("t", "ns", "{accessLogging: [{filter: "
				  "{expression: 'true'}}]}"),
			      "telemetry.ProviderAnalyzer", "IST0157"), 1);
	c = run(TEL("t", "ns", "{accessLogging: [{disabled: true}]}"),
		"telemetry.ProviderAnalyzer");
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);

	CU_ASSERT_EQUAL(count(POD("p", "ns", "{app: a}")
			      TEL("t", "ns", "{selector: {matchLabels: {app: b}}}"),
			      "telemetry.SelectorAnalyzer", "IST0101"), 1);
	CU_ASSERT_EQUAL(count(POD("p", "ns", "{app: a, v: '1'}")
			      TEL("t", "ns", "{selector: {matchLabels: {app: a}}}")
			      TEL("u", "ns", "{selector: {matchLabels: {v: '1'}}}"),
			      "telemetry.SelectorAnalyzer", "IST0159"), 2);
	c = run(POD("p", "ns", "{app: a}")
		TEL("t", "ns", "{selector: {matchLabels: {app: a}}}"),
		"telemetry.SelectorAnalyzer");
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);

	c = run(TEL("u", "ns", "{}") TEL("t", "ns", "{}"),
		"telemetry.DefaultSelectorAnalyzer");
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0160"), 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(unit_find_code(c, "IST0160"));
	/* names sorted, as Istio prints them */
	CU_ASSERT_STRING_EQUAL(unit_find_code(c, "IST0160")->msg,
			       "The Telemetries [t u] in namespace \"ns\" have no "
			       "workload selector, which can lead to undefined "
			       "behavior.");
	unit_free(c);
	c = run(TEL("t", "ns", "{}") TEL("u", "ns2", "{}"),
		"telemetry.DefaultSelectorAnalyzer");
	CU_ASSERT_EQUAL(c->diag.n, 0);
	unit_free(c);
}

static void lightstep(void)
{
	const char *mesh =
		"apiVersion: v1\nkind: ConfigMap\n"
		"metadata: {name: istio, namespace: istio-system}\n"
		"data:\n  mesh: |\n    extensionProviders:\n"
		"    - name: ls\n      lightstep: {service: l.svc, port: 443}\n"
		"    - name: otel\n      opentelemetry: {service: o.svc, port: 4317}\n";
	char buf[2048];
	struct config *c;

	snprintf(buf, sizeof(buf), "%s%s", mesh,
		 TEL("t", "istio-system", "{tracing: [{providers: [{name: ls}]}]}"));
	CU_ASSERT_EQUAL(count(buf, "telemetry.LightstepAnalyzer", "IST0002"), 1);
	snprintf(buf, sizeof(buf), "%s%s", mesh,
		 TEL("t", "istio-system", "{tracing: [{providers: [{name: otel}]}]}"));
	c = run(buf, "telemetry.LightstepAnalyzer");
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0002"), 0);
	unit_free(c);
}

UNIT_SUITE(analyzers)
{
	UNIT_TEST(s, destination_host);
	UNIT_TEST(s, destination_host_export_to);
	UNIT_TEST(s, destination_subset);
	UNIT_TEST(s, conflicting_mesh_hosts);
	UNIT_TEST(s, jwt_claim_route);
	UNIT_TEST(s, authz);
	UNIT_TEST(s, ca_certificates);
	UNIT_TEST(s, pods_not_selected);
	UNIT_TEST(s, se_addresses);
	UNIT_TEST(s, se_conflicting_protocol);
	UNIT_TEST(s, telemetry);
	UNIT_TEST(s, lightstep);
}
