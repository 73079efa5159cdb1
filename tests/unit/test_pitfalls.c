// SPDX-License-Identifier: Apache-2.0
/* infermesh's own findings: each code fires on the pitfall it names and
 * stays quiet on the corrected form of the same config. */
#include "analyze/analyze.h"
#include "harness.h"

#define NS "metadata: {name: t, namespace: ai}\n"

static struct config *run(const char *yaml)
{
	struct config *c = unit_load(yaml);

	analyze_pitfalls(c);
	return c;
}

/* Loads <yaml>, expects <n> findings <code>; dumps them otherwise. */
static void expect(const char *yaml, const char *code, size_t n)
{
	struct config *c = run(yaml);
	size_t got = unit_count_code(c, code);

	if (got != n) {
		fprintf(stderr, "\n%s: %zu, want %zu\n", code, got, n);
		unit_dump(c);
	}
	CU_ASSERT_EQUAL(got, n);
	unit_free(c);
}

/* ---- routes ---- */

#define VS_HEAD "apiVersion: networking.istio.io/v1\nkind: VirtualService\n" \
	"metadata: {name: %s, namespace: ai}\nspec:\n  hosts: [ms]\n  http:\n"

static const char *vs(const char *name, const char *routes)
{
	static char buf[4][2048];
	static int k;
	char *b = buf[k++ & 3];
	int n = snprintf(b, 2048, VS_HEAD, name);

	snprintf(b + n, 2048 - (size_t)n, "%s", routes);
	return b;
}

static void stream_timeout(void)
{
	expect(vs("a", "  - match: [{uri: {prefix: /v1/stream}}]\n"
		  "    route: [{destination: {host: ms}}]\n"
		  "    timeout: 60s\n    retries: {attempts: 0}\n"), "IM1001", 1);
	expect(vs("a", "  - match: [{uri: {prefix: /v1/stream}}]\n"
		  "    route: [{destination: {host: ms}}]\n"
		  "    timeout: 300s\n    retries: {attempts: 0}\n"), "IM1001", 0);
	expect(vs("a", "  - match: [{headers: {accept: {exact: text/event-stream}}}]\n"
		  "    route: [{destination: {host: ms}}]\n"
		  "    timeout: 30s\n"), "IM1001", 1);
}

static void retries_exceed_timeout(void)
{
	const char *r = "  - route: [{destination: {host: x}}]\n    timeout: %s\n"
			"    retries: {attempts: 2, perTryTimeout: %s}\n";
	char y[512];

	snprintf(y, sizeof(y), r, "60s", "30s");
	expect(vs("a", y), "IM1002", 1);
	snprintf(y, sizeof(y), r, "90s", "30s");
	expect(vs("a", y), "IM1002", 0);
	snprintf(y, sizeof(y), r, "10s", "10s");
	expect(vs("a", y), "IM1003", 1);
	expect(vs("a", y), "IM1002", 0);
	snprintf(y, sizeof(y), r, "30s", "10s");
	expect(vs("a", y), "IM1003", 0);
}

static void inference_retries(void)
{
	/* default retries on a predict route */
	expect(vs("a", "  - match: [{uri: {prefix: /v1/predict}}]\n"
		  "    route: [{destination: {host: ms}}]\n"), "IM1004", 1);
	expect(vs("a", "  - match: [{uri: {prefix: /v1/predict}}]\n"
		  "    route: [{destination: {host: ms}}]\n"
		  "    retries: {attempts: 0}\n"), "IM1004", 0);
	/* a header route to a host that serves inference elsewhere */
	expect(vs("a", "  - match: [{uri: {prefix: /v1/generate}}]\n"
		  "    route: [{destination: {host: ms}}]\n"
		  "    retries: {attempts: 0}\n"
		  "  - route: [{destination: {host: ms}}]\n"), "IM1004", 1);
	expect(vs("a", "  - match: [{uri: {prefix: /v1/embeddings}}]\n"
		  "    route: [{destination: {host: ms}}]\n"), "IM1004", 0);
	expect(vs("a", "  - match: [{uri: {prefix: /infer}}]\n"
		  "    route: [{destination: {host: ms}}]\n"
		  "    retries: {attempts: 2, retryOn: 5xx}\n"), "IM1005", 1);
	expect(vs("a", "  - match: [{uri: {prefix: /infer}}]\n"
		  "    route: [{destination: {host: ms}}]\n"
		  "    retries: {attempts: 1, retryOn: \"connect-failure,refused-stream\"}\n"),
	       "IM1005", 0);
}

