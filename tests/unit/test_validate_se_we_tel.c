// SPDX-License-Identifier: Apache-2.0
/* ServiceEntry, WorkloadEntry and Telemetry validation: for each Istio rule
 * a document Istio accepts and one it rejects or warns about (see vcase.h). */
#include <stdio.h>

#include "harness.h"
#include "vcase.h"

#define OK NULL, 0, NULL, NULL /* accepted, no finding */
#define E "IST0106"
#define W "IST0133"

#define SE "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n" \
	   "metadata: {name: x, namespace: ns}\nspec:\n"
#define HOST "  hosts: [api.example.com]\n"
#define HTTP "  ports: [{number: 80, name: http, protocol: HTTP}]\n"

static const struct vcase se_host_cases[] = {
	{ "se minimal", SE HOST HTTP "  resolution: DNS\n", OK },
	{ "se without spec", "apiVersion: networking.istio.io/v1\n"
	  "kind: ServiceEntry\nmetadata: {name: x, namespace: ns}\n",
	  E, 1, "spec", "spec: Required value" },
	{ "se without hosts", SE "  location: MESH_EXTERNAL\n", E, 5, "spec.hosts",
	  "service entry must have at least one host" },
	{ "se host *", SE "  hosts: [\"*\"]\n", E, 5, "spec.hosts[0]",
	  "invalid host *" },
	{ "se host with underscore", SE "  hosts:\n  - bad_host.example.com\n",
	  E, 6, "spec.hosts[0]", "domain name \"bad_host.example.com\" invalid" },
	{ "se host numeric tld", SE "  hosts: [a.123]\n", E, 5, "spec.hosts[0]",
	  "top level domain \"123\" cannot be all-numeric" },
	{ "se wildcard host", SE "  hosts: [\"*.example.com\"]\n", OK },
	{ "se partial wildcard host", SE "  hosts: [\"*x.example.com\"]\n",
	  W, 5, "spec.hosts[0]", "partial wildcard \"*x.example.com\" not allowed" },
	{ "se addresses good", SE HOST HTTP
	  "  addresses: [240.0.0.1, \"2001:db8::1\", 10.0.0.0/16]\n", OK },
	{ "se address bad CIDR", SE HOST "  addresses:\n  - 1.2.3.4/40\n",
	  E, 7, "spec.addresses[0]", "\"1.2.3.4/40\" is not a valid CIDR range" },
	{ "se address bad IP", SE HOST "  addresses:\n  - 1.2.3\n",
	  E, 7, "spec.addresses[0]", "1.2.3 is not a valid IP" },
	{ "se CIDR with DNS", SE HOST HTTP "  resolution: DNS\n"
	  "  addresses: [10.0.0.0/16]\n", E, 8, "spec.addresses",
	  "CIDR addresses are allowed only for NONE/STATIC resolution types" },
	{ "se exportTo . after own namespace", SE HOST "  exportTo: [ns, .]\n", E, 6,
	  "spec.exportTo", "duplicate entries in exportTo: . and current namespace ns" },
	{ "se exportTo own namespace after .", SE HOST "  exportTo: [., ns]\n", E, 6,
	  "spec.exportTo", "duplicate entries in exportTo for entry ns" },
	{ "se exportTo none and someone", SE HOST "  exportTo: [\"~\", a]\n", E, 6,
	  "spec.exportTo", "cannot export service entry to no one (~) and someone" },
	{ "se exportTo none", SE HOST "  exportTo: [\"~\"]\n", OK },
	{ "se endpoint weight over uint32", SE HOST HTTP "  resolution: STATIC\n"
	  "  endpoints:\n  - address: 10.0.0.1\n    weight: 4294967296\n", E, 10,
	  "spec.endpoints[0].weight", "should be less than or equal to 4294967295" },
	{ "se exportTo bad name", SE HOST "  exportTo: [Bad_NS]\n", E, 6,
	  "spec.exportTo", "only .,*, or a valid DNS 1123 label" },
};

static void service_entry_hosts(void)
{
	vcase_run(K_SERVICE_ENTRY, se_host_cases,
		  sizeof(se_host_cases) / sizeof(se_host_cases[0]));
}

#define PORTS SE HOST "  ports:\n"

