// SPDX-License-Identifier: Apache-2.0
/* DestinationRule validation: for each of Istio's webhook/CRD rules a
 * document Istio accepts and one it rejects (or warns about), checked for
 * code, line, field path and wording (table runner: vcase.h); then Istio's
 * CRD corpus, the seed configs and hostile values. */
#include <stdio.h>

#include "config/kinds.h"
#include "harness.h"
#include "vcase.h"

#define DR "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	   "metadata: {name: x, namespace: ns}\nspec:\n"
/* line 5: host, line 6: trafficPolicy, its fields from line 7 */
#define TP "  host: a\n  trafficPolicy:\n"
#define OK NULL, 0, NULL, NULL
#define E "IST0106"
#define W "IST0133"

static const struct vcase dr_top_cases[] = {
	{ "dr minimal", DR "  host: a\n", OK },
	{ "dr without host", DR "  subsets: [{name: v1}]\n", E, 5, "spec.host",
	  "empty domain name not allowed" },
	{ "dr bad host", DR "  host: a..b\n", E, 5, "spec.host",
	  "domain name \"a..b\" invalid" },
	{ "dr wildcard host", DR "  host: \"*.a.com\"\n", OK },
	{ "dr duplicate subsets", DR "  host: a\n  subsets:\n"
	  "  - {name: v1, labels: {version: v1}}\n"
	  "  - {name: v1, labels: {version: v2}}\n", E, 8, "spec.subsets[1]",
	  "duplicate subset names: v1" },
	{ "dr distinct subsets", DR "  host: a\n  subsets:\n"
	  "  - {name: v1, labels: {version: v1}}\n"
	  "  - {name: v2, labels: {version: v2}}\n", OK },
	{ "dr bad subset name", DR "  host: a\n  subsets:\n  - name: V_1\n",
	  E, 7, "spec.subsets[0].name", "subset name is invalid: V_1" },
	{ "dr bad subset label", DR "  host: a\n  subsets:\n"
	  "  - {name: v1, labels: {version: \"a b\"}}\n", E, 7,
	  "spec.subsets[0].labels[version]", "invalid tag value: \"a b\"" },
	{ "dr empty trafficPolicy", DR "  host: a\n  trafficPolicy: {}\n", E, 6,
	  "spec.trafficPolicy", "traffic policy must have at least one field" },
	{ "dr empty subset trafficPolicy", DR "  host: a\n  subsets:\n"
	  "  - name: v1\n    trafficPolicy: {}\n", E, 8,
	  "spec.subsets[0].trafficPolicy",
	  "traffic policy must have at least one field" },
	{ "dr tunnel and proxyProtocol", DR TP
	  "    tunnel: {protocol: CONNECT, targetHost: b.com, targetPort: 8080}\n"
	  "    proxyProtocol: {version: V2}\n", E, 7, "spec.trafficPolicy",
	  "tunnel and proxyProtocol must not be set together" },
	{ "dr tunnel", DR TP
	  "    tunnel: {protocol: POST, targetHost: 10.0.0.1, targetPort: 8080}\n",
	  OK },
	{ "dr tunnel bad protocol", DR TP
	  "    tunnel: {protocol: GET, targetHost: b.com, targetPort: 8080}\n",
	  E, 7, "spec.trafficPolicy.tunnel.protocol",
	  "tunnel protocol must be \"CONNECT\" or \"POST\"" },
	{ "dr tunnel without port", DR TP "    tunnel: {targetHost: b.com}\n",
	  E, 7, "spec.trafficPolicy.tunnel.targetPort",
	  "tunnel target port is invalid" },
	{ "dr selector and exportTo *", DR "  host: a\n"
	  "  workloadSelector: {matchLabels: {app: a}}\n  exportTo: [\"*\"]\n",
	  E, 7, "spec.exportTo", "destination rule with workload selector "
	  "cannot have exportTo beyond current namespace" },
	{ "dr selector and exportTo .", DR "  host: a\n"
	  "  workloadSelector: {matchLabels: {app: a}}\n  exportTo: [\".\"]\n", OK },
};

static void dr_top_rules(void)
{
	vcase_run(K_DESTINATION_RULE, dr_top_cases,
		  sizeof(dr_top_cases) / sizeof(dr_top_cases[0]));
}