static void retry_on_grpc_only(void)
{
	expect(vs("a", "  - route: [{destination: {host: x}}]\n"
		  "    retries: {attempts: 2, retryOn: \"unavailable,resource-exhausted\"}\n"),
	       "IM1006", 1);
	expect(vs("a", "  - route: [{destination: {host: x}}]\n"
		  "    retries: {attempts: 2, retryOn: \"unavailable,connect-failure\"}\n"),
	       "IM1006", 0);
}

static void dropped_routes(void)
{
	char y[4096];
	struct config *c;
	const struct finding *f;

	snprintf(y, sizeof(y), "%s---\n%s",
		 vs("a", "  - route: [{destination: {host: ms}}]\n    timeout: 60s\n"),
		 vs("b", "  - match: [{uri: {prefix: /v1/stream}}]\n"
		    "    route: [{destination: {host: ms}}]\n    timeout: 300s\n"
		    "    retries: {attempts: 0}\n"));
	c = run(y);
	f = unit_find_code(c, "IM1007");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->line, 16);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "take http[0] of VirtualService ai/a"));
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "timeout 60s"));
	unit_free(c);
	snprintf(y, sizeof(y), "%s---\n%s",
		 vs("a", "  - route: [{destination: {host: ms}}]\n"),
		 "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
		 "metadata: {name: b, namespace: ai}\nspec:\n  hosts: [other]\n"
		 "  http:\n  - route: [{destination: {host: other}}]\n");
	expect(y, "IM1007", 0);
}

/* ---- authorization ---- */

#define AP "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"

static void literal_patterns(void)
{
	struct config *c = run(AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n"
			       "  rules:\n  - to:\n    - operation:\n"
			       "        paths: [\"/v2/models/*/infer\", \"/v1/*\"]\n");
	const struct finding *f = unit_find_code(c, "IM1020");

	CU_ASSERT_EQUAL(unit_count_code(c, "IM1020"), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->fix, "/v2/models/{*}/infer"));
	unit_free(c);
	expect(AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n"
	       "  rules:\n  - to:\n    - operation:\n"
	       "        paths: [\"/v2/models/{*}/infer\"]\n", "IM1020", 0);
	expect(AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n"
	       "  rules:\n  - from:\n    - source:\n        principals: "
	       "[\"spiffe://cluster.local/ns/ai/sa/x\"]\n", "IM1021", 1);
	expect(AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n"
	       "  rules:\n  - from:\n    - source:\n        principals: "
	       "[\"cluster.local/ns/ai/sa/x\"]\n", "IM1021", 0);
}

static void namespace_wide_allow(void)
{
	expect(AP NS "spec:\n  action: ALLOW\n  rules:\n  - to:\n    - operation:\n"
	       "        methods: [GET]\n", "IM1011", 1);
	expect(AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n  action: ALLOW\n"
	       "  rules:\n  - to:\n    - operation:\n        methods: [GET]\n",
	       "IM1011", 0);
	expect(AP NS "spec:\n  action: ALLOW\n  rules:\n  - {}\n", "IM1011", 0);
}

static void egress_hosts(void)
{
	expect(AP NS "spec:\n  rules:\n  - to:\n    - operation:\n"
	       "        hosts: [api.openai.com]\n", "IM1012", 1);
	expect(AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n"
	       "  rules:\n  - to:\n    - operation:\n"
	       "        hosts: [ms, ms.ai.svc.cluster.local]\n", "IM1012", 0);
}

#define SVC(name, ports) "apiVersion: v1\nkind: Service\n" \
	"metadata: {name: " name ", namespace: ai}\n" \
	"spec:\n  selector: {app: " name "}\n  ports: " ports "\n---\n"
#define WE(name, app, extra) "apiVersion: networking.istio.io/v1\n" \
	"kind: WorkloadEntry\nmetadata: {name: " name ", namespace: ai}\n" \
	"spec:\n  address: 10.0.0.1\n  labels: {app: " app "}\n" extra "---\n"

