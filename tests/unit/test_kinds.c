// SPDX-License-Identifier: Apache-2.0
/* Per kind: an object that sets many fields loads into the typed struct
 * with every value, .set flag, enum number, duration in ns, map key and
 * list length as written. Also API versions, kind: List, unknown kinds. */
#include <unistd.h>

#include "config/mesh.h"
#include "harness.h"

#define META "metadata:\n  name: k\n  namespace: ns1\n" \
	     "  labels: {app: web, tier: front}\n  annotations: {note: x}\n"

static struct config *cfg;

/* Loads <yaml> and returns its object of <kind> named "k", asserting it
 * loaded without errors. The config is freed by done(). */
static struct object *load(const char *yaml, enum kind kind)
{
	struct object *o;

	cfg = unit_load(yaml);
	o = unit_obj(cfg, kind, "k");
	if (!o || o->invalid || cfg->diag.n_err)
		unit_dump(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_FALSE(o->invalid);
	CU_ASSERT_EQUAL(cfg->diag.n_err, 0);
	return o;
}

static void done(void)
{
	unit_free(cfg);
	cfg = NULL;
}

static void metadata_fields(void)
{
	struct object *o = load("apiVersion: v1\nkind: Pod\n" META
				"  creationTimestamp: \"2024-01-02T03:04:05Z\"\n", K_POD);

	CU_ASSERT_STRING_EQUAL(o->kind_name, "Pod");
	CU_ASSERT_STRING_EQUAL(o->api_version, "v1");
	CU_ASSERT_STRING_EQUAL(o->meta.name, "k");
	CU_ASSERT_STRING_EQUAL(o->ns, "ns1");
	CU_ASSERT_TRUE(o->ns_given);
	CU_ASSERT_STRING_EQUAL(o->resource, "Pod ns1/k");
	CU_ASSERT_EQUAL(o->meta.labels.n, 2);
	CU_ASSERT_STRING_EQUAL(o->meta.labels.v[1].key, "tier");
	CU_ASSERT_STRING_EQUAL(kvs_get(&o->meta.labels, "app"), "web");
	CU_ASSERT_STRING_EQUAL(kvs_get(&o->meta.annotations, "note"), "x");
	CU_ASSERT_STRING_EQUAL(o->meta.creation_timestamp, "2024-01-02T03:04:05Z");
	CU_ASSERT_EQUAL(o->meta.at->line, 4);
	done();
	/* without a namespace: defaulted, and the resource says so */
	o = load("apiVersion: v1\nkind: Pod\nmetadata: {name: k}\n", K_POD);
	CU_ASSERT_FALSE(o->ns_given);
	CU_ASSERT_STRING_EQUAL(o->ns, "default");
	CU_ASSERT_STRING_EQUAL(o->resource, "Pod k");
	done();
}

static void peer_authentication(void)
{
	struct object *o = load("apiVersion: security.istio.io/v1\n"
				"kind: PeerAuthentication\n" META
				"spec:\n  selector:\n    matchLabels: {app: web}\n"
				"  mtls: {mode: STRICT}\n"
				"  portLevelMtls:\n    8080: {mode: DISABLE}\n"
				"    \"9090\": {mode: PERMISSIVE}\n",
				K_PEER_AUTHENTICATION);
	struct pa_spec *pa = obj_pa(o);

	CU_ASSERT_PTR_NOT_NULL_FATAL(pa);
	CU_ASSERT_STRING_EQUAL(kvs_get(&pa->selector.match_labels, "app"), "web");
	CU_ASSERT_TRUE(pa->mtls.mode.set);
	CU_ASSERT_EQUAL(pa->mtls.mode.v, MTLS_STRICT);
	CU_ASSERT_EQUAL(MTLS_STRICT, 3); /* the proto number */
	CU_ASSERT_EQUAL_FATAL(pa->port_level_mtls.n, 2);
	CU_ASSERT_STRING_EQUAL(pa->port_level_mtls.v[0].key, "8080");
	CU_ASSERT_EQUAL(pa->port_level_mtls.v[0].mode.v, MTLS_DISABLE);
	CU_ASSERT_STRING_EQUAL(pa->port_level_mtls.v[1].key, "9090");
	CU_ASSERT_EQUAL(pa->port_level_mtls.v[1].mode.v, MTLS_PERMISSIVE);
	/* the element's position is its key's */
	CU_ASSERT_EQUAL(pa->port_level_mtls.v[0].at->line, 13);
	CU_ASSERT_EQUAL(pa->port_level_mtls.v[0].at->col, 5);
	done();
	/* no mtls at all: absent, not "UNSET" */
	o = load("apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n"
		 META "spec: {}\n", K_PEER_AUTHENTICATION);
	CU_ASSERT_PTR_NULL(obj_pa(o)->mtls.at);
	CU_ASSERT_FALSE(obj_pa(o)->mtls.mode.set);
	CU_ASSERT_PTR_NULL(obj_pa(o)->port_level_mtls.v);
	done();
}

static void authorization_policy(void)
{
	struct object *o = load("apiVersion: security.istio.io/v1\n"
				"kind: AuthorizationPolicy\n" META
				"spec:\n  action: DENY\n"
				"  selector: {matchLabels: {app: web}}\n"
				"  rules:\n"
				"  - from:\n    - source:\n"
				"        principals: [\"cluster.local/ns/a/sa/b\"]\n"
				"        notNamespaces: [kube-system, x]\n"
				"        ipBlocks: [10.0.0.0/8]\n"
				"        remoteIpBlocks: [1.2.3.4]\n"
				"        requestPrincipals: [\"*\"]\n"
				"    to:\n    - operation:\n"
				"        methods: [GET, HEAD]\n        paths: [\"/api/*\"]\n"
				"        ports: [\"8080\"]\n        notHosts: [evil.com]\n"
				"    when:\n    - key: request.headers[x-user]\n"
				"      values: [alice]\n      notValues: [bob, eve]\n"
				"  - {}\n",
				K_AUTHORIZATION_POLICY);
	struct ap_spec *ap = obj_ap(o);
	struct ap_rule *r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ap);
	CU_ASSERT_TRUE(ap->action.set);
	CU_ASSERT_EQUAL(ap->action.v, AP_DENY);
	CU_ASSERT_EQUAL_FATAL(ap->rules.n, 2);
	r = &ap->rules.v[0];
	CU_ASSERT_EQUAL_FATAL(r->from.n, 1);
	CU_ASSERT_EQUAL(r->from.v[0].source.principals.n, 1);
	CU_ASSERT_STRING_EQUAL(r->from.v[0].source.principals.v[0], "cluster.local/ns/a/sa/b");
	CU_ASSERT_EQUAL(r->from.v[0].source.not_namespaces.n, 2);
	CU_ASSERT_STRING_EQUAL(r->from.v[0].source.not_namespaces.v[1], "x");
	CU_ASSERT_STRING_EQUAL(r->from.v[0].source.ip_blocks.v[0], "10.0.0.0/8");
	CU_ASSERT_STRING_EQUAL(r->from.v[0].source.remote_ip_blocks.v[0], "1.2.3.4");
	CU_ASSERT_STRING_EQUAL(r->from.v[0].source.request_principals.v[0], "*");
	CU_ASSERT_PTR_NULL(r->from.v[0].source.namespaces.at);
	CU_ASSERT_EQUAL_FATAL(r->to.n, 1);
	CU_ASSERT_EQUAL(r->to.v[0].operation.methods.n, 2);
	CU_ASSERT_STRING_EQUAL(r->to.v[0].operation.paths.v[0], "/api/*");
	CU_ASSERT_STRING_EQUAL(r->to.v[0].operation.ports.v[0], "8080");
	CU_ASSERT_STRING_EQUAL(r->to.v[0].operation.not_hosts.v[0], "evil.com");
	CU_ASSERT_EQUAL_FATAL(r->when.n, 1);
	CU_ASSERT_STRING_EQUAL(r->when.v[0].key, "request.headers[x-user]");
	CU_ASSERT_EQUAL(r->when.v[0].values.n, 1);
	CU_ASSERT_EQUAL(r->when.v[0].not_values.n, 2);
	/* the empty rule is there, with nothing in it */
	CU_ASSERT_PTR_NOT_NULL(ap->rules.v[1].at);
	CU_ASSERT_PTR_NULL(ap->rules.v[1].from.v);
	done();
	/* CUSTOM with a provider, targetRefs instead of a selector */
	o = load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" META
		 "spec:\n  action: CUSTOM\n  provider: {name: ext-authz}\n"
		 "  targetRefs:\n  - {kind: Service, group: \"\", name: web}\n"
		 "  rules: [{to: [{operation: {paths: [/admin]}}]}]\n",
		 K_AUTHORIZATION_POLICY);
	ap = obj_ap(o);
	CU_ASSERT_EQUAL(ap->action.v, AP_CUSTOM);
	CU_ASSERT_STRING_EQUAL(ap->provider.name, "ext-authz");
	CU_ASSERT_EQUAL_FATAL(ap->target_refs.n, 1);
	CU_ASSERT_STRING_EQUAL(ap->target_refs.v[0].kind, "Service");
	CU_ASSERT_STRING_EQUAL(ap->target_refs.v[0].group, "");
	CU_ASSERT_STRING_EQUAL(ap->target_refs.v[0].name, "web");
	done();
	/* no action: unset means ALLOW; no rules at all vs rules: [] */
	o = load("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" META
		 "spec: {rules: []}\n", K_AUTHORIZATION_POLICY);
	CU_ASSERT_FALSE(obj_ap(o)->action.set);
	CU_ASSERT_EQUAL(obj_ap(o)->action.v, AP_ALLOW);
	CU_ASSERT_PTR_NOT_NULL(obj_ap(o)->rules.v);
	CU_ASSERT_EQUAL(obj_ap(o)->rules.n, 0);
	done();
}