static const struct vcase dr_pool_cases[] = {
	{ "dr empty connectionPool", DR TP "    connectionPool: {}\n", E, 7,
	  "spec.trafficPolicy.connectionPool",
	  "connection pool must have at least one field" },
	{ "dr negative maxConnections", DR TP "    connectionPool:\n"
	  "      tcp: {maxConnections: -1}\n", E, 8,
	  "spec.trafficPolicy.connectionPool.tcp.maxConnections",
	  "max connections must be non-negative" },
	{ "dr negative http2MaxRequests", DR TP "    connectionPool:\n"
	  "      http: {http2MaxRequests: -5}\n", E, 8,
	  "spec.trafficPolicy.connectionPool.http.http2MaxRequests",
	  "http2 max requests must be non-negative" },
	{ "dr maxRequestsPerConnection beyond int32", DR TP
	  "    connectionPool:\n      http: {maxRequestsPerConnection: 4294967296}\n",
	  E, 8, "spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection",
	  "out of range for int32" },
	{ "dr useClientProtocol with UPGRADE", DR TP "    connectionPool:\n"
	  "      http: {h2UpgradePolicy: UPGRADE, useClientProtocol: true}\n", E, 8,
	  "spec.trafficPolicy.connectionPool.http.useClientProtocol",
	  "use client protocol must not be true when H2UpgradePolicy is UPGRADE" },
	{ "dr useClientProtocol alone", DR TP "    connectionPool:\n"
	  "      http: {useClientProtocol: true}\n", OK },
	{ "dr connectTimeout 0s", DR TP "    connectionPool:\n"
	  "      tcp: {connectTimeout: 0s}\n", E, 8,
	  "spec.trafficPolicy.connectionPool.tcp.connectTimeout",
	  "duration must be greater than 1ms" },
	{ "dr tcp idleTimeout 0s disables", DR TP "    connectionPool:\n"
	  "      tcp: {idleTimeout: 0s}\n", OK },
	{ "dr keepalive time in us", DR TP "    connectionPool:\n"
	  "      tcp: {tcpKeepalive: {time: 1500us}}\n", E, 8,
	  "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time",
	  "only durations to ms precision are supported" },
	{ "dr http2KeepAlive", DR TP "    connectionPool:\n"
	  "      http: {http2KeepAlive: {interval: 15s, timeout: 5s}}\n", OK },
};

static void dr_pool_rules(void)
{
	vcase_run(K_DESTINATION_RULE, dr_pool_cases,
		  sizeof(dr_pool_cases) / sizeof(dr_pool_cases[0]));
}

static const struct vcase dr_outlier_cases[] = {
	{ "dr local origin failures without split", DR TP
	  "    outlierDetection:\n      consecutiveLocalOriginFailures: 5\n", E, 8,
	  "spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures",
	  "outlier detection consecutive local origin failures is specified, "
	  "but split external local origin errors is set to false" },
	{ "dr local origin failures with split", DR TP "    outlierDetection:\n"
	  "      {consecutiveLocalOriginFailures: 5, "
	  "splitExternalLocalOriginErrors: true}\n", OK },
	{ "dr maxEjectionPercent 150", DR TP "    outlierDetection:\n"
	  "      maxEjectionPercent: 150\n", E, 8,
	  "spec.trafficPolicy.outlierDetection.maxEjectionPercent",
	  "percentage 150 is not in range 0..100" },
	{ "dr minHealthPercent -1", DR TP "    outlierDetection:\n"
	  "      minHealthPercent: -1\n", E, 8,
	  "spec.trafficPolicy.outlierDetection.minHealthPercent",
	  "percentage -1 is not in range 0..100" },
	{ "dr outlier interval 0s", DR TP "    outlierDetection:\n"
	  "      interval: 0s\n", E, 8,
	  "spec.trafficPolicy.outlierDetection.interval",
	  "duration must be greater than 1ms" },
	{ "dr consecutiveErrors deprecated", DR TP "    outlierDetection:\n"
	  "      consecutiveErrors: 5\n", W, 8,
	  "spec.trafficPolicy.outlierDetection.consecutiveErrors",
	  "outlier detection consecutive errors is deprecated" },
	{ "dr outlier detection", DR TP "    outlierDetection:\n"
	  "      {consecutive5xxErrors: 3, interval: 10s, baseEjectionTime: 30s,"
	  " maxEjectionPercent: 100, minHealthPercent: 0}\n", OK },
};