static const struct vcase se_port_cases[] = {
	{ "se two ports", PORTS "  - {number: 80, name: http, protocol: HTTP}\n"
	  "  - {number: 443, name: https, protocol: HTTPS, targetPort: 8443}\n"
	  "  resolution: DNS\n", OK },
	{ "se duplicate port name", PORTS "  - {number: 80, name: a, protocol: HTTP}\n"
	  "  - {number: 81, name: a, protocol: HTTP}\n", E, 8, "spec.ports[1]",
	  "service entry port name \"a\" already defined" },
	{ "se duplicate port number", PORTS "  - {number: 80, name: a, protocol: HTTP}\n"
	  "  - {number: 80, name: b, protocol: HTTP}\n", E, 8, "spec.ports[1]",
	  "service entry port 80 already defined" },
	{ "se port 0", PORTS "  - {number: 0, name: a, protocol: HTTP}\n", E, 7,
	  "spec.ports[0]", "port number 0 must be in the range 1..65535" },
	{ "se port 65536", PORTS "  - {number: 65536, name: a, protocol: HTTP}\n",
	  E, 7, "spec.ports[0]", "port number 65536 must be in the range 1..65535" },
	{ "se targetPort 70000", PORTS
	  "  - {number: 80, name: a, protocol: HTTP, targetPort: 70000}\n", E, 7,
	  "spec.ports[0]", "port number 70000 must be in the range 1..65535" },
	{ "se port name with underscore", PORTS
	  "  - {number: 80, name: http_1, protocol: HTTP}\n", E, 7, "spec.ports[0]",
	  "invalid port name: http_1" },
	{ "se port without name", PORTS "  - {number: 80, protocol: HTTP}\n", E, 7,
	  "spec.ports[0]", "invalid port name: " },
	{ "se unknown protocol", PORTS "  - {number: 80, name: a, protocol: SMTP}\n",
	  E, 7, "spec.ports[0]", "unsupported protocol: SMTP" },
	{ "se protocol case-insensitive", PORTS
	  "  - {number: 80, name: a, protocol: http}\n", OK },
	{ "se two hosts with TCP and DNS", SE "  hosts: [a.example.com, b.example.com]\n"
	  "  resolution: DNS\n  ports:\n  - {number: 5432, name: pg, protocol: TCP}\n",
	  E, 8, "spec.ports", "multiple hosts provided with non-HTTP, non-TLS ports" },
	{ "se two hosts with TLS and DNS", SE "  hosts: [a.example.com, b.example.com]\n"
	  "  resolution: DNS\n  ports:\n  - {number: 443, name: tls, protocol: TLS}\n", OK },
	{ "se two hosts with TCP and NONE", SE "  hosts: [a.example.com, b.example.com]\n"
	  "  addresses: [240.0.0.1]\n"
	  "  ports:\n  - {number: 5432, name: pg, protocol: TCP}\n", OK },
	{ "se null port", PORTS "  - null\n", E, 7, "spec.ports[0]",
	  "service entry port may not be null" },
};

static void service_entry_ports(void)
{
	vcase_run(K_SERVICE_ENTRY, se_port_cases,
		  sizeof(se_port_cases) / sizeof(se_port_cases[0]));
}