static void request_authentication(void)
{
	struct object *o = load("apiVersion: security.istio.io/v1\n"
				"kind: RequestAuthentication\n" META
				"spec:\n  selector: {matchLabels: {app: web}}\n"
				"  jwtRules:\n  - issuer: https://issuer\n"
				"    jwksUri: https://issuer/jwks\n  - issuer: other\n",
				K_REQUEST_AUTHENTICATION);
	struct ra_spec *ra = obj_ra(o);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ra);
	CU_ASSERT_STRING_EQUAL(kvs_get(&ra->selector.match_labels, "app"), "web");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ra->jwt_rules);
	CU_ASSERT_EQUAL(ra->jwt_rules->type, Y_SEQ);
	CU_ASSERT_EQUAL(ra->jwt_rules->n, 2);
	done();
}

static void virtual_service_http(void)
{
	struct object *o = load("apiVersion: networking.istio.io/v1\n"
				"kind: VirtualService\n" META
				"spec:\n  hosts: [web, web.ns1.svc.cluster.local]\n"
				"  gateways: [mesh]\n  exportTo: [\".\"]\n"
				"  http:\n  - name: canary\n"
				"    match:\n    - uri: {prefix: /v2}\n"
				"      headers:\n        x-user: {exact: alice}\n"
				"        x-trace: {regex: \"a.*\"}\n"
				"      port: 8080\n      ignoreUriCase: true\n"
				"      sourceLabels: {app: client}\n"
				"      queryParams: {debug: {exact: \"1\"}}\n"
				"    route:\n"
				"    - destination: {host: web, subset: v2, port: {number: 80}}\n"
				"      weight: 90\n"
				"      headers: {request: {set: {x-a: b}, remove: [x-c]}}\n"
				"    - destination: {host: web, subset: v1}\n      weight: 10\n"
				"    timeout: 1h2m3.5s\n"
				"    retries: {attempts: 3, perTryTimeout: 100ms, "
				"retryOn: \"5xx,reset\", retryRemoteLocalities: false}\n"
				"    fault:\n      delay: {fixedDelay: 2s, percentage: {value: 12.5}}\n"
				"      abort: {httpStatus: 503, percentage: {value: 1}}\n"
				"    mirror: {host: shadow}\n    mirrorPercentage: {value: 5}\n"
				"    rewrite: {uri: /, authority: other}\n"
				"    corsPolicy: {allowOrigins: [{exact: a.com}]}\n",
				K_VIRTUAL_SERVICE);
	struct vs_spec *vs = obj_vs(o);
	struct http_route *h;
	struct http_match *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(vs);
	CU_ASSERT_EQUAL(vs->hosts.n, 2);
	CU_ASSERT_STRING_EQUAL(vs->hosts.v[1], "web.ns1.svc.cluster.local");
	CU_ASSERT_STRING_EQUAL(vs->gateways.v[0], "mesh");
	CU_ASSERT_STRING_EQUAL(vs->export_to.v[0], ".");
	CU_ASSERT_PTR_NULL(vs->tcp.v);
	CU_ASSERT_EQUAL_FATAL(vs->http.n, 1);
	h = &vs->http.v[0];
	CU_ASSERT_STRING_EQUAL(h->name, "canary");
	CU_ASSERT_EQUAL_FATAL(h->match.n, 1);
	m = &h->match.v[0];
	CU_ASSERT_STRING_EQUAL(m->uri.prefix, "/v2");
	CU_ASSERT_PTR_NULL(m->uri.exact);
	CU_ASSERT_PTR_NULL(m->method.at);
	CU_ASSERT_EQUAL_FATAL(m->headers.n, 2);
	CU_ASSERT_STRING_EQUAL(m->headers.v[0].key, "x-user");
	CU_ASSERT_STRING_EQUAL(m->headers.v[0].exact, "alice");
	CU_ASSERT_STRING_EQUAL(m->headers.v[1].key, "x-trace");
	CU_ASSERT_STRING_EQUAL(m->headers.v[1].regex, "a.*");
	CU_ASSERT_TRUE(m->port.set);
	CU_ASSERT_EQUAL(m->port.v, 8080);
	CU_ASSERT_TRUE(m->ignore_uri_case.set && m->ignore_uri_case.v);
	CU_ASSERT_STRING_EQUAL(kvs_get(&m->source_labels, "app"), "client");
	CU_ASSERT_STRING_EQUAL(m->query_params.v[0].key, "debug");
	CU_ASSERT_STRING_EQUAL(m->query_params.v[0].exact, "1");
	CU_ASSERT_EQUAL_FATAL(h->route.n, 2);
	CU_ASSERT_STRING_EQUAL(h->route.v[0].destination.host, "web");
	CU_ASSERT_STRING_EQUAL(h->route.v[0].destination.subset, "v2");
	CU_ASSERT_EQUAL(h->route.v[0].destination.port.number.v, 80);
	CU_ASSERT_FALSE(h->route.v[1].destination.port.number.set);
	CU_ASSERT_EQUAL(h->route.v[0].weight.v, 90);
	CU_ASSERT_EQUAL(h->route.v[1].weight.v, 10);
	CU_ASSERT_STRING_EQUAL(kvs_get(&h->route.v[0].headers.request.set, "x-a"), "b");
	CU_ASSERT_STRING_EQUAL(h->route.v[0].headers.request.remove.v[0], "x-c");
	CU_ASSERT_TRUE(h->timeout.set);
	CU_ASSERT_EQUAL(h->timeout.ns, 3723500000000LL);
	CU_ASSERT_EQUAL(h->retries.attempts.v, 3);
	CU_ASSERT_EQUAL(h->retries.per_try_timeout.ns, 100000000LL);
	CU_ASSERT_STRING_EQUAL(h->retries.retry_on, "5xx,reset");
	CU_ASSERT_TRUE(h->retries.retry_remote_localities.set);
	CU_ASSERT_FALSE(h->retries.retry_remote_localities.v);
	CU_ASSERT_FALSE(h->retries.backoff.set);
	CU_ASSERT_EQUAL(h->fault.delay.fixed_delay.ns, 2000000000LL);
	CU_ASSERT_DOUBLE_EQUAL(h->fault.delay.percentage.value.v, 12.5, 1e-9);
	CU_ASSERT_EQUAL(h->fault.abort.http_status.v, 503);
	CU_ASSERT_STRING_EQUAL(h->mirror.host, "shadow");
	CU_ASSERT_DOUBLE_EQUAL(h->mirror_percentage.value.v, 5, 1e-9);
	CU_ASSERT_STRING_EQUAL(h->rewrite.uri, "/");
	CU_ASSERT_STRING_EQUAL(h->rewrite.authority, "other");
	CU_ASSERT_PTR_NOT_NULL(h->cors_policy);
	CU_ASSERT_PTR_NULL(h->redirect.at);
	done();
}