static void dr_outlier_rules(void)
{
	vcase_run(K_DESTINATION_RULE, dr_outlier_cases,
		  sizeof(dr_outlier_cases) / sizeof(dr_outlier_cases[0]));
}

/* line 7: loadBalancer, 8: localityLbSetting, 9.. its fields */
#define LOC TP "    loadBalancer:\n      localityLbSetting:\n"
#define OD "    outlierDetection: {consecutive5xxErrors: 3}\n"

static const struct vcase dr_locality_cases[] = {
	{ "dr distribute 80/20", DR LOC "        distribute:\n"
	  "        - from: us-east/a/*\n"
	  "          to: {\"us-east/a/*\": 80, \"us-east/b/*\": 20}\n", OK },
	{ "dr distribute summing to 90", DR LOC "        distribute:\n"
	  "        - from: us-east/a/*\n"
	  "          to: {\"us-east/a/*\": 70, \"us-east/b/*\": 20}\n", E, 11,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0]",
	  "total locality weight 90 != 100" },
	{ "dr distribute weight 0", DR LOC "        distribute:\n"
	  "        - from: us-east\n          to: {us-east: 100, us-west: 0}\n",
	  E, 11, "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0]",
	  "locality weight must be in range [1, 100]" },
	{ "dr distribute overlapping", DR LOC "        distribute:\n"
	  "        - from: us-east\n          to: {us-east: 50, us-east/a: 50}\n",
	  E, 11, "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0]",
	  "locality us-east/a overlap with previous specified ones" },
	{ "dr distribute wildcard inside", DR LOC "        distribute:\n"
	  "        - from: \"us-*/a\"\n          to: {us-east: 100}\n", E, 10,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting",
	  "locality us-*/a wildcard '*' number can not exceed 1 and must be in "
	  "the end" },
	{ "dr distribute and failover", DR LOC "        distribute:\n"
	  "        - {from: us-east, to: {us-east: 100}}\n"
	  "        failover: [{from: us-east, to: us-west}]\n", E, 9,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting",
	  "can not simultaneously specify 'distribute' and 'failover'" },
	{ "dr failover with outlier detection", DR LOC
	  "        failover: [{from: us-east, to: us-west}]\n" OD, OK },
	{ "dr failover without outlier detection", DR LOC
	  "        failover: [{from: us-east, to: us-west}]\n", W, 9,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting",
	  "outlier detection policy must be provided for failover" },
	{ "dr failoverPriority without outlier detection", DR LOC
	  "        failoverPriority: [topology.istio.io/network]\n", W, 9,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting",
	  "outlier detection policy must be provided for failover" },
	{ "dr failover to the same region", DR LOC
	  "        failover: [{from: us-east, to: us-east}]\n" OD, E, 9,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]",
	  "locality lb failover settings must specify different regions" },
	{ "dr failover to a zone", DR LOC
	  "        failover: [{from: us-east, to: us-west/a}]\n" OD, E, 9,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]",
	  "locality lb failover only specify region" },
	{ "dr failover wildcard", DR LOC
	  "        failover: [{from: us-east, to: \"us-*\"}]\n" OD, E, 9,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0]",
	  "region should not contain '*' wildcard" },
	{ "dr failover and topology failoverPriority", DR LOC
	  "        failover: [{from: us-east, to: us-west}]\n"
	  "        failoverPriority: [topology.kubernetes.io/zone]\n" OD, E, 10,
	  "spec.trafficPolicy.loadBalancer.localityLbSetting",
	  "can not simultaneously set 'failover' and topology label "
	  "'topology.kubernetes.io/zone' in 'failover_priority'" },
};

static void dr_locality_rules(void)
{
	vcase_run(K_DESTINATION_RULE, dr_locality_cases,
		  sizeof(dr_locality_cases) / sizeof(dr_locality_cases[0]));
}