static void http_only_allow_on_tcp(void)
{
	const char *ap = AP NS "spec:\n  selector: {matchLabels: {app: db}}\n"
			 "  rules:\n  - to:\n    - operation: {methods: [GET]}\n";
	char y[2048];

	snprintf(y, sizeof(y), "%s%s%s", SVC("db", "[{name: tcp-db, port: 5432}]"),
		 WE("db-1", "db", ""), ap);
	expect(y, "IM1015", 1);
	snprintf(y, sizeof(y), "%s%s%s", SVC("db", "[{name: http, port: 80}]"),
		 WE("db-1", "db", ""), ap);
	expect(y, "IM1015", 0);
}

static void grpc_paths(void)
{
	const char *base = SVC("ms", "[{name: grpc, port: 8081}]") WE("ms-1", "ms", "");
	char y[2048];

	snprintf(y, sizeof(y), "%s" AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n"
		 "  rules:\n  - to:\n    - operation: {paths: [/v1/predict]}\n",
		 base);
	expect(y, "IM1016", 1);
	snprintf(y, sizeof(y), "%s" AP NS "spec:\n  selector: {matchLabels: {app: ms}}\n"
		 "  rules:\n  - to:\n    - operation: {paths: [/v1/predict, "
		 "\"/inference.GRPCInferenceService/*\"]}\n", base);
	expect(y, "IM1016", 0);
}

static void identity_boundary(void)
{
	const char *guarded = AP "metadata: {name: ms, namespace: ai}\n"
			      "spec:\n  selector: {matchLabels: {app: ms}}\n"
			      "  rules:\n  - from:\n    - source: {principals: "
			      "[cluster.local/ns/ai/sa/gw]}\n---\n";
	char y[2048];

	snprintf(y, sizeof(y), "%s%s%s%s", guarded, SVC("ms", "[{name: http, port: 80}]"),
		 SVC("retriever", "[{name: http, port: 80}]"), WE("r-1", "retriever", ""));
	expect(y, "IM1010", 1);
	snprintf(y, sizeof(y), "%s%s%s%s" AP "metadata: {name: r, namespace: ai}\n"
		 "spec:\n  selector: {matchLabels: {app: retriever}}\n"
		 "  rules:\n  - from:\n    - source: {principals: "
		 "[cluster.local/ns/ai/sa/ms]}\n", guarded,
		 SVC("ms", "[{name: http, port: 80}]"),
		 SVC("retriever", "[{name: http, port: 80}]"), WE("r-1", "retriever", ""));
	expect(y, "IM1010", 0);
}

/* ---- mTLS ---- */

#define PA "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
#define MESH_STRICT PA "metadata: {name: default, namespace: istio-system}\n" \
	"spec: {mtls: {mode: STRICT}}\n---\n"

static void metrics_port_strict(void)
{
	const char *svc = SVC("ms", "[{name: metrics, port: 9090}]") WE("ms-1", "ms", "");
	char y[2048];

	snprintf(y, sizeof(y), MESH_STRICT "%s", svc);
	expect(y, "IM1030", 1);
	snprintf(y, sizeof(y), MESH_STRICT "%s" PA NS "spec:\n  selector: "
		 "{matchLabels: {app: ms}}\n  portLevelMtls: {9090: {mode: "
		 "PERMISSIVE}}\n", svc);
	expect(y, "IM1030", 0);
	/* the seed's exemption on a namespace policy is rejected */
	expect(MESH_STRICT PA NS "spec:\n  mtls: {mode: STRICT}\n"
	       "  portLevelMtls: {9090: {mode: PERMISSIVE}}\n", "IM1030", 1);
}

static void root_selector_pa(void)
{
	expect(PA "metadata: {name: a, namespace: istio-system}\n"
	       "spec:\n  selector: {matchLabels: {app: x}}\n  mtls: {mode: STRICT}\n",
	       "IM1031", 1);
	expect(PA NS "spec:\n  selector: {matchLabels: {app: x}}\n"
	       "  mtls: {mode: STRICT}\n", "IM1031", 0);
}