static void virtual_service_l4(void)
{
	struct object *o = load("apiVersion: networking.istio.io/v1beta1\n"
				"kind: VirtualService\n" META
				"spec:\n  hosts: [db.example.com]\n"
				"  tcp:\n  - match: [{port: 3306, sourceLabels: {app: a}}]\n"
				"    route:\n    - destination: {host: db, port: {number: 3306}}\n"
				"      weight: 100\n"
				"  tls:\n  - match:\n    - sniHosts: [db.example.com]\n"
				"      port: 443\n      destinationSubnets: [10.0.0.0/8]\n"
				"    route: [{destination: {host: db.example.com}}]\n"
				"  http:\n  - redirect: {uri: /new, redirectCode: 301, "
				"derivePort: FROM_REQUEST_PORT}\n"
				"  - directResponse: {status: 404, body: {string: gone}}\n",
				K_VIRTUAL_SERVICE);
	struct vs_spec *vs = obj_vs(o);

	CU_ASSERT_EQUAL_FATAL(vs->tcp.n, 1);
	CU_ASSERT_EQUAL(vs->tcp.v[0].match.v[0].port.v, 3306);
	CU_ASSERT_STRING_EQUAL(kvs_get(&vs->tcp.v[0].match.v[0].source_labels, "app"), "a");
	CU_ASSERT_EQUAL(vs->tcp.v[0].route.v[0].destination.port.number.v, 3306);
	CU_ASSERT_EQUAL(vs->tcp.v[0].route.v[0].weight.v, 100);
	CU_ASSERT_EQUAL_FATAL(vs->tls.n, 1);
	CU_ASSERT_STRING_EQUAL(vs->tls.v[0].match.v[0].sni_hosts.v[0], "db.example.com");
	CU_ASSERT_EQUAL(vs->tls.v[0].match.v[0].port.v, 443);
	CU_ASSERT_EQUAL(vs->tls.v[0].match.v[0].destination_subnets.n, 1);
	CU_ASSERT_EQUAL_FATAL(vs->http.n, 2);
	CU_ASSERT_STRING_EQUAL(vs->http.v[0].redirect.uri, "/new");
	CU_ASSERT_EQUAL(vs->http.v[0].redirect.redirect_code.v, 301);
	CU_ASSERT_TRUE(vs->http.v[0].redirect.derive_port.set);
	CU_ASSERT_EQUAL(vs->http.v[0].redirect.derive_port.v, 1);
	CU_ASSERT_EQUAL(vs->http.v[1].direct_response.status.v, 404);
	CU_ASSERT_STRING_EQUAL(vs->http.v[1].direct_response.body.string, "gone");
	done();
}