/* line 7: loadBalancer, 8: its first field */
#define LB TP "    loadBalancer:\n"

static const struct vcase dr_lb_cases[] = {
	{ "dr simple and consistentHash", DR LB "      simple: ROUND_ROBIN\n"
	  "      consistentHash: {useSourceIp: true}\n", E, 8,
	  "spec.trafficPolicy.loadBalancer",
	  "only one of simple or consistentHash can be set" },
	{ "dr cookie without name", DR LB "      consistentHash:\n"
	  "        httpCookie: {ttl: 0s}\n", E, 9,
	  "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie",
	  "name required for HttpCookie" },
	{ "dr cookie", DR LB "      consistentHash:\n"
	  "        httpCookie: {name: s, ttl: 0s}\n", OK },
	{ "dr two hash keys", DR LB "      consistentHash:\n"
	  "        {httpHeaderName: x-user, useSourceIp: true}\n", E, 9,
	  "spec.trafficPolicy.loadBalancer.consistentHash",
	  "only one of httpHeaderName, httpCookie, useSourceIp or "
	  "httpQueryParameterName can be set" },
	{ "dr maglev prime", DR LB "      consistentHash:\n"
	  "        {useSourceIp: true, maglev: {tableSize: 65537}}\n", OK },
	{ "dr maglev not prime", DR LB "      consistentHash:\n"
	  "        {useSourceIp: true, maglev: {tableSize: 65536}}\n", E, 9,
	  "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
	  "tableSize must be a prime number for maglev" },
	{ "dr maglev too large", DR LB "      consistentHash:\n"
	  "        {useSourceIp: true, maglev: {tableSize: 5000011}}\n", E, 9,
	  "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
	  "tableSize must be less than 5000011 for maglev" },
	{ "dr maglev without size", DR LB "      consistentHash:\n"
	  "        {useSourceIp: true, maglev: {}}\n", E, 9,
	  "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize",
	  "tableSize must be set for maglev" },
	{ "dr deprecated minimumRingSize", DR LB "      consistentHash:\n"
	  "        {useSourceIp: true, minimumRingSize: 1024}\n", W, 9,
	  "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize",
	  "consistent hash MinimumRingSize is deprecated" },
	{ "dr minimumRingSize and ringHash", DR LB "      consistentHash:\n"
	  "        useSourceIp: true\n        minimumRingSize: 1024\n"
	  "        ringHash: {minimumRingSize: 1024}\n", E, 10,
	  "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize",
	  "only one of MinimumRingSize or Maglev/Ringhash can be specified" },
	{ "dr ringHash", DR LB "      consistentHash:\n"
	  "        {useSourceIp: true, ringHash: {minimumRingSize: 8388608}}\n", OK },
	{ "dr ringHash above Envoy's limit", DR LB "      consistentHash:\n"
	  "        useSourceIp: true\n        ringHash:\n"
	  "          minimumRingSize: 10000000\n", "IM1350", 11,
	  "spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize",
	  "minimumRingSize 10000000 is above Envoy's limit of 8388608" },
	{ "dr warmup with RANDOM", DR LB "      simple: RANDOM\n"
	  "      warmup: {duration: 60s}\n", "IM1352", 9,
	  "spec.trafficPolicy.loadBalancer",
	  "warmup only applies to ROUND_ROBIN and LEAST_REQUEST load balancing" },
	{ "dr warmup with ROUND_ROBIN", DR LB "      simple: ROUND_ROBIN\n"
	  "      warmup: {duration: 60s, minimumPercent: 10, aggression: 1}\n", OK },
	{ "dr warmup negative minimumPercent", DR LB
	  "      warmup: {duration: 60s, minimumPercent: -1}\n", E, 8,
	  "spec.trafficPolicy.loadBalancer.warmup.minimumPercent",
	  "minimumPercent value should be greater than or equal to 0" },
	{ "dr warmup duration 0s", DR LB "      warmup: {duration: 0s}\n", E, 8,
	  "spec.trafficPolicy.loadBalancer.warmup.duration",
	  "duration must be greater than 1ms" },
};