static void identity_vs_plaintext(void)
{
	const char *allow = AP "metadata: {name: p, namespace: ai}\n"
			    "spec:\n  selector: {matchLabels: {app: ms}}\n"
			    "  rules:\n  - from:\n    - source: {principals: "
			    "[cluster.local/ns/ai/sa/gw]}\n";
	const char *deny = AP "metadata: {name: d, namespace: ai}\n"
			   "spec:\n  selector: {matchLabels: {app: ms}}\n"
			   "  action: DENY\n  rules:\n  - from:\n    - source: "
			   "{notNamespaces: [ai]}\n";
	const char *exempt = MESH_STRICT PA "metadata: {name: m, namespace: ai}\n"
			     "spec:\n  selector: {matchLabels: {app: ms}}\n"
			     "  portLevelMtls: {9090: {mode: PERMISSIVE}}\n---\n";
	char y[2048];

	snprintf(y, sizeof(y), "%s%s", exempt, allow);
	expect(y, "IM1032", 1);
	snprintf(y, sizeof(y), "%s%s  - to:\n    - operation: {ports: [\"9090\"]}\n",
		 exempt, allow);
	expect(y, "IM1032", 0);
	snprintf(y, sizeof(y), "%s%s", exempt, deny);
	expect(y, "IM1033", 1);
	snprintf(y, sizeof(y), "%s%s    to:\n    - operation: {notPorts: [\"9090\"]}\n",
		 exempt, deny);
	expect(y, "IM1033", 0);
}

/* ---- DestinationRule ---- */

#define DR "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"

static void shadowed_policy(void)
{
	expect(DR "metadata: {name: a, namespace: ai}\nspec:\n  host: ms\n"
	       "  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n---\n"
	       DR "metadata: {name: b, namespace: ai}\nspec:\n  host: ms\n"
	       "  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}\n",
	       "IM1050", 1);
	expect(DR "metadata: {name: a, namespace: ai}\nspec:\n  host: ms\n"
	       "  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n---\n"
	       DR "metadata: {name: b, namespace: ai}\nspec:\n  host: other\n"
	       "  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}\n",
	       "IM1050", 0);
}

static void subset_replaces(void)
{
	const char *top = DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			  "    connectionPool:\n      tcp: {maxConnections: 200}\n"
			  "      http: {maxRequestsPerConnection: 100}\n"
			  "  subsets:\n  - name: v1\n    labels: {version: v1}\n"
			  "    trafficPolicy:\n      connectionPool:\n";
	char y[1024];
	struct config *c;
	const struct finding *f;

	snprintf(y, sizeof(y), "%s", top);
	strcat(y, "        http: {maxRequestsPerConnection: 50}\n");
	c = run(y);
	f = unit_find_code(c, "IM1051");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "tcp"));
	unit_free(c);
	snprintf(y, sizeof(y), "%s", top);
	strcat(y, "        tcp: {maxConnections: 200}\n"
	       "        http: {maxRequestsPerConnection: 50}\n");
	expect(y, "IM1051", 0);
}

static void port_replaces(void)
{
	const char *top = DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			  "    outlierDetection: {consecutive5xxErrors: 3}\n"
			  "    portLevelSettings:\n    - port: {number: 80}\n";

	char y[1024];

	snprintf(y, sizeof(y), "%s", top);
	strcat(y, "      connectionPool: {tcp: {maxConnections: 5}}\n");
	expect(y, "IM1052", 1);
	snprintf(y, sizeof(y), "%s", top);
	strcat(y, "      connectionPool: {tcp: {maxConnections: 5}}\n"
	       "      outlierDetection: {consecutive5xxErrors: 3}\n");
	expect(y, "IM1052", 0);
}

static const char *pool(int n)
{
	static char b[2048];
	size_t o = 0;
	int i;

	o += (size_t)snprintf(b, sizeof(b), SVC("ms", "[{name: http, port: 80}]"));
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(b + o, sizeof(b) - o,
				      "apiVersion: networking.istio.io/v1\n"
				      "kind: WorkloadEntry\nmetadata: {name: w%d, "
				      "namespace: ai}\nspec:\n  address: 10.0.0.%d\n"
				      "  labels: {app: ms}\n---\n", i, i + 1);
	return b;
}

static void outlier_pool(void)
{
	const char *dr = DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			 "    outlierDetection: {consecutive5xxErrors: 5%s}\n";
	char d[512], y[4096];

	snprintf(d, sizeof(d), dr, "");
	snprintf(y, sizeof(y), "%s%s", pool(3), d);
	expect(y, "IM1041", 1);          /* default 10% of 3: never */
	snprintf(d, sizeof(d), dr, ", maxEjectionPercent: 34");
	snprintf(y, sizeof(y), "%s%s", pool(3), d);
	expect(y, "IM1041", 0);
	expect(y, "IM1040", 0);
	snprintf(d, sizeof(d), dr, ", maxEjectionPercent: 50");
	snprintf(y, sizeof(y), "%s%s", pool(2), d);
	expect(y, "IM1040", 1);          /* half of a pool of two */
	snprintf(y, sizeof(y), "%s%s", pool(4), d);
	expect(y, "IM1040", 0);
}