static void destination_rule(void)
{
	struct object *o = load("apiVersion: networking.istio.io/v1\n"
				"kind: DestinationRule\n" META
				"spec:\n  host: web.ns1.svc.cluster.local\n"
				"  exportTo: [\"*\"]\n"
				"  trafficPolicy:\n"
				"    loadBalancer:\n      simple: LEAST_REQUEST\n"
				"      localityLbSetting:\n        enabled: true\n"
				"        distribute:\n        - from: us-west/*\n"
				"          to: {\"us-west/*\": 80, \"us-east/*\": 20}\n"
				"      warmupDurationSecs: 30s\n"
				"    connectionPool:\n"
				"      tcp: {maxConnections: 100, connectTimeout: 30ms, "
				"tcpKeepalive: {probes: 3, time: 7200s, interval: 75s}}\n"
				"      http: {http1MaxPendingRequests: 10, http2MaxRequests: 1000, "
				"maxRequestsPerConnection: 1, maxRetries: 2, idleTimeout: 1m, "
				"h2UpgradePolicy: UPGRADE, useClientProtocol: false}\n"
				"    outlierDetection: {consecutive5xxErrors: 7, "
				"consecutiveGatewayErrors: 0, interval: 5m, baseEjectionTime: 15m, "
				"maxEjectionPercent: 50, minHealthPercent: 10}\n"
				"    tls: {mode: ISTIO_MUTUAL, sni: web, subjectAltNames: [a, b]}\n"
				"    portLevelSettings:\n    - port: {number: 8443}\n"
				"      tls: {mode: SIMPLE}\n"
				"      loadBalancer: {consistentHash: {httpCookie: "
				"{name: user, ttl: 0s}}}\n"
				"  subsets:\n  - name: v1\n    labels: {version: v1}\n"
				"  - name: v2\n    labels: {version: v2, track: canary}\n"
				"    trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n",
				K_DESTINATION_RULE);
	struct dr_spec *dr = obj_dr(o);
	struct traffic_policy *tp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dr);
	CU_ASSERT_STRING_EQUAL(dr->host, "web.ns1.svc.cluster.local");
	CU_ASSERT_STRING_EQUAL(dr->export_to.v[0], "*");
	tp = &dr->traffic_policy;
	CU_ASSERT_EQUAL(tp->load_balancer.simple.v, LB_LEAST_REQUEST);
	CU_ASSERT_EQUAL(LB_LEAST_REQUEST, 5);
	CU_ASSERT_TRUE(tp->load_balancer.locality_lb_setting.enabled.v);
	CU_ASSERT_EQUAL_FATAL(tp->load_balancer.locality_lb_setting.distribute.n, 1);
	CU_ASSERT_EQUAL_FATAL(tp->load_balancer.locality_lb_setting.distribute.v[0].to.n, 2);
	CU_ASSERT_STRING_EQUAL(tp->load_balancer.locality_lb_setting.distribute.v[0].to.v[1].key,
			       "us-east/*");
	CU_ASSERT_EQUAL(tp->load_balancer.locality_lb_setting.distribute.v[0].to.v[1].weight.v, 20);
	CU_ASSERT_PTR_NULL(tp->load_balancer.locality_lb_setting.failover.v);
	CU_ASSERT_EQUAL(tp->load_balancer.warmup_duration_secs.ns, 30000000000LL);
	CU_ASSERT_EQUAL(tp->connection_pool.tcp.max_connections.v, 100);
	CU_ASSERT_EQUAL(tp->connection_pool.tcp.connect_timeout.ns, 30000000LL);
	CU_ASSERT_EQUAL(tp->connection_pool.tcp.tcp_keepalive.probes.v, 3);
	CU_ASSERT_EQUAL(tp->connection_pool.tcp.tcp_keepalive.time.ns, 7200000000000LL);
	CU_ASSERT_EQUAL(tp->connection_pool.http.http1_max_pending_requests.v, 10);
	CU_ASSERT_EQUAL(tp->connection_pool.http.http2_max_requests.v, 1000);
	CU_ASSERT_EQUAL(tp->connection_pool.http.max_requests_per_connection.v, 1);
	CU_ASSERT_EQUAL(tp->connection_pool.http.max_retries.v, 2);
	CU_ASSERT_EQUAL(tp->connection_pool.http.idle_timeout.ns, 60000000000LL);
	CU_ASSERT_EQUAL(tp->connection_pool.http.h2_upgrade_policy.v, H2_UPGRADE);
	CU_ASSERT_TRUE(tp->connection_pool.http.use_client_protocol.set);
	CU_ASSERT_FALSE(tp->connection_pool.http.use_client_protocol.v);
	CU_ASSERT_EQUAL(tp->outlier_detection.consecutive_5xx_errors.v, 7);
	/* 0 written is set, unlike a field left out */
	CU_ASSERT_TRUE(tp->outlier_detection.consecutive_gateway_errors.set);
	CU_ASSERT_EQUAL(tp->outlier_detection.consecutive_gateway_errors.v, 0);
	CU_ASSERT_FALSE(tp->outlier_detection.consecutive_local_origin_failures.set);
	CU_ASSERT_EQUAL(tp->outlier_detection.interval.ns, 300000000000LL);
	CU_ASSERT_EQUAL(tp->outlier_detection.base_ejection_time.ns, 900000000000LL);
	CU_ASSERT_EQUAL(tp->outlier_detection.max_ejection_percent.v, 50);
	CU_ASSERT_EQUAL(tp->tls.mode.v, TLS_ISTIO_MUTUAL);
	CU_ASSERT_STRING_EQUAL(tp->tls.sni, "web");
	CU_ASSERT_EQUAL(tp->tls.subject_alt_names.n, 2);
	CU_ASSERT_EQUAL_FATAL(tp->port_level_settings.n, 1);
	CU_ASSERT_EQUAL(tp->port_level_settings.v[0].port.number.v, 8443);
	CU_ASSERT_EQUAL(tp->port_level_settings.v[0].tls.mode.v, TLS_SIMPLE);
	CU_ASSERT_STRING_EQUAL(tp->port_level_settings.v[0].load_balancer
			       .consistent_hash.http_cookie.name, "user");
	CU_ASSERT_TRUE(tp->port_level_settings.v[0].load_balancer
		       .consistent_hash.http_cookie.ttl.set);
	CU_ASSERT_EQUAL(tp->port_level_settings.v[0].load_balancer
			.consistent_hash.http_cookie.ttl.ns, 0);
	CU_ASSERT_EQUAL_FATAL(dr->subsets.n, 2);
	CU_ASSERT_STRING_EQUAL(dr->subsets.v[1].name, "v2");
	CU_ASSERT_EQUAL(dr->subsets.v[1].labels.n, 2);
	CU_ASSERT_STRING_EQUAL(kvs_get(&dr->subsets.v[1].labels, "track"), "canary");
	CU_ASSERT_PTR_NULL(dr->subsets.v[0].traffic_policy.at);
	CU_ASSERT_EQUAL(dr->subsets.v[1].traffic_policy.load_balancer.simple.v,
			LB_ROUND_ROBIN);
	done();
}