static const struct vcase se_resolution_cases[] = {
	{ "se NONE with endpoints", SE HOST "  endpoints:\n  - address: 1.2.3.4\n",
	  E, 7, "spec.endpoints", "no endpoints should be provided for resolution type none" },
	{ "se NONE with workloadSelector", SE HOST
	  "  workloadSelector: {labels: {app: a}}\n", W, 6, "spec.workloadSelector",
	  "workloadSelector should not be set when resolution mode is NONE" },
	{ "se STATIC with IP endpoints", SE HOST HTTP "  resolution: STATIC\n"
	  "  endpoints: [{address: 10.0.0.1, ports: {http: 8080}, labels: {v: \"1\"}}]\n",
	  OK },
	{ "se STATIC with host name", SE HOST HTTP "  resolution: STATIC\n"
	  "  endpoints:\n  - address: db.example.com\n", E, 9,
	  "spec.endpoints[0].address", "endpoint address \"db.example.com\" is not a valid IP address" },
	{ "se endpoint port not in SE", SE HOST HTTP "  resolution: STATIC\n"
	  "  endpoints:\n  - address: 10.0.0.1\n    ports: {grpc: 9000}\n", E, 10,
	  "spec.endpoints[0].ports", "endpoint port 9000 is not defined by the service entry" },
	{ "se endpoint bad label", SE HOST HTTP "  resolution: STATIC\n"
	  "  endpoints:\n  - address: 10.0.0.1\n    labels: {\"a b\": c}\n", E, 10,
	  "spec.endpoints[0].labels", "invalid tag key: \"a b\"" },
	{ "se DNS endpoint host name", SE HOST HTTP "  resolution: DNS\n"
	  "  endpoints: [{address: db.example.com}]\n", OK },
	{ "se DNS endpoint bad name", SE HOST HTTP "  resolution: DNS\n"
	  "  endpoints:\n  - address: -bad-.example.com\n", E, 9,
	  "spec.endpoints[0].address", "is not a valid FQDN or an IP address" },
	{ "se DNS wildcard host without endpoints", SE
	  "  hosts: [\"*.example.com\"]\n" HTTP "  resolution: DNS\n", E, 5,
	  "spec.hosts", "hosts must be FQDN if no endpoints are provided for resolution mode DNS" },
	{ "se DNS_ROUND_ROBIN two endpoints", SE HOST HTTP
	  "  resolution: DNS_ROUND_ROBIN\n  endpoints:\n  - address: a.example.com\n"
	  "  - address: b.example.com\n", E, 10, "spec.endpoints",
	  "there must only be 0 or 1 endpoint for resolution mode DNS_ROUND_ROBIN" },
	{ "se DNS_ROUND_ROBIN one endpoint", SE HOST HTTP
	  "  resolution: DNS_ROUND_ROBIN\n  endpoints: [{address: a.example.com}]\n", OK },
	{ "se selector and endpoints", SE HOST "  resolution: STATIC\n"
	  "  workloadSelector: {labels: {app: a}}\n  endpoints: [{address: 1.1.1.1}]\n",
	  E, 7, "spec.workloadSelector", "only one of WorkloadSelector or Endpoints is allowed" },
	{ "se selector wildcard", SE HOST "  resolution: STATIC\n"
	  "  workloadSelector:\n    labels: {app: \"*\"}\n", E, 8,
	  "spec.workloadSelector.labels", "wildcard is not supported in selector: \"app=*\"" },
	{ "se STATIC selector", SE HOST "  resolution: STATIC\n"
	  "  workloadSelector: {labels: {app: a}}\n", OK },
};

static void service_entry_resolution(void)
{
	vcase_run(K_SERVICE_ENTRY, se_resolution_cases,
		  sizeof(se_resolution_cases) / sizeof(se_resolution_cases[0]));
}

#define WE "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	   "metadata: {name: x, namespace: ns}\nspec:\n"

static const struct vcase we_cases[] = {
	{ "we full", WE "  address: 10.0.0.1\n  ports: {http: 8080}\n"
	  "  labels: {app: a, example.com/tier: web}\n  serviceAccount: sa\n", OK },
	{ "we IPv6 and host name", WE "  address: \"fd00::1\"\n", OK },
	{ "we host name", WE "  address: vm1.example.com\n", OK },
	{ "we weight uint32 max", WE "  address: 10.0.0.1\n"
	  "  weight: 4294967295\n", OK },
	{ "we weight 2^31", WE "  address: 10.0.0.1\n  weight: 2147483648\n",
	  OK },
	{ "we weight over uint32", WE "  address: 10.0.0.1\n"
	  "  weight: 4294967296\n", E, 6, "spec.weight",
	  "should be less than or equal to 4294967295" },
	{ "we without spec", "apiVersion: networking.istio.io/v1\n"
	  "kind: WorkloadEntry\nmetadata: {name: x, namespace: ns}\n",
	  E, 1, "spec", "spec: Required value" },
	{ "we without address", WE "  labels: {app: a}\n", E, 5, "spec",
	  "address is required" },
	{ "we network without address", WE "  network: n1\n", W, 5, "spec",
	  "address is unset with network \"n1\"" },
	{ "we bad address", WE "  address: -x-.example.com\n", E, 5, "spec.address",
	  "endpoint address \"-x-.example.com\" is not a valid FQDN or an IP address" },
	{ "we unix relative", WE "  address: unix://run/app.sock\n", E, 5,
	  "spec.address", "run/app.sock is not an absolute path to a file" },
	{ "we unix directory", WE "  address: unix:///run/\n", E, 5,
	  "spec.address", "/run/ is not an absolute path to a file" },
	{ "we unix empty", WE "  address: unix://\n", E, 5, "spec.address",
	  "unix address must not be empty" },
	{ "we unix with ports", WE "  address: unix:///run/a.sock\n  ports:\n"
	  "    http: 80\n", E, 7, "spec.ports", "unix endpoint unix:///run/a.sock must not include ports" },
	{ "we unix abstract", WE "  address: unix://@app\n", OK },
	{ "we port 99999", WE "  address: 1.1.1.1\n  ports:\n    http: 99999\n",
	  E, 7, "spec.ports", "port number 99999 must be in the range 1..65535" },
	{ "we port 0", WE "  address: 1.1.1.1\n  ports:\n    http: 0\n",
	  E, 7, "spec.ports", "port number 0 must be in the range 1..65535" },
	{ "we port name", WE "  address: 1.1.1.1\n  ports:\n    \"@\": 80\n",
	  E, 7, "spec.ports", "invalid port name: @" },
	{ "we bad label value", WE "  address: 1.1.1.1\n  labels:\n    app: \"-a\"\n",
	  E, 7, "spec.labels", "invalid tag value: \"-a\"" },
	{ "we label key too long", WE "  address: 1.1.1.1\n  labels:\n    "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: b\n",
	  E, 7, "spec.labels", "invalid tag key" },
};