static void dr_lb_rules(void)
{
	vcase_run(K_DESTINATION_RULE, dr_lb_cases,
		  sizeof(dr_lb_cases) / sizeof(dr_lb_cases[0]));
}

/* line 7: tls, 8: its fields */
static const struct vcase dr_tls_cases[] = {
	{ "dr MUTUAL with files", DR TP "    tls: {mode: MUTUAL, clientCertificate: "
	  "/c.pem, privateKey: /k.pem, caCertificates: /ca.pem}\n", OK },
	{ "dr MUTUAL without certificate", DR TP "    tls:\n"
	  "      {mode: MUTUAL, privateKey: /k.pem}\n", E, 8, "spec.trafficPolicy.tls",
	  "client certificate required for mutual tls" },
	{ "dr MUTUAL with credentialName", DR TP "    tls:\n"
	  "      {mode: MUTUAL, credentialName: c}\n", OK },
	{ "dr credentialName and files", DR TP "    tls:\n"
	  "      {mode: SIMPLE, credentialName: c, caCertificates: /ca.pem}\n",
	  E, 8, "spec.trafficPolicy.tls", "cannot specify client certificates "
	  "or CA certificate or CA CRL If credentialName is set" },
	{ "dr insecureSkipVerify with CA", DR TP "    tls:\n"
	  "      {mode: SIMPLE, insecureSkipVerify: true, caCertificates: /ca.pem}\n",
	  E, 8, "spec.trafficPolicy.tls", "cannot specify CaCertificates or "
	  "CredentialName or SubjectAltNames when InsecureSkipVerify is set true" },
	{ "dr insecureSkipVerify", DR TP "    tls:\n"
	  "      {mode: SIMPLE, insecureSkipVerify: true}\n", OK },
	{ "dr ISTIO_MUTUAL with sni", DR TP "    tls:\n"
	  "      {mode: ISTIO_MUTUAL, sni: a.ns.svc, subjectAltNames: [x]}\n", OK },
	{ "dr ISTIO_MUTUAL with a certificate", DR TP "    tls:\n"
	  "      mode: ISTIO_MUTUAL\n      clientCertificate: /c.pem\n", "IM1351",
	  9, "spec.trafficPolicy.tls", "tls mode ISTIO_MUTUAL uses the mesh "
	  "certificates; clientCertificate is ignored" },
	{ "dr port level tls", DR TP "    portLevelSettings:\n"
	  "    - port: {number: 443}\n      tls: {mode: SIMPLE}\n", OK },
	{ "dr port level without port", DR TP "    portLevelSettings:\n"
	  "    - tls: {mode: SIMPLE}\n", E, 8,
	  "spec.trafficPolicy.portLevelSettings[0]",
	  "portTrafficPolicy must have valid port" },
	{ "dr port level with port only", DR TP "    portLevelSettings:\n"
	  "    - port: {number: 443}\n", E, 8,
	  "spec.trafficPolicy.portLevelSettings[0]",
	  "port traffic policy must have at least one field" },
	{ "dr port level failover without outlier detection", DR TP
	  "    outlierDetection: {consecutive5xxErrors: 3}\n"
	  "    portLevelSettings:\n    - port: {number: 80}\n"
	  "      loadBalancer:\n        localityLbSetting:\n"
	  "          failover: [{from: a, to: b}]\n", W, 12,
	  "spec.trafficPolicy.portLevelSettings[0].loadBalancer.localityLbSetting",
	  "outlier detection policy must be provided for failover" },
};

static void dr_tls_rules(void)
{
	vcase_run(K_DESTINATION_RULE, dr_tls_cases,
		  sizeof(dr_tls_cases) / sizeof(dr_tls_cases[0]));
}

/* ---- Istio's CRD corpus and the seed configs ---- */

static struct config *load_file(const char *path)
{
	struct config *c = malloc(sizeof(*c));

	config_init(c);
	CU_ASSERT_EQUAL(config_load_path(c, path), 0);
	config_validate(c);
	return c;
}

static size_t count_kind(const struct config *c, bool invalid)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->objs[i]->kind == K_DESTINATION_RULE &&
		     c->objs[i]->invalid == invalid;
	return n;
}