static void service_entry(void)
{
	struct object *o = load("apiVersion: networking.istio.io/v1\n"
				"kind: ServiceEntry\n" META
				"spec:\n  hosts: [api.example.com]\n"
				"  addresses: [192.0.2.0/24]\n"
				"  ports:\n  - {number: 443, name: https, protocol: TLS}\n"
				"  - {number: 80, name: http, protocol: HTTP, targetPort: 8080}\n"
				"  location: MESH_INTERNAL\n  resolution: STATIC\n"
				"  endpoints:\n  - address: 192.0.2.1\n"
				"    ports: {https: 8443, http: 8081}\n"
				"    labels: {app: api}\n    network: n1\n"
				"    locality: us/west\n    weight: 3\n"
				"  - address: 192.0.2.2\n"
				"  exportTo: [ns1]\n  subjectAltNames: [\"spiffe://x\"]\n",
				K_SERVICE_ENTRY);
	struct se_spec *se = obj_se(o);

	CU_ASSERT_PTR_NOT_NULL_FATAL(se);
	CU_ASSERT_STRING_EQUAL(se->hosts.v[0], "api.example.com");
	CU_ASSERT_STRING_EQUAL(se->addresses.v[0], "192.0.2.0/24");
	CU_ASSERT_EQUAL_FATAL(se->ports.n, 2);
	CU_ASSERT_EQUAL(se->ports.v[0].number.v, 443);
	CU_ASSERT_STRING_EQUAL(se->ports.v[0].protocol, "TLS");
	CU_ASSERT_FALSE(se->ports.v[0].target_port.set);
	CU_ASSERT_EQUAL(se->ports.v[1].target_port.v, 8080);
	CU_ASSERT_TRUE(se->location.set);
	CU_ASSERT_EQUAL(se->location.v, SE_MESH_INTERNAL);
	CU_ASSERT_EQUAL(se->resolution.v, RES_STATIC);
	CU_ASSERT_EQUAL_FATAL(se->endpoints.n, 2);
	CU_ASSERT_STRING_EQUAL(se->endpoints.v[0].address, "192.0.2.1");
	CU_ASSERT_EQUAL_FATAL(se->endpoints.v[0].ports.n, 2);
	CU_ASSERT_STRING_EQUAL(se->endpoints.v[0].ports.v[1].key, "http");
	CU_ASSERT_EQUAL(se->endpoints.v[0].ports.v[1].number.v, 8081);
	CU_ASSERT_STRING_EQUAL(kvs_get(&se->endpoints.v[0].labels, "app"), "api");
	CU_ASSERT_STRING_EQUAL(se->endpoints.v[0].network, "n1");
	CU_ASSERT_STRING_EQUAL(se->endpoints.v[0].locality, "us/west");
	CU_ASSERT_EQUAL(se->endpoints.v[0].weight.v, 3);
	CU_ASSERT_PTR_NULL(se->endpoints.v[1].ports.v);
	CU_ASSERT_STRING_EQUAL(se->export_to.v[0], "ns1");
	CU_ASSERT_STRING_EQUAL(se->subject_alt_names.v[0], "spiffe://x");
	CU_ASSERT_PTR_NULL(se->workload_selector.at);
	done();
	/* resolution left out is NONE, but not set */
	o = load("apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\n" META
		 "spec:\n  hosts: [a.internal]\n  ports: [{number: 80, name: http}]\n"
		 "  workloadSelector: {labels: {app: vm}}\n", K_SERVICE_ENTRY);
	CU_ASSERT_FALSE(obj_se(o)->resolution.set);
	CU_ASSERT_EQUAL(obj_se(o)->resolution.v, RES_NONE);
	CU_ASSERT_STRING_EQUAL(kvs_get(&obj_se(o)->workload_selector.labels, "app"), "vm");
	done();
}

static void workload_entry(void)
{
	struct object *o = load("apiVersion: networking.istio.io/v1\n"
				"kind: WorkloadEntry\n" META
				"spec:\n  address: 10.1.2.3\n  ports: {http: 8080}\n"
				"  labels: {app: vm, version: v1}\n  network: vpc1\n"
				"  locality: eu/a/1\n  weight: 5\n  serviceAccount: vm-sa\n",
				K_WORKLOAD_ENTRY);
	struct we_spec *we = obj_we(o);

	CU_ASSERT_PTR_NOT_NULL_FATAL(we);
	CU_ASSERT_STRING_EQUAL(we->address, "10.1.2.3");
	CU_ASSERT_EQUAL_FATAL(we->ports.n, 1);
	CU_ASSERT_STRING_EQUAL(we->ports.v[0].key, "http");
	CU_ASSERT_EQUAL(we->ports.v[0].number.v, 8080);
	CU_ASSERT_EQUAL(we->labels.n, 2);
	CU_ASSERT_STRING_EQUAL(we->network, "vpc1");
	CU_ASSERT_STRING_EQUAL(we->locality, "eu/a/1");
	CU_ASSERT_EQUAL(we->weight.v, 5);
	CU_ASSERT_STRING_EQUAL(we->service_account, "vm-sa");
	done();
}