/* The consequence IM1040 states: one left overloads, all ejected fail with
 * 503 UH, or all ejected under a panic threshold are served anyway. */
static void expect_pool_says(const char *extra, const char *want)
{
	const char *dr = DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			 "    outlierDetection: {consecutive5xxErrors: 5%s}\n";
	char d[512], y[4096];
	struct config *c;
	const struct finding *f;

	snprintf(d, sizeof(d), dr, extra);
	snprintf(y, sizeof(y), "%s%s", pool(2), d);
	c = run(y);
	f = unit_find_code(c, "IM1040");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (!strstr(f->msg, want))
		fprintf(stderr, "\nIM1040 says \"%s\", want \"%s\"\n", f->msg, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, want));
	unit_free(c);
}

static void outlier_pool_outcome(void)
{
	expect_pool_says(", maxEjectionPercent: 50", "onto the other");
	expect_pool_says(", maxEjectionPercent: 100", "503 UH");
	expect_pool_says(", maxEjectionPercent: 100, minHealthPercent: 50",
			 "panics and sends traffic to every endpoint");
}

static void pool_unknown(void)
{
	expect(DR NS "spec:\n  host: ms\n  trafficPolicy:\n    outlierDetection: "
	       "{maxEjectionPercent: 50}\n", "IM1043", 1);
	expect(DR NS "spec:\n  host: ms\n  trafficPolicy:\n    outlierDetection: "
	       "{maxEjectionPercent: 30}\n", "IM1043", 0);
}

static void min_health(void)
{
	expect(DR NS "spec:\n  host: ms\n  trafficPolicy:\n    outlierDetection: "
	       "{maxEjectionPercent: 50, minHealthPercent: 30}\n", "IM1042", 1);
	expect(DR NS "spec:\n  host: ms\n  trafficPolicy:\n    outlierDetection: "
	       "{maxEjectionPercent: 100, minHealthPercent: 30}\n", "IM1042", 0);
}

static const char *two_regions(const char *dr)
{
	static char b[4096];

	snprintf(b, sizeof(b), "%s"
		 "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		 "metadata: {name: e, namespace: ai}\nspec:\n  address: 10.0.0.1\n"
		 "  labels: {app: ms}\n  locality: us-east-1/us-east-1a\n---\n"
		 "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		 "metadata: {name: w, namespace: ai}\nspec:\n  address: 10.0.0.2\n"
		 "  labels: {app: ms}\n  locality: us-west-2/us-west-2a\n---\n%s",
		 SVC("ms", "[{name: http, port: 80}]"), dr);
	return b;
}

static void locality(void)
{
	expect(two_regions(DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			   "    loadBalancer: {simple: RANDOM}\n"), "IM1060", 1);
	expect(two_regions(DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			   "    outlierDetection: {consecutive5xxErrors: 5}\n"),
	       "IM1060", 0);
	expect(two_regions(DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			   "    loadBalancer:\n      localityLbSetting:\n"
			   "        distribute:\n        - from: eu-west-1/*\n"
			   "          to: {\"us-east-1/*\": 100}\n"), "IM1061", 1);
	expect(two_regions(DR NS "spec:\n  host: ms\n  trafficPolicy:\n"
			   "    loadBalancer:\n      localityLbSetting:\n"
			   "        distribute:\n        - from: us-east-1/us-east-1a/*\n"
			   "          to: {\"us-east-1/*\": 100}\n"), "IM1061", 0);
}

/* ---- egress ---- */

#define SE_TLS "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n" \
	"metadata: {name: o, namespace: ai}\nspec:\n  hosts: [api.openai.com]\n" \
	"  ports: [{number: 443, name: tls, protocol: %s}]\n  resolution: DNS\n---\n"

static void double_tls(void)
{
	const char *dr = DR "metadata: {name: o, namespace: ai}\nspec:\n"
			 "  host: api.openai.com\n  trafficPolicy:\n"
			 "    tls: {mode: SIMPLE, caCertificates: /ca.pem}\n";
	char y[1024];

	snprintf(y, sizeof(y), SE_TLS "%s", "TLS", dr);
	expect(y, "IM1070", 1);
	snprintf(y, sizeof(y), SE_TLS "%s", "HTTP", dr);
	expect(y, "IM1070", 0);
}