static void crd_corpus(void)
{
	struct config *c = load_file("../shared/fixtures/istio/crd-validation/"
				     "destinationrule-valid.yaml");
	static const char *const why[] = { "warmup.minimumPercent",
		"warmup.duration", "warmup.aggression" };
	size_t i, k;

	CU_ASSERT_EQUAL(count_kind(c, false), 4);
	CU_ASSERT_EQUAL(count_kind(c, true), 0);
	unit_free(c);
	c = load_file("../shared/fixtures/istio/crd-validation/"
		      "destinationrule-invalid.yaml");
	CU_ASSERT_EQUAL(count_kind(c, true), 3);
	CU_ASSERT_EQUAL(count_kind(c, false), 0);
	/* each document rejected for the field its _err names */
	for (k = 0; k < 3; k++) {
		bool found = false;

		for (i = 0; i < c->diag.n; i++)
			found |= !strcmp(c->diag.v[i].code, "IST0106") &&
				 c->diag.v[i].path &&
				 strstr(c->diag.v[i].path, why[k]) &&
				 c->diag.v[i].line > 12 * k;
		CU_ASSERT_TRUE(found);
	}
	unit_free(c);
}

static void seed_destinationrules(void)
{
	static const char *const valid[] = {
		"../shared/fixtures/seed/05-destinationrule-subsets.yaml",
		"../shared/fixtures/seed/06-circuit-breakers.yaml" };
	struct config *c;
	const struct finding *f;
	size_t i;

	for (i = 0; i < 2; i++) {
		c = load_file(valid[i]);
		CU_ASSERT_TRUE(count_kind(c, false) >= 1);
		CU_ASSERT_EQUAL(count_kind(c, true), 0);
		CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 0);
		CU_ASSERT_EQUAL(unit_count_code(c, "IST0133"), 0);
		unit_free(c);
	}
	/* distribute and failover together: Istio refuses the object */
	c = load_file("../shared/fixtures/seed/08-locality.yaml");
	f = unit_find_code(c, "IST0106");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->line, 11);
	CU_ASSERT_STRING_EQUAL(f->path,
			       "spec.trafficPolicy.loadBalancer.localityLbSetting");
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "can not simultaneously specify "
				      "'distribute' and 'failover'"));
	CU_ASSERT_EQUAL(count_kind(c, true), 1);
	unit_free(c);
}

/* ---- hostile values never crash ---- */

static void hostile_values(void)
{
	struct config *c = unit_load(DR "  host: a\n  trafficPolicy:\n"
		"    connectionPool:\n      tcp: {maxConnections: 9223372036854775807}\n"
		"      http: {http1MaxPendingRequests: -9223372036854775808}\n"
		"    outlierDetection: {maxEjectionPercent: 9223372036854775807}\n"
		"    loadBalancer:\n      consistentHash:\n"
		"        useSourceIp: true\n"
		"        maglev: {tableSize: 18446744073709551615}\n"
		"      localityLbSetting:\n        distribute:\n"
		"        - from: \"*\"\n          to: {\"*\": 4294967297}\n");

	CU_ASSERT_TRUE(unit_obj(c, K_DESTINATION_RULE, "x")->invalid);
	unit_free(c);
}

static void many_subsets(void)
{
	size_t n = 5000, cap = n * 48 + 256, o = 0, i;
	char *s = malloc(cap);
	struct config *c;

	o += snprintf(s + o, cap - o, "%s  host: a\n  subsets:\n", DR);
	for (i = 0; i < n; i++)
		o += snprintf(s + o, cap - o, "  - {name: s%zu}\n", i % (n - 1));
	c = unit_load(s);
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 1); /* s0 twice */
	unit_free(c);
	free(s);
}

UNIT_SUITE(validate_dr)
{
	UNIT_TEST(s, dr_top_rules);
	UNIT_TEST(s, dr_pool_rules);
	UNIT_TEST(s, dr_outlier_rules);
	UNIT_TEST(s, dr_locality_rules);
	UNIT_TEST(s, dr_lb_rules);
	UNIT_TEST(s, dr_tls_rules);
	UNIT_TEST(s, crd_corpus);
	UNIT_TEST(s, seed_destinationrules);
	UNIT_TEST(s, hostile_values);
	UNIT_TEST(s, many_subsets);
}