/* WorkloadEntry <name> on node n1 in cgroup <cg> (line 6 of its document) */
#define WECG(name, cg) "apiVersion: networking.istio.io/v1\n" \
	"kind: WorkloadEntry\nmetadata:\n  name: " name "\n  namespace: ns\n" \
	"  annotations: {infermesh.io/node: n1, infermesh.io/cgroup: \"" cg \
	"\"}\nspec:\n  address: 10.0.0.1\n"
#define CGP "metadata.annotations.infermesh.io/cgroup"

/* infermesh's own: the cgroup annotation (user/validate/we_cgroup.c) */
static const struct vcase we_cgroup_cases[] = {
	{ "we cgroup relative", WECG("x", "kubepods/pod-1/"), OK },
	{ "we cgroup ..", WECG("x", "kubepods/../../system.slice"), E, 6, CGP,
	  "cgroup \"kubepods/../../system.slice\" contains \"..\"" },
	{ "we cgroup absolute", WECG("x", "/sys/fs/cgroup/kubepods"), E, 6, CGP,
	  "is an absolute path: it may lie outside the node's cgroup root" },
	{ "we cgroup empty", WECG("x", "./"), E, 6, CGP,
	  "names no cgroup below the root" },
	{ "we cgroup claimed twice", WECG("y", "pods/a") "---\n"
	  WECG("x", "pods//a/"), E, 15, CGP,
	  "is already the cgroup of WorkloadEntry ns/y (test.yaml:6:40)" },
	{ "we same cgroup on two nodes", WECG("y", "pods/a") "---\n"
	  "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
	  "metadata:\n  name: x\n  namespace: ns\n  annotations: "
	  "{infermesh.io/node: n2, infermesh.io/cgroup: pods/a}\n"
	  "spec:\n  address: 10.0.0.2\n", OK },
	{ "we cgroup inside another's", WECG("y", "pods/a") "---\n"
	  WECG("x", "pods/a/b"), OK },
};

static void workload_entry_rules(void)
{
	vcase_run(K_WORKLOAD_ENTRY, we_cases, sizeof(we_cases) / sizeof(we_cases[0]));
	vcase_run(K_WORKLOAD_ENTRY, we_cgroup_cases,
		  sizeof(we_cgroup_cases) / sizeof(we_cgroup_cases[0]));
}

#define TEL "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\n" \
	    "metadata: {name: x, namespace: ns}\nspec:\n"
#define MET TEL "  metrics:\n  - "