static void h2_upgrade(void)
{
	const char *dr = DR "metadata: {name: o, namespace: ai}\nspec:\n"
			 "  host: api.openai.com\n  trafficPolicy:\n"
			 "    connectionPool: {http: {h2UpgradePolicy: UPGRADE}}\n";
	char y[1024];

	snprintf(y, sizeof(y), SE_TLS "%s", "TLS", dr);
	expect(y, "IM1071", 1);
	snprintf(y, sizeof(y), SE_TLS "%s", "HTTP", dr);
	expect(y, "IM1071", 0);
}

/* ---- telemetry and MeshConfig ---- */

#define TEL "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\n" NS "spec:\n"
#define MESHCM "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, " \
	"namespace: istio-system}\ndata:\n  mesh: |-\n"

static void telemetry(void)
{
	const char *tag = TEL "  metrics:\n  - overrides:\n    - tagOverrides:\n"
			  "        model: {value: \"%s\"}\n";
	char y[1024];

	snprintf(y, sizeof(y), tag, "request.headers['x-model-name']");
	expect(y, "IM1080", 1);
	snprintf(y, sizeof(y), tag, "has(request.headers['x-model-name']) ? "
		 "request.headers['x-model-name'] : 'none'");
	expect(y, "IM1080", 0);
	expect(TEL "  tracing:\n  - providers: [{name: zipkin}]\n", "IM1081", 1);
	expect(TEL "  tracing:\n  - providers: [{name: zipkin}]\n"
	       "    randomSamplingPercentage: 10\n", "IM1081", 0);
	expect(MESHCM "    extensionProviders:\n    - name: other\n"
	       "      zipkin: {service: z.istio-system.svc.cluster.local, port: 9411}\n"
	       "---\n" TEL "  tracing:\n  - providers: [{name: zipkin}]\n"
	       "    randomSamplingPercentage: 10\n", "IM1082", 1);
	expect(MESHCM "    extensionProviders:\n    - name: zipkin\n"
	       "      zipkin: {service: z.istio-system.svc.cluster.local, port: 9411}\n"
	       "---\n" TEL "  tracing:\n  - providers: [{name: zipkin}]\n"
	       "    randomSamplingPercentage: 10\n", "IM1082", 0);
}

static void hold_application(void)
{
	struct config *c = run(MESHCM "    accessLogFile: /dev/stdout\n");
	const struct finding *f = unit_find_code(c, "IM1090");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->sev, SEV_WARNING);
	unit_free(c);
	c = run(PA "metadata: {name: default, namespace: istio-system}\n"
		"spec: {mtls: {mode: STRICT}}\n");
	f = unit_find_code(c, "IM1090");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->sev, SEV_INFO); /* not known without a MeshConfig */
	unit_free(c);
	expect(MESHCM "    defaultConfig:\n      holdApplicationUntilProxyStarts: true\n",
	       "IM1090", 0);
}

UNIT_SUITE(pitfalls)
{
	UNIT_TEST(s, stream_timeout);
	UNIT_TEST(s, retries_exceed_timeout);
	UNIT_TEST(s, inference_retries);
	UNIT_TEST(s, retry_on_grpc_only);
	UNIT_TEST(s, dropped_routes);
	UNIT_TEST(s, literal_patterns);
	UNIT_TEST(s, namespace_wide_allow);
	UNIT_TEST(s, egress_hosts);
	UNIT_TEST(s, http_only_allow_on_tcp);
	UNIT_TEST(s, grpc_paths);
	UNIT_TEST(s, identity_boundary);
	UNIT_TEST(s, metrics_port_strict);
	UNIT_TEST(s, root_selector_pa);
	UNIT_TEST(s, identity_vs_plaintext);
	UNIT_TEST(s, shadowed_policy);
	UNIT_TEST(s, subset_replaces);
	UNIT_TEST(s, port_replaces);
	UNIT_TEST(s, outlier_pool);
	UNIT_TEST(s, outlier_pool_outcome);
	UNIT_TEST(s, pool_unknown);
	UNIT_TEST(s, min_health);
	UNIT_TEST(s, locality);
	UNIT_TEST(s, double_tls);
	UNIT_TEST(s, h2_upgrade);
	UNIT_TEST(s, telemetry);
	UNIT_TEST(s, hold_application);
}