static void telemetry(void)
{
	struct object *o = load("apiVersion: telemetry.istio.io/v1\n"
				"kind: Telemetry\n" META
				"spec:\n  selector: {matchLabels: {app: web}}\n"
				"  tracing:\n  - match: {mode: SERVER}\n"
				"    providers: [{name: zipkin}]\n"
				"    randomSamplingPercentage: 12.5\n"
				"    disableSpanReporting: true\n"
				"    customTags: {env: {literal: {value: prod}}}\n"
				"  metrics:\n  - providers: []\n"
				"    reportingInterval: 15s\n"
				"    overrides:\n    - match: {metric: REQUEST_COUNT, mode: CLIENT}\n"
				"      disabled: false\n"
				"      tagOverrides:\n        request_host: {operation: REMOVE}\n"
				"        dest: {value: upstream_peer.name}\n"
				"  accessLogging:\n  - providers: [{name: envoy}]\n"
				"    disabled: true\n"
				"    filter: {expression: \"response.code >= 400\"}\n",
				K_TELEMETRY);
	struct telemetry_spec *t = obj_tel(o);
	struct metrics_override *ov;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(t->tracing.n, 1);
	CU_ASSERT_EQUAL(t->tracing.v[0].match.mode.v, WM_SERVER);
	CU_ASSERT_STRING_EQUAL(t->tracing.v[0].providers.v[0].name, "zipkin");
	CU_ASSERT_DOUBLE_EQUAL(t->tracing.v[0].random_sampling_percentage.v, 12.5, 1e-9);
	CU_ASSERT_TRUE(t->tracing.v[0].disable_span_reporting.v);
	CU_ASSERT_PTR_NOT_NULL(t->tracing.v[0].custom_tags);
	CU_ASSERT_EQUAL_FATAL(t->metrics.n, 1);
	/* providers: [] is written (v != NULL) and empty */
	CU_ASSERT_PTR_NOT_NULL(t->metrics.v[0].providers.v);
	CU_ASSERT_EQUAL(t->metrics.v[0].providers.n, 0);
	CU_ASSERT_EQUAL(t->metrics.v[0].reporting_interval.ns, 15000000000LL);
	ov = &t->metrics.v[0].overrides.v[0];
	CU_ASSERT_EQUAL(ov->match.metric.v, MET_REQUEST_COUNT);
	CU_ASSERT_EQUAL(ov->match.mode.v, WM_CLIENT);
	CU_ASSERT_TRUE(ov->disabled.set);
	CU_ASSERT_FALSE(ov->disabled.v);
	CU_ASSERT_EQUAL_FATAL(ov->tag_overrides.n, 2);
	CU_ASSERT_STRING_EQUAL(ov->tag_overrides.v[0].key, "request_host");
	CU_ASSERT_EQUAL(ov->tag_overrides.v[0].operation.v, TAG_REMOVE);
	CU_ASSERT_FALSE(ov->tag_overrides.v[1].operation.set);
	CU_ASSERT_STRING_EQUAL(ov->tag_overrides.v[1].value, "upstream_peer.name");
	CU_ASSERT_EQUAL_FATAL(t->access_logging.n, 1);
	CU_ASSERT_TRUE(t->access_logging.v[0].disabled.v);
	CU_ASSERT_STRING_EQUAL(t->access_logging.v[0].filter.expression,
			       "response.code >= 400");
	done();
}

static void kube_service_and_pod(void)
{
	struct object *o = load("apiVersion: v1\nkind: Service\n" META
				"spec:\n  type: ClusterIP\n  clusterIP: 10.96.0.10\n"
				"  clusterIPs: [10.96.0.10, \"fd00::a\"]\n"
				"  selector: {app: web}\n"
				"  sessionAffinity: None\n" /* not read, not warned */
				"  ports:\n  - {name: http, port: 80, targetPort: 8080, "
				"protocol: TCP, appProtocol: http}\n"
				"  - {name: grpc, port: 9090, targetPort: grpc-port}\n",
				K_SERVICE);
	struct k8s_service_spec *s = obj_svc(o);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s->type, "ClusterIP");
	CU_ASSERT_STRING_EQUAL(s->cluster_ip, "10.96.0.10");
	CU_ASSERT_EQUAL(s->cluster_ips.n, 2);
	CU_ASSERT_STRING_EQUAL(kvs_get(&s->selector, "app"), "web");
	CU_ASSERT_EQUAL_FATAL(s->ports.n, 2);
	CU_ASSERT_EQUAL(s->ports.v[0].port.v, 80);
	CU_ASSERT_STRING_EQUAL(s->ports.v[0].target_port, "8080");
	CU_ASSERT_STRING_EQUAL(s->ports.v[0].app_protocol, "http");
	CU_ASSERT_STRING_EQUAL(s->ports.v[1].target_port, "grpc-port");
	CU_ASSERT_PTR_NULL(s->ports.v[1].protocol);
	CU_ASSERT_EQUAL(unit_count_code(cfg, "IM0101"), 0);
	done();
	o = load("apiVersion: v1\nkind: Pod\n" META
		 "spec:\n  serviceAccountName: web-sa\n  nodeName: node-1\n"
		 "  containers: [{name: app, image: x}]\n"
		 "status: {podIP: 10.0.0.5}\n", K_POD);
	CU_ASSERT_STRING_EQUAL(obj_pod(o)->service_account_name, "web-sa");
	CU_ASSERT_STRING_EQUAL(obj_pod(o)->node_name, "node-1");
	CU_ASSERT_PTR_NOT_NULL(o->status);
	done();
}

#define MESH_BODY "rootNamespace: mesh-root\ntrustDomain: example.org\n" \
	"outboundTrafficPolicy: {mode: REGISTRY_ONLY}\nenableAutoMtls: false\n" \
	"connectTimeout: 2.5s\naccessLogFile: /dev/stdout\n" \
	"defaultConfig:\n  holdApplicationUntilProxyStarts: true\n" \
	"  proxyMetadata: {ISTIO_META_DNS_AUTO_ALLOCATE: \"true\"}\n" \
	"extensionProviders:\n- name: zipkin\n  zipkin: {service: z.svc, port: 9411}\n" \
	"- name: otel\n  opentelemetry: {service: o.svc, port: 4317}\n" \
	"defaultProviders: {tracing: [zipkin], metrics: [prometheus]}\n"