static const struct vcase tel_cases[] = {
	{ "tel providers good", MET "providers: [{name: prometheus}]\n", OK },
	{ "tel empty provider name", MET "providers:\n    - name: \"\"\n", E, 7,
	  "spec.metrics[0]", "providers.name may not be empty" },
	{ "tel empty custom metric", MET "overrides:\n    - match:\n"
	  "        customMetric: \"\"\n", E, 8, "spec.metrics[0].overrides[0]",
	  "customMetric may not be empty" },
	{ "tel upsert with value", MET "overrides:\n    - tagOverrides:\n"
	  "        model: {value: \"request.headers['x-model']\"}\n", OK },
	{ "tel upsert without value", MET "overrides:\n    - tagOverrides:\n"
	  "        model: {operation: UPSERT}\n", E, 8,
	  "spec.metrics[0].overrides[0].tagOverrides[model]",
	  "tagOverrides.value must be set when operation is UPSERT" },
	{ "tel remove with value", MET "overrides:\n    - tagOverrides:\n"
	  "        model:\n          operation: REMOVE\n          value: x\n", E, 8,
	  "spec.metrics[0].overrides[0].tagOverrides[model]",
	  "tagOverrides.value may only be set when operation is UPSERT" },
	{ "tel remove", MET "overrides:\n    - tagOverrides:\n"
	  "        request_protocol: {operation: REMOVE}\n", OK },
	{ "tel empty tag name", MET "overrides:\n    - tagOverrides:\n"
	  "        \"\": {value: x}\n", W, 8, NULL, "tagOverrides.name may not be empty" },
	{ "tel null override", MET "overrides:\n    - null\n", E, 7,
	  "spec.metrics[0].overrides[0]", "tagOverrides may not be null" },
	{ "tel sampling 50", TEL "  tracing:\n  - randomSamplingPercentage: 50\n", OK },
	{ "tel sampling 101", TEL "  tracing:\n  - randomSamplingPercentage: 101\n",
	  E, 6, "spec.tracing[0]", "randomSamplingPercentage must be in range [0.0, 100.0]" },
	{ "tel two tracing entries", TEL "  tracing:\n  - {}\n  - {}\n", W, 7,
	  "spec.tracing", "multiple tracing is not currently supported" },
	{ "tel two tracing providers", TEL "  tracing:\n  - providers:\n"
	  "    - name: a\n    - name: b\n", W, 8, "spec.tracing[0]",
	  "multiple providers is not currently supported" },
	{ "tel custom tags good", TEL "  tracing:\n  - customTags:\n"
	  "      a: {literal: {value: v}}\n      b: {header: {name: x-b}}\n"
	  "      c: {environment: {name: C}}\n", OK },
	{ "tel literal tag empty", TEL "  tracing:\n  - customTags:\n"
	  "      a:\n        literal: {value: \"\"}\n", E, 8, "spec.tracing[0]",
	  "literal tag value may not be empty" },
	{ "tel header tag empty", TEL "  tracing:\n  - customTags:\n"
	  "      a:\n        header: {}\n", E, 8, "spec.tracing[0]",
	  "header tag name may not be empty" },
	{ "tel environment tag empty", TEL "  tracing:\n  - customTags:\n"
	  "      a:\n        environment: {defaultValue: d}\n", E, 8, "spec.tracing[0]",
	  "environment tag name may not be empty" },
	{ "tel nil tag", TEL "  tracing:\n  - customTags:\n      a: null\n", E, 7,
	  "spec.tracing[0]", "tag 'a' may not have a nil value" },
	{ "tel access log provider empty", TEL "  accessLogging:\n"
	  "  - providers: [{name: \"\"}]\n", E, 6, "spec.accessLogging[0]",
	  "providers.name may not be empty" },
	{ "tel selector and targetRef", TEL "  selector: {matchLabels: {app: a}}\n"
	  "  targetRef: {kind: Service, name: s}\n", E, 5, "spec.selector",
	  "only one of targetRefs or workloadSelector can be set" },
	{ "tel selector wildcard", TEL "  selector: {matchLabels: {\"*\": a}}\n",
	  E, 5, "spec.selector", "wildcard is not supported in selector" },
};

static void telemetry_rules(void)
{
	vcase_run(K_TELEMETRY, tel_cases, sizeof(tel_cases) / sizeof(tel_cases[0]));
}

/* Many ports, endpoints and addresses: no crash, quadratic checks stay
 * bounded, every bad value is reported. */
static void large_service_entry(void)
{
	size_t n = 3000, i, len = 0, bad = 0, cap = n * 160 + 512;
	char *y = malloc(cap);
	struct config *c;

	len += (size_t)snprintf(y + len, cap - len, SE HOST
				"  resolution: STATIC\n  ports:\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(y + len, cap - len,
					"  - {number: %zu, name: p%zu, protocol: TCP}\n",
					i + 1, i);
	len += (size_t)snprintf(y + len, cap - len, "  addresses:\n");
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(y + len, cap - len, "  - 10.%zu.%zu.%zu/%zu\n",
					i % 300, i % 7, i % 256, 24 + i % 10);
		bad += i % 300 > 255 || 24 + i % 10 > 32;
	}
	c = unit_load(y);
	CU_ASSERT_TRUE(unit_obj(c, K_SERVICE_ENTRY, "x")->invalid);
	/* octets above 255 and prefixes longer than /32: one error each */
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), bad);
	unit_free(c);
	free(y);
}

UNIT_SUITE(validate_se_we_tel)
{
	UNIT_TEST(s, service_entry_hosts);
	UNIT_TEST(s, service_entry_ports);
	UNIT_TEST(s, service_entry_resolution);
	UNIT_TEST(s, workload_entry_rules);
	UNIT_TEST(s, telemetry_rules);
	UNIT_TEST(s, large_service_entry);
}