static void check_mesh(const struct config *c)
{
	const struct mesh_config *m = &c->mesh;

	CU_ASSERT_STRING_EQUAL(m->root_namespace, "mesh-root");
	CU_ASSERT_STRING_EQUAL(c->root_ns, "mesh-root");
	CU_ASSERT_STRING_EQUAL(m->trust_domain, "example.org");
	CU_ASSERT_TRUE(m->outbound_traffic_policy.mode.set);
	CU_ASSERT_EQUAL(m->outbound_traffic_policy.mode.v, OUT_REGISTRY_ONLY);
	CU_ASSERT_TRUE(m->enable_auto_mtls.set);
	CU_ASSERT_FALSE(m->enable_auto_mtls.v);
	CU_ASSERT_EQUAL(m->connect_timeout.ns, 2500000000LL);
	CU_ASSERT_STRING_EQUAL(m->access_log_file, "/dev/stdout");
	CU_ASSERT_TRUE(m->default_config.hold_application_until_proxy_starts.v);
	CU_ASSERT_TRUE(mesh_auto_allocate(c));
	CU_ASSERT_EQUAL_FATAL(m->extension_providers.n, 2);
	CU_ASSERT_STRING_EQUAL(m->extension_providers.v[0].zipkin.service, "z.svc");
	CU_ASSERT_EQUAL(m->extension_providers.v[0].zipkin.port.v, 9411);
	CU_ASSERT_PTR_NOT_NULL(m->extension_providers.v[1].opentelemetry);
	CU_ASSERT_PTR_NOT_NULL(mesh_provider(c, "otel"));
	CU_ASSERT_PTR_NULL(mesh_provider(c, "nope"));
	CU_ASSERT_STRING_EQUAL(m->default_providers.tracing.v[0], "zipkin");
	CU_ASSERT_EQUAL(m->default_providers.metrics.n, 1);
}

/* "  " before every line of <body>, for embedding in a YAML block. */
static char *indent(const char *body, const char *pad)
{
	char *out = malloc(strlen(body) * 2 + 64), *p = out;
	const char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	for (s = body; *s; s++) {
		if (s == body || s[-1] == '\n')
			p += sprintf(p, "%s", pad);
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

static void mesh_config_forms(void)
{
	char *body = indent(MESH_BODY, "    "), *text;
	const char *dir = "/tmp";
	char path[256];
	FILE *f;
	struct config c;

	/* ConfigMap istio in data.mesh */
	text = malloc(strlen(body) + 256);
	sprintf(text, "apiVersion: v1\nkind: ConfigMap\n"
		"metadata: {name: istio, namespace: istio-system}\n"
		"data:\n  mesh: |\n%s", body);
	cfg = unit_load(text);
	CU_ASSERT_EQUAL(cfg->diag.n_err, 0);
	check_mesh(cfg);
	CU_ASSERT_PTR_NOT_NULL(cfg->mesh_obj);
	CU_ASSERT_PTR_NOT_NULL(unit_obj(cfg, K_MESH_CONFIG, "istio"));
	done();
	/* IstioOperator spec.meshConfig */
	sprintf(text, "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n"
		"metadata: {name: k, namespace: istio-system}\n"
		"spec:\n  profile: default\n  meshConfig:\n%s", body);
	cfg = unit_load(text);
	CU_ASSERT_EQUAL(cfg->diag.n_err, 0);
	check_mesh(cfg);
	CU_ASSERT_PTR_NOT_NULL(obj_mesh(unit_obj(cfg, K_MESH_CONFIG, "k")));
	done();
	/* a bare mesh config file (--mesh-config) */
	snprintf(path, sizeof(path), "%s/im-mesh-XXXXXX", dir);
	f = fdopen(mkstemp(path), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(MESH_BODY, f);
	fclose(f);
	config_init(&c);
	CU_ASSERT_EQUAL(config_load_mesh_file(&c, path), 0);
	CU_ASSERT_EQUAL(c.diag.n_err, 0);
	check_mesh(&c);
	CU_ASSERT_PTR_NULL(c.mesh_obj);
	config_free(&c);
	unlink(path);
	free(text);
	free(body);
	/* no mesh config: Istio's defaults */
	cfg = unit_load("apiVersion: v1\nkind: Pod\nmetadata: {name: k}\n");
	CU_ASSERT_STRING_EQUAL(cfg->root_ns, "istio-system");
	CU_ASSERT_STRING_EQUAL(cfg->mesh.trust_domain, "cluster.local");
	CU_ASSERT_FALSE(cfg->mesh.outbound_traffic_policy.mode.set);
	CU_ASSERT_EQUAL(cfg->mesh.outbound_traffic_policy.mode.v, OUT_ALLOW_ANY);
	CU_ASSERT_TRUE(cfg->mesh.enable_auto_mtls.v);
	done();
	/* a ConfigMap with another name is just a ConfigMap */
	cfg = unit_load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n"
			"data:\n  mesh: |\n    rootNamespace: nope\n");
	CU_ASSERT_STRING_EQUAL(cfg->root_ns, "istio-system");
	CU_ASSERT_EQUAL(unit_obj(cfg, K_OTHER, "other")->kind, K_OTHER);
	done();
}

static void every_api_version(void)
{
	static const struct { const char *av, *kind, *spec; enum kind k; } v[] = {
		{ "networking.istio.io/v1alpha3", "VirtualService", "{hosts: [a], http: [{route: [{destination: {host: a}}]}]}", K_VIRTUAL_SERVICE },
		{ "networking.istio.io/v1beta1", "VirtualService", "{hosts: [a], http: [{route: [{destination: {host: a}}]}]}", K_VIRTUAL_SERVICE },
		{ "networking.istio.io/v1", "VirtualService", "{hosts: [a], http: [{route: [{destination: {host: a}}]}]}", K_VIRTUAL_SERVICE },
		{ "networking.istio.io/v1alpha3", "DestinationRule", "{host: a}", K_DESTINATION_RULE },
		{ "networking.istio.io/v1beta1", "DestinationRule", "{host: a}", K_DESTINATION_RULE },
		{ "networking.istio.io/v1", "DestinationRule", "{host: a}", K_DESTINATION_RULE },
		{ "networking.istio.io/v1alpha3", "ServiceEntry", "{hosts: [a.b], ports: [{number: 80, name: h}]}", K_SERVICE_ENTRY },
		{ "networking.istio.io/v1beta1", "ServiceEntry", "{hosts: [a.b], ports: [{number: 80, name: h}]}", K_SERVICE_ENTRY },
		{ "networking.istio.io/v1", "ServiceEntry", "{hosts: [a.b], ports: [{number: 80, name: h}]}", K_SERVICE_ENTRY },
		{ "networking.istio.io/v1alpha3", "WorkloadEntry", "{address: 1.2.3.4}", K_WORKLOAD_ENTRY },
		{ "networking.istio.io/v1beta1", "WorkloadEntry", "{address: 1.2.3.4}", K_WORKLOAD_ENTRY },
		{ "networking.istio.io/v1", "WorkloadEntry", "{address: 1.2.3.4}", K_WORKLOAD_ENTRY },
		{ "security.istio.io/v1beta1", "PeerAuthentication", "{}", K_PEER_AUTHENTICATION },
		{ "security.istio.io/v1", "PeerAuthentication", "{}", K_PEER_AUTHENTICATION },
		{ "security.istio.io/v1beta1", "AuthorizationPolicy", "{}", K_AUTHORIZATION_POLICY },
		{ "security.istio.io/v1", "AuthorizationPolicy", "{}", K_AUTHORIZATION_POLICY },
		{ "security.istio.io/v1beta1", "RequestAuthentication", "{}", K_REQUEST_AUTHENTICATION },
		{ "security.istio.io/v1", "RequestAuthentication", "{}", K_REQUEST_AUTHENTICATION },
		{ "telemetry.istio.io/v1alpha1", "Telemetry", "{}", K_TELEMETRY },
		{ "telemetry.istio.io/v1", "Telemetry", "{}", K_TELEMETRY },
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct object *o;

		snprintf(text, sizeof(text), "apiVersion: %s\nkind: %s\n"
			 "metadata: {name: k, namespace: n}\nspec: %s\n",
			 v[i].av, v[i].kind, v[i].spec);
		o = load(text, v[i].k);
		CU_ASSERT_STRING_EQUAL(o->api_version, v[i].av);
		CU_ASSERT_PTR_NOT_NULL(o->spec);
		done();
	}
}

static void kind_list(void)
{
	cfg = unit_load("apiVersion: v1\nkind: List\nmetadata: {}\nitems:\n"
			"- apiVersion: v1\n  kind: Service\n"
			"  metadata: {name: s1, namespace: n}\n"
			"  spec: {ports: [{port: 80}]}\n"
			"- apiVersion: networking.istio.io/v1\n  kind: DestinationRule\n"
			"  metadata: {name: d1, namespace: n}\n  spec: {host: s1}\n"
			"- apiVersion: v1\n  kind: List\n  items:\n"
			"  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p1}\n");
	CU_ASSERT_EQUAL(cfg->n, 3);
	CU_ASSERT_PTR_NOT_NULL(unit_obj(cfg, K_SERVICE, "s1"));
	CU_ASSERT_PTR_NOT_NULL(unit_obj(cfg, K_DESTINATION_RULE, "d1"));
	CU_ASSERT_PTR_NOT_NULL(unit_obj(cfg, K_POD, "p1"));
	/* positions stay those of the items in the file */
	CU_ASSERT_EQUAL(unit_obj(cfg, K_DESTINATION_RULE, "d1")->doc->line, 9);
	CU_ASSERT_EQUAL(cfg->diag.n_err, 0);
	done();
}

static void unknown_version_kind_name(void)
{
	const struct finding *f;

	cfg = unit_load("apiVersion: networking.istio.io/v2\nkind: VirtualService\n"
			"metadata: {name: k, namespace: n}\nspec: {hosts: [a]}\n");
	f = unit_find_code(cfg, "IM0104");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->sev, SEV_ERROR);
	CU_ASSERT_EQUAL(f->line, 1);
	CU_ASSERT_EQUAL(f->col, 13);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "\"v2\""));
	CU_ASSERT_TRUE(unit_obj(cfg, K_VIRTUAL_SERVICE, "k")->invalid);
	done();
	/* telemetry has no v1beta1 */
	cfg = unit_load("apiVersion: telemetry.istio.io/v1beta1\nkind: Telemetry\n"
			"metadata: {name: k, namespace: n}\n");
	CU_ASSERT_EQUAL(unit_count_code(cfg, "IM0104"), 1);
	done();
	/* a kind infermesh does not read: info, and the object is kept */
	cfg = unit_load("apiVersion: networking.istio.io/v1\nkind: Gateway\n"
			"metadata: {name: k, namespace: n}\nspec: {servers: []}\n"
			"---\napiVersion: apps/v1\nkind: Deployment\n"
			"metadata: {name: k, namespace: n}\n");
	CU_ASSERT_EQUAL(unit_count_code(cfg, "IM0102"), 2);
	f = unit_find_code(cfg, "IM0102");
	CU_ASSERT_EQUAL(f->sev, SEV_INFO);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->msg, "Gateway.networking.istio.io"));
	CU_ASSERT_EQUAL(cfg->n, 2);
	CU_ASSERT_EQUAL(cfg->objs[0]->kind, K_OTHER);
	CU_ASSERT_EQUAL(cfg->diag.n_err, 0);
	done();
	/* no metadata.name */
	cfg = unit_load("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
			"metadata: {namespace: n}\nspec: {}\n"
			"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: \"\"\n"
			"---\napiVersion: v1\nkind: Pod\n");
	CU_ASSERT_EQUAL(unit_count_code(cfg, "IM0103"), 3);
	f = unit_find_code(cfg, "IM0103");
	CU_ASSERT_EQUAL(f->line, 3);
	CU_ASSERT_STRING_EQUAL(f->path, "metadata.name");
	CU_ASSERT_TRUE(cfg->objs[0]->invalid);
	done();
	/* generateName stands in for a name */
	cfg = unit_load("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n");
	CU_ASSERT_EQUAL(unit_count_code(cfg, "IM0103"), 0);
	done();
}

UNIT_SUITE(kinds)
{
	UNIT_TEST(s, metadata_fields);
	UNIT_TEST(s, peer_authentication);
	UNIT_TEST(s, authorization_policy);
	UNIT_TEST(s, request_authentication);
	UNIT_TEST(s, virtual_service_http);
	UNIT_TEST(s, virtual_service_l4);
	UNIT_TEST(s, destination_rule);
	UNIT_TEST(s, service_entry);
	UNIT_TEST(s, workload_entry);
	UNIT_TEST(s, telemetry);
	UNIT_TEST(s, kube_service_and_pod);
	UNIT_TEST(s, mesh_config_forms);
	UNIT_TEST(s, every_api_version);
	UNIT_TEST(s, kind_list);
	UNIT_TEST(s, unknown_version_kind_name);
}
