// SPDX-License-Identifier: Apache-2.0
/*
 * AuthorizationPolicy per HTTP request (user/authz/l7*.c): examples/mesh
 * as written (model-server-access names methods and paths), plus policies
 * written here, judged on requests as the HTTP filter hands them over:
 * normalized path, method, host, headers, over a tunnel with a verified
 * peer (or plaintext).
 */
#include <arpa/inet.h>
#include <pthread.h>

#include "authz/l7.h"
#include "compile/compile.h"
#include "harness.h"
#include "model/model.h"

#define MESH "examples/mesh"
#define MS "10.10.1.14"		/* model-server-v1-a, node-a */
#define RET "10.10.1.12"	/* vector-retriever-a, node-a */
#define GW "10.10.1.10"		/* api-gateway, node-a */

/* An extra policy on the model-server pods. */
#define AP(name, action, rules) \
	"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: " name ", namespace: ai-inference}\n" \
	"spec:\n  selector: {matchLabels: {app: model-server}}\n" \
	"  action: " action "\n  rules:\n" rules

#define MESHCONFIG(norm) \
	"---\napiVersion: v1\nkind: ConfigMap\n" \
	"metadata: {name: istio, namespace: istio-system}\n" \
	"data:\n  mesh: |-\n    pathNormalization:\n" \
	"      normalization: " norm "\n"

struct fix {
	struct config *c;
	struct model m;
	struct l7_gen *g;
};

/* examples/mesh (when <mesh>) and <yaml>, for node-a. */
static void build(struct fix *f, bool mesh, const char *yaml)
{
	memset(f, 0, sizeof(*f));
	f->c = calloc(1, sizeof(*f->c));
	config_init(f->c);
	if (mesh)
		CU_ASSERT_EQUAL(config_load_path(f->c, MESH), 0);
	if (yaml)
		CU_ASSERT_EQUAL(config_load_buffer(f->c, "test.yaml", yaml,
						   strlen(yaml)), 0);
	config_validate(f->c);
	model_build(&f->m, f->c);
	f->g = l7_gen_new(&f->m, "node-a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->g);
}

static void done(struct fix *f)
{
	l7_gen_put(f->g);
	model_free(&f->m);
	unit_free(f->c);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* A request: who (<sa> of ai-inference, NULL: plaintext) from <src>. */
struct call {
	const char *sa, *src, *wl;
	uint16_t port;
	const char *method, *path, *host;
	const struct l7_hdr *hdrs;
	size_t nhdrs;
	const char *ns;		/* the peer's namespace; NULL: ai-inference */
};

/* <c->path> is normalized first, as the filter does; a path refused
 * there is a test failure. */
static struct l7_verdict judge(const struct fix *f, struct call c)
{
	char path[512];
	struct authz_req a = {
		.wl_ip = ip4(c.wl ? c.wl : MS),
		.src_ip = ip4(c.src ? c.src : GW),
		.dst_ip = ip4(c.wl ? c.wl : MS),
		.dst_port = c.port ? c.port : 8080,
		.peer = { .authenticated = c.sa != NULL,
			  .td = "cluster.local",
			  .ns = c.ns ? c.ns : "ai-inference", .sa = c.sa },
	};
	int n = l7_normalize(f->g, c.path, strlen(c.path), path, sizeof(path));
	struct l7_req r = {
		.method = c.method, .method_len = strlen(c.method),
		.path = path, .path_len = n > 0 ? (size_t)n : 0,
		.host = c.host, .host_len = c.host ? strlen(c.host) : 0,
		.hdrs = c.hdrs, .nhdrs = c.nhdrs,
	};
	struct l7_verdict v;

	CU_ASSERT_TRUE(n > 0);
	l7_eval(f->g, &a, &r, &v);
	return v;
}

#define ALLOWED(v, why) do { struct l7_verdict v_ = (v); \
	CU_ASSERT_TRUE(v_.allow); CU_ASSERT_EQUAL(v_.reason, why); } while (0)
#define DENIED(v, why) do { struct l7_verdict v_ = (v); \
	CU_ASSERT_FALSE(v_.allow); CU_ASSERT_EQUAL(v_.reason, why); } while (0)

#define POST(sa_, path_) judge(&f, (struct call){ .sa = sa_, \
	.method = "POST", .path = path_ })

/* ---- examples/mesh as written ---- */

static void seed_model_server_access(void)
{
	struct fix f;
	struct l7_verdict v;

	build(&f, true, NULL);
	v = POST("api-gateway", "/v1/predict");
	ALLOWED(v, AUTHZ_ALLOW_RULE);
	CU_ASSERT_STRING_EQUAL(v.rule, "ai-inference/model-server-access[0]");
	ALLOWED(POST("orchestrator", "/v1/predict"), AUTHZ_ALLOW_RULE);
	ALLOWED(POST("orchestrator", "/v1/embeddings"), AUTHZ_ALLOW_RULE);
	/* the method is part of the rule */
	v = judge(&f, (struct call){ .sa = "api-gateway", .method = "GET",
				     .path = "/v1/predict" });
	DENIED(v, AUTHZ_DENY_NO_ALLOW_MATCH);
	CU_ASSERT_STRING_EQUAL(v.rule, "");
	/* other principals, and plaintext */
	DENIED(POST("vector-retriever", "/v1/predict"),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(POST(NULL, "/v1/predict"), AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(judge(&f, (struct call){ .sa = "api-gateway", .ns = "tenant-a",
					.method = "POST",
					.path = "/v1/predict" }),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	/* paths are exact and case-sensitive; the query is not the path */
	DENIED(POST("api-gateway", "/v1/predictx"), AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(POST("api-gateway", "/V1/predict"), AUTHZ_DENY_NO_ALLOW_MATCH);
	ALLOWED(POST("api-gateway", "/v1/predict?model=a&x=/admin"),
		AUTHZ_ALLOW_RULE);
	/* gRPC on 8081: the prefix rule */
	ALLOWED(judge(&f, (struct call){ .sa = "orchestrator", .port = 8081,
					 .method = "POST", .path =
					 "/inference.GRPCInferenceService/ModelInfer" }),
		AUTHZ_ALLOW_RULE);
	/* rule [1]: anyone on 9090, plaintext too */
	v = judge(&f, (struct call){ .port = 9090, .method = "GET",
				     .path = "/metrics" });
	ALLOWED(v, AUTHZ_ALLOW_RULE);
	CU_ASSERT_STRING_EQUAL(v.rule, "ai-inference/model-server-access[1]");
	done(&f);
}

static void path_templates(void)
{
	struct fix f;

	build(&f, true, NULL);
	ALLOWED(POST("api-gateway", "/v2/models/llama/infer"), AUTHZ_ALLOW_RULE);
	ALLOWED(POST("api-gateway", "/v2/models/llama-3.1_8b~x/infer"),
		AUTHZ_ALLOW_RULE);
	DENIED(POST("api-gateway", "/v2/models/a/b/infer"),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(POST("api-gateway", "/v2/models//infer"),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(POST("api-gateway", "/v2/models/llama/infer/x"),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
	/* {**}: the rest of the path, '/' included */
	build(&f, true, AP("rest", "ALLOW",
		"  - to:\n    - operation: {paths: [\"/files/{**}\", "
		"\"/u/{*}/x/{**}\"]}\n"));
	ALLOWED(POST("batch", "/files/a/b/c.txt"), AUTHZ_ALLOW_RULE);
	ALLOWED(POST("batch", "/u/bob/x/1/2"), AUTHZ_ALLOW_RULE);
	DENIED(POST("batch", "/u/bob/y/1"), AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(POST("batch", "/filesx/a"), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

static void l7_ports_of_the_seed(void)
{
	struct fix f;

	build(&f, true, NULL);
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(MS), 8080), L7_HTTP);
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(MS), 8081), L7_HTTP2);
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(MS), 9090), L7_NONE);
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(MS), 1234), L7_NONE);
	/* policies without HTTP fields: TCP as before */
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(GW), 8080), L7_NONE);
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(RET), 8080), L7_NONE);
	/* node-b's model-server is not this node's */
	CU_ASSERT_EQUAL(l7_port(f.g, ip4("10.10.2.14"), 8080), L7_NONE);
	CU_ASSERT_EQUAL(l7_port(NULL, ip4(MS), 8080), L7_NONE);
	done(&f);
	/* a rule limited to a port makes only that port L7 */
	build(&f, true,
	      "---\napiVersion: security.istio.io/v1\n"
	      "kind: AuthorizationPolicy\n"
	      "metadata: {name: grpc-get, namespace: ai-inference}\n"
	      "spec:\n  selector: {matchLabels: {app: vector-retriever}}\n"
	      "  action: DENY\n  rules:\n  - to:\n    - operation: "
	      "{ports: [\"8081\"], methods: [GET]}\n");
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(RET), 8081), L7_HTTP2);
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(RET), 8080), L7_NONE);
	CU_ASSERT_EQUAL(l7_port(f.g, ip4(RET), 9090), L7_NONE);
	done(&f);
}

/* ---- normalization ---- */

static void norm_is(const struct l7_gen *g, const char *in, const char *out)
{
	char buf[256];
	int n = l7_normalize(g, in, strlen(in), buf, sizeof(buf));

	CU_ASSERT_EQUAL(n, (int)strlen(out));
	if (n >= 0)
		CU_ASSERT_STRING_EQUAL(buf, out);
	if (n < 0 || strcmp(buf, out))
		fprintf(stderr, "normalize %s: got %s, want %s\n", in,
			n < 0 ? "-1" : buf, out);
}

static void refused(const struct l7_gen *g, const char *in, size_t n)
{
	char buf[256];

	CU_ASSERT_EQUAL(l7_normalize(g, in, n, buf, sizeof(buf)), -1);
}

#define REFUSED(g, s) refused(g, s, sizeof(s) - 1)

static void normalize_base(void)
{
	struct fix f;
	char small[8];

	build(&f, false, NULL);	/* no MeshConfig: BASE */
	norm_is(f.g, "/v1/predict", "/v1/predict");
	norm_is(f.g, "/v1/predict/../admin", "/v1/admin");
	norm_is(f.g, "/v1/./predict", "/v1/predict");
	norm_is(f.g, "/a/b/..", "/a/");
	norm_is(f.g, "/..", "/");
	norm_is(f.g, "/../../etc", "/etc");
	norm_is(f.g, "/%2e%2e/admin", "/admin");
	norm_is(f.g, "/x/%2E%2e/admin", "/admin");
	norm_is(f.g, "/%61dmin", "/admin");
	norm_is(f.g, "/a%7Eb%2Dc%5f", "/a~b-c_");
	norm_is(f.g, "/v1%2Fpredict", "/v1%2Fpredict");	/* kept */
	norm_is(f.g, "/v1%2fpredict", "/v1%2Fpredict");	/* upper case */
	norm_is(f.g, "/a%252e", "/a%252e");		/* decoded once */
	norm_is(f.g, "//v1//predict", "//v1//predict");	/* BASE keeps // */
	norm_is(f.g, "/v1\\..\\admin", "/admin");
	norm_is(f.g, "/v1/./p?q=/../x&y=%2e", "/v1/p?q=/../x&y=%2e");
	REFUSED(f.g, "v1/predict");
	REFUSED(f.g, "http://model-server/v1/predict");
	REFUSED(f.g, "*");
	REFUSED(f.g, "");
	REFUSED(f.g, "/a%00b");
	REFUSED(f.g, "/a\0b");
	REFUSED(f.g, "/a%zz");
	REFUSED(f.g, "/a%2");
	REFUSED(f.g, "/a b");
	REFUSED(f.g, "/a\tb");
	REFUSED(f.g, "/a#frag");
	REFUSED(f.g, "/caf\xc3\xa9");
	REFUSED(f.g, "/a?b\x01");
	CU_ASSERT_EQUAL(l7_normalize(f.g, "/v1/predict", 11, small,
				     sizeof(small)), -1);
	CU_ASSERT_EQUAL(l7_normalize(f.g, "/v1/pre", 7, small,
				     sizeof(small)), 7);
	done(&f);
}

static void normalize_options(void)
{
	struct fix f;

	build(&f, false, MESHCONFIG("MERGE_SLASHES"));
	norm_is(f.g, "//v1//predict", "/v1/predict");
	norm_is(f.g, "/v1%2Fpredict", "/v1%2Fpredict");
	norm_is(f.g, "/a//..//b", "/a/b");
	done(&f);
	build(&f, false, MESHCONFIG("DECODE_AND_MERGE_SLASHES"));
	norm_is(f.g, "/v1%2Fpredict", "/v1/predict");
	/* decoded, then dots, then merged, as Envoy: ".." drops the empty
	 * segment between the two slashes */
	norm_is(f.g, "/v1%2f%2F..%5Cadmin", "/v1/admin");
	norm_is(f.g, "/v1%2F..%2Fadmin", "/admin");
	done(&f);
	build(&f, false, MESHCONFIG("NONE"));
	norm_is(f.g, "/v1/../admin", "/v1/../admin");
	REFUSED(f.g, "/a%00");
	REFUSED(f.g, "/a%g0");
	done(&f);
}

/* What normalization is for: neither ALLOW nor DENY can be walked around
 * by spelling a path differently. */
static void normalization_guards_policies(void)
{
	struct fix f;

	build(&f, true, AP("deny-admin", "DENY",
		"  - to:\n    - operation: {paths: [\"/admin\", "
		"\"/admin/*\"]}\n"));
	DENIED(POST("api-gateway", "/admin"), AUTHZ_DENY_RULE);
	DENIED(POST("api-gateway", "/%61dmin"), AUTHZ_DENY_RULE);
	DENIED(POST("api-gateway", "/x/../admin"), AUTHZ_DENY_RULE);
	DENIED(POST("api-gateway", "/%2e%2e/admin/x"), AUTHZ_DENY_RULE);
	/* /v1/admin: neither denied by the rule nor allowed by any */
	DENIED(POST("api-gateway", "/v1/predict/../admin"),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	/* an allowed path spelled another way is the allowed path; one that
	 * only looks like it is not */
	ALLOWED(POST("api-gateway", "/v1/x/../predict"), AUTHZ_ALLOW_RULE);
	ALLOWED(POST("api-gateway", "/v1/%70redict"), AUTHZ_ALLOW_RULE);
	DENIED(POST("api-gateway", "/v1%2Fpredict"), AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(POST("api-gateway", "/v1/predict/../../admin"), AUTHZ_DENY_RULE);
	done(&f);
}

/* ---- operation fields ---- */

static void hosts_with_ports(void)
{
	struct fix f;
	struct call c = { .sa = "batch", .method = "GET", .path = "/" };

	build(&f, true, AP("by-host", "ALLOW",
		"  - to:\n    - operation:\n        hosts: "
		"[model-server.ai-inference.svc.cluster.local, "
		"\"model-server:*\", \"*.example.com\"]\n"));
	c.host = "model-server.ai-inference.svc.cluster.local";
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.host = "Model-Server.AI-Inference.svc.cluster.LOCAL";
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	/* a literal host names no port */
	c.host = "model-server.ai-inference.svc.cluster.local:8080";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.host = "model-server:8080";
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.host = "model-server";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.host = "API.EXAMPLE.COM";
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.host = NULL;		/* HTTP/1.0 without Host */
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

static void not_fields(void)
{
	struct fix f;
	struct call c = { .sa = "batch", .method = "POST", .path = "/x" };

	build(&f, true, AP("nots", "ALLOW",
		"  - from:\n    - source: {notPrincipals: "
		"[\"cluster.local/ns/ai-inference/sa/evil*\"]}\n"
		"    to:\n    - operation:\n        notMethods: [DELETE]\n"
		"        notPaths: [\"/private/*\"]\n"
		"        notHosts: [\"*.internal\"]\n"
		"        notPorts: [\"8081\"]\n"));
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.method = "DELETE";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.method = "POST";
	c.path = "/private/key";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.path = "/x";
	c.host = "db.INTERNAL";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.host = NULL;
	c.sa = "evil-bot";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.sa = NULL;		/* plaintext: notPrincipals holds */
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.port = 8081;
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

/* ---- source fields ---- */

static void source_fields(void)
{
	struct fix f;
	struct call c = { .method = "GET", .path = "/s" };

	build(&f, true, AP("src", "ALLOW",
		"  - from:\n    - source: {namespaces: [\"ai-*\"], "
		"ipBlocks: [10.10.1.0/24], notIpBlocks: [10.10.1.66]}\n"
		"  - from:\n    - source: {serviceAccounts: [reranker]}\n"
		"  - from:\n    - source: {remoteIpBlocks: [192.0.2.0/24, "
		"\"2001:db8::/32\"]}\n"
		"  - from:\n    - source: {requestPrincipals: [\"*\"]}\n"));
	c.sa = "batch";
	c.src = "10.10.1.50";
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.src = "10.10.1.66";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.src = "10.10.2.50";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.ns = "tenant-a";
	c.src = "10.10.1.50";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	/* serviceAccounts: "sa" is in the policy's namespace */
	c.ns = NULL;
	c.sa = "reranker";
	c.src = "10.10.9.9";
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.ns = "tenant-a";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	/* remote.ip is the tunnel's source: no trusted proxy */
	c.sa = NULL;
	c.src = "192.0.2.7";
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	/* no JWT: requestPrincipals never match */
	c.src = "10.10.9.9";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
	/* ... and notRequestPrincipals ["*"] (require a JWT) always does */
	build(&f, true, AP("need-jwt", "DENY",
		"  - from:\n    - source: {notRequestPrincipals: [\"*\"]}\n"));
	DENIED(POST("api-gateway", "/v1/predict"), AUTHZ_DENY_RULE);
	done(&f);
}

/* ---- when ---- */

static void headers_in_when(void)
{
	static const struct l7_hdr gold[] = {
		{ "X-Tenant", 8, "gold-7", 6 },
	}, two[] = {
		{ "x-tenant", 8, "bronze", 6 },
		{ "X-TENANT", 8, "gold", 4 },
	}, blocked[] = {
		{ "x-tenant", 8, "gold", 4 },
		{ "x-debug", 7, "1", 1 },
	}, joined[] = {
		{ "x-tenant", 8, "silver,gold", 11 },
	}, prefix_only[] = {
		{ "x-tenant", 8, "xgold", 5 },
	};
	struct fix f;
	struct call c = { .sa = "batch", .method = "GET", .path = "/" };

	build(&f, true, AP("hdr", "ALLOW",
		"  - when:\n    - key: request.headers[x-tenant]\n"
		"      values: [\"gold*\"]\n"
		"    - key: request.headers[X-Debug]\n"
		"      notValues: [\"*\"]\n"));
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.hdrs = gold, c.nhdrs = 1;
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	/* two fields are one value joined with ',' */
	c.hdrs = two, c.nhdrs = 2;
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.hdrs = joined, c.nhdrs = 1;
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.hdrs = prefix_only, c.nhdrs = 1;
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.hdrs = blocked, c.nhdrs = 2;
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

static void other_when_keys(void)
{
	struct fix f;
	struct call c = { .sa = "batch", .method = "GET", .path = "/" };

	build(&f, true, AP("keys", "ALLOW",
		"  - when:\n    - key: source.ip\n      values: [10.10.1.0/24]\n"
		"    - key: destination.port\n      values: [\"8080\"]\n"
		"    - key: source.namespace\n      values: [ai-inference]\n"
		"    - key: source.principal\n      notValues: "
		"[\"*/sa/evil\"]\n"
		"    - key: destination.ip\n      values: [" MS "]\n"
		"    - key: connection.sni\n      notValues: [\"*\"]\n"
		"    - key: request.auth.claims[group]\n"
		"      notValues: [admin]\n"));
	ALLOWED(judge(&f, c), AUTHZ_ALLOW_RULE);
	c.port = 8081;
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.port = 0;
	c.src = "10.10.2.1";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.src = NULL;
	c.sa = "evil";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	c.sa = NULL;		/* plaintext has no namespace */
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
	/* connection.sni values never match: the ALLOW rule allows nobody */
	build(&f, true, AP("sni", "ALLOW",
		"  - when:\n    - key: connection.sni\n      values: [\"*\"]\n"));
	c.sa = "batch";
	DENIED(judge(&f, c), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

/* A key Istio has and this evaluator cannot judge: an ALLOW rule never
 * matches on it, a DENY rule always does. */
static void unknown_key_fails_closed(void)
{
	struct fix f;
	const char *cond = "  - when:\n    - key: experimental.envoy.filters."
			   "network.mysql_proxy[db.table]\n"
			   "      values: [\"[update]\"]\n";
	char yaml[512];

	snprintf(yaml, sizeof(yaml), AP("odd", "ALLOW", "%s"), cond);
	build(&f, true, yaml);
	DENIED(POST("batch", "/x"), AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
	snprintf(yaml, sizeof(yaml), AP("odd", "DENY", "%s"), cond);
	build(&f, true, yaml);
	DENIED(POST("api-gateway", "/v1/predict"), AUTHZ_DENY_RULE);
	done(&f);
}

/* ---- actions ---- */

static void actions_in_order(void)
{
	struct fix f;
	struct l7_verdict v;

	/* DENY beats ALLOW; CUSTOM refuses what it matches (no external
	 * authorizer here); AUDIT and dry-run never decide */
	build(&f, true,
	      AP("deny-get", "DENY", "  - to:\n    - operation: {methods: [GET]}\n")
	      AP("ext", "CUSTOM", "  - to:\n    - operation: {paths: [\"/ext\"]}\n")
	      "  provider: {name: opa}\n"
	      AP("audit", "AUDIT", "  - to:\n    - operation: {paths: [\"/v1/*\"]}\n")
	      "---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
	      "metadata:\n  name: dry\n  namespace: ai-inference\n"
	      "  annotations: {istio.io/dry-run: \"true\"}\n"
	      "spec:\n  selector: {matchLabels: {app: model-server}}\n"
	      "  action: DENY\n  rules:\n  - to:\n    - operation: "
	      "{paths: [\"/v1/predict\"]}\n");
	v = judge(&f, (struct call){ .sa = "api-gateway", .method = "GET",
				     .path = "/v1/predict" });
	DENIED(v, AUTHZ_DENY_RULE);
	CU_ASSERT_STRING_EQUAL(v.rule, "ai-inference/deny-get[0]");
	v = POST("api-gateway", "/ext");
	DENIED(v, AUTHZ_DENY_RULE);
	CU_ASSERT_STRING_EQUAL(v.rule, "ai-inference/ext[0]");
	ALLOWED(POST("api-gateway", "/v1/predict"), AUTHZ_ALLOW_RULE);
	done(&f);
	/* only DENY: what it does not match is allowed */
	build(&f, false,
	      "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
	      "metadata:\n  name: ms\n  namespace: ai-inference\n"
	      "  annotations: {infermesh.io/node: node-a}\n"
	      "spec:\n  address: " MS "\n  labels: {app: model-server}\n"
	      AP("deny-get", "DENY", "  - to:\n    - operation: {methods: [GET]}\n"));
	ALLOWED(POST("x", "/"), AUTHZ_ALLOW_NO_ALLOW_POLICY);
	DENIED(judge(&f, (struct call){ .sa = "x", .method = "GET", .path = "/" }),
	       AUTHZ_DENY_RULE);
	/* an address that is no local workload */
	DENIED(judge(&f, (struct call){ .method = "GET", .path = "/",
					.wl = "10.10.1.99" }),
	       AUTHZ_DENY_UNKNOWN_DEST);
	done(&f);
}

static void peers_and_tables(void)
{
	struct fix f;
	struct authz_req a = { .wl_ip = ip4(MS), .dst_port = 8080,
			       .peer = { .authenticated = true,
					 .td = "cluster.local",
					 .ns = "ai-inference" } };
	struct l7_req r = { .method = "POST", .method_len = 4,
			    .path = "/v1/predict", .path_len = 11 };
	struct l7_verdict v;
	struct l7_live l;
	char sa[600];

	build(&f, true, NULL);
	l7_eval(f.g, &a, &r, &v);	/* no service account */
	DENIED(v, AUTHZ_DENY_BAD_PEER);
	memset(sa, 'a', sizeof(sa) - 1);
	sa[sizeof(sa) - 1] = 0;
	a.peer.sa = sa;
	l7_eval(f.g, &a, &r, &v);
	DENIED(v, AUTHZ_DENY_BAD_PEER);
	a.peer.sa = "api-gateway";
	l7_eval(NULL, &a, &r, &v);
	DENIED(v, AUTHZ_DENY_NO_TABLES);
	/* the live generation: swapped, referenced, counted */
	l7_live_init(&l);
	CU_ASSERT_PTR_NULL(l7_live_get(&l));
	l7_live_swap(&l, l7_gen_ref(f.g));
	{
		struct l7_gen *g = l7_live_get(&l);

		l7_eval(g, &a, &r, &v);
		l7_live_count(&l, &v);
		l7_gen_put(g);
	}
	ALLOWED(v, AUTHZ_ALLOW_RULE);
	CU_ASSERT_EQUAL(l.counts[AUTHZ_ALLOW_RULE], 1);
	l7_live_swap(&l, NULL);
	l7_live_free(&l);
	done(&f);
}

/* Random targets over the characters normalization acts on (bounded:
 * TARGETS of them, per option): nothing crashes or overruns under ASan,
 * a result is origin-form and normalizing it again changes nothing, so
 * no spelling survives one pass that a second would turn into another
 * path (a double decode is how "%252e%252e" attacks work). */
#define TARGETS 20000

static void normalize_is_idempotent(void)
{
	static const char *const opts[] = { NULL, "MERGE_SLASHES",
					    "DECODE_AND_MERGE_SLASHES" };
	static const char alpha[] = "/./..%2e%2E%2f%2F%5c%5C%25%41%zz?a\\b";
	char in[40], once[64], twice[64], yaml[512];
	unsigned int seed = 7, i, k, len;
	struct fix f;
	int n, m;

	for (k = 0; k < 3; k++) {
		if (opts[k])
			snprintf(yaml, sizeof(yaml), MESHCONFIG("%s"), opts[k]);
		build(&f, false, opts[k] ? yaml : NULL);
		for (i = 0; i < TARGETS; i++) {
			len = 1 + rand_r(&seed) % (sizeof(in) - 2);
			in[0] = '/';
			for (n = 1; n < (int)len; n++)
				in[n] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
			n = l7_normalize(f.g, in, len, once, sizeof(once));
			if (n < 0)
				continue;
			CU_ASSERT_EQUAL(once[0], '/');
			CU_ASSERT_EQUAL((size_t)n, strlen(once));
			m = l7_normalize(f.g, once, (size_t)n, twice,
					 sizeof(twice));
			CU_ASSERT_EQUAL(m, n);
			if (m != n || strcmp(once, twice)) {
				fprintf(stderr, "%.*s -> %s -> %s\n", (int)len,
					in, once, m < 0 ? "-1" : twice);
				break;
			}
		}
		done(&f);
	}
}

/* Requests judged on other threads while the live generation swaps
 * between an allowing and a denying one (bounded: CHECKS each): every
 * verdict is one generation's, the counts add up. */
#define CHECKS 20000

struct checker {
	struct l7_live *l;
	unsigned long allowed, denied, torn;
	bool finished;
};

static void *check_loop(void *arg)
{
	struct checker *c = arg;
	struct authz_req a = { .wl_ip = ip4(MS), .dst_port = 8080,
			       .peer = { .authenticated = true,
					 .td = "cluster.local",
					 .ns = "ai-inference",
					 .sa = "api-gateway" } };
	struct l7_req r = { .method = "POST", .method_len = 4,
			    .path = "/v1/predict", .path_len = 11 };
	struct l7_verdict v;
	int i;

	for (i = 0; i < CHECKS; i++) {
		struct l7_gen *g = l7_live_get(c->l);

		l7_eval(g, &a, &r, &v);
		l7_live_count(c->l, &v);
		l7_gen_put(g);
		if (v.reason == AUTHZ_ALLOW_RULE)
			c->allowed++;
		else if (v.reason == AUTHZ_DENY_RULE)
			c->denied++;
		else
			c->torn++;
	}
	__atomic_store_n(&c->finished, true, __ATOMIC_RELEASE);
	return NULL;
}

static void live_swap_under_checks(void)
{
	struct checker c[2] = { { 0 }, { 0 } };
	unsigned long swaps = 0;
	struct fix allow, deny;
	pthread_t th[2];
	struct l7_live l;
	int i;

	build(&allow, true, NULL);
	build(&deny, true, AP("deny-all", "DENY", "  - {}\n"));
	l7_live_init(&l);
	l7_live_swap(&l, l7_gen_ref(allow.g));
	for (i = 0; i < 2; i++) {
		c[i].l = &l;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, check_loop,
						     &c[i]), 0);
	}
	/* bounded: the checkers end after CHECKS each */
	while (!(__atomic_load_n(&c[0].finished, __ATOMIC_ACQUIRE) &&
		 __atomic_load_n(&c[1].finished, __ATOMIC_ACQUIRE)) &&
	       swaps < 10000000UL)
		l7_live_swap(&l, l7_gen_ref(++swaps % 2 ? deny.g : allow.g));
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(c[0].torn + c[1].torn, 0);
	CU_ASSERT_EQUAL(c[0].allowed + c[0].denied, CHECKS);
	CU_ASSERT_EQUAL(l.counts[AUTHZ_ALLOW_RULE],
			c[0].allowed + c[1].allowed);
	CU_ASSERT_EQUAL(l.counts[AUTHZ_DENY_RULE], c[0].denied + c[1].denied);
	l7_live_free(&l);
	done(&allow);
	done(&deny);
}

/* ---- the kernel's tables on those ports (compile_authz.c) ---- */

struct kfix {
	struct fix f;
	struct tables t;
	struct intern p, ns;
	struct authz_gen *g;
};

static void kbuild(struct kfix *k, const char *yaml)
{
	struct compile_in in = { .node = "node-a", .principals = &k->p,
				 .namespaces = &k->ns };

	memset(k, 0, sizeof(*k));
	build(&k->f, true, yaml);
	in.m = &k->f.m;
	CU_ASSERT_EQUAL_FATAL(compile_tables(&in, &k->t), 0);
	k->g = authz_gen_new(&k->t, &k->p, &k->ns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k->g);
}

static void kdone(struct kfix *k)
{
	authz_gen_put(k->g);
	tables_free(&k->t);
	intern_free(&k->p);
	intern_free(&k->ns);
	done(&k->f);
}

/* The im_wlport entry of <ip>:<port>, or NULL. */
static const struct ct_wlport *wlport(const struct kfix *k, const char *ip,
				      uint16_t port)
{
	size_t i;

	for (i = 0; i < k->t.n_wlports; i++)
		if (k->t.wlports[i].ip == ip4(ip) &&
		    k->t.wlports[i].port == htons(port))
			return &k->t.wlports[i];
	return NULL;
}

/* <sa> of ai-inference over mTLS to <wl>:<port>: the kernel's verdict
 * (<kernel>), or the agent's on a CONNECT alone. */
static struct authz_verdict l4(const struct kfix *k, const char *sa,
			       const char *wl, uint16_t port, bool kernel)
{
	struct authz_req r = {
		.wl_ip = ip4(wl), .src_ip = ip4(GW), .dst_ip = ip4(wl),
		.dst_port = port,
		.peer = { .authenticated = true, .td = "cluster.local",
			  .ns = "ai-inference", .sa = sa },
	};
	struct authz_verdict v;

	(kernel ? authz_eval_kernel : authz_eval)(k->g, &r, &v);
	return v;
}

#define K_ALLOWED(v, why) do { struct authz_verdict v_ = (v); \
	CU_ASSERT_TRUE(v_.allow); CU_ASSERT_EQUAL(v_.reason, why); } while (0)
#define K_DENIED(v, why) do { struct authz_verdict v_ = (v); \
	CU_ASSERT_FALSE(v_.allow); CU_ASSERT_EQUAL(v_.reason, why); } while (0)

static void kernel_tables_for_l7_ports(void)
{
	const struct ct_wlport *w;
	struct kfix k;

	kbuild(&k, NULL);
	/* model-server's HTTP ports: flagged, and a set of their own */
	w = wlport(&k, MS, 8080);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(w->v.flags, IM_WLPORT_L7);
	CU_ASSERT_NOT_EQUAL(w->v.polset, wlport(&k, MS, 0)->v.polset);
	CU_ASSERT_EQUAL(wlport(&k, MS, 8081)->v.flags, IM_WLPORT_L7);
	CU_ASSERT_EQUAL(wlport(&k, MS, 9090)->v.flags, 0);
	/* connect4 lets the callers the requests may allow through ... */
	K_ALLOWED(l4(&k, "api-gateway", MS, 8080, true), AUTHZ_ALLOW_RULE);
	K_ALLOWED(l4(&k, "orchestrator", MS, 8081, true), AUTHZ_ALLOW_RULE);
	/* ... and no one else: the principal rule keeps its L4 part */
	K_DENIED(l4(&k, "vector-retriever", MS, 8080, true),
		 AUTHZ_DENY_NO_ALLOW_MATCH);
	/* the agent judges a CONNECT alone there by the TCP reduction */
	K_DENIED(l4(&k, "api-gateway", MS, 8080, false),
		 AUTHZ_DENY_NO_ALLOW_MATCH);
	/* vector-retriever's TCP ports: exactly as before */
	CU_ASSERT_PTR_NULL(wlport(&k, RET, 8080));
	K_ALLOWED(l4(&k, "orchestrator", RET, 8080, true), AUTHZ_ALLOW_RULE);
	K_DENIED(l4(&k, "api-gateway", RET, 8080, true),
		 AUTHZ_DENY_NO_ALLOW_MATCH);
	K_ALLOWED(l4(&k, "api-gateway", RET, 9090, true), AUTHZ_ALLOW_RULE);
	kdone(&k);
	/* a DENY rule with HTTP fields: left to the requests on HTTP ports,
	 * every connection on TCP ports (Istio's reduction) */
	kbuild(&k, AP("deny-get", "DENY",
		"  - to:\n    - operation: {methods: [GET]}\n"));
	K_ALLOWED(l4(&k, "api-gateway", MS, 8080, true), AUTHZ_ALLOW_RULE);
	K_DENIED(l4(&k, "api-gateway", MS, 9090, true), AUTHZ_DENY_RULE);
	kdone(&k);
}

UNIT_SUITE(l7)
{
	UNIT_TEST(s, seed_model_server_access);
	UNIT_TEST(s, path_templates);
	UNIT_TEST(s, l7_ports_of_the_seed);
	UNIT_TEST(s, normalize_base);
	UNIT_TEST(s, normalize_options);
	UNIT_TEST(s, normalization_guards_policies);
	UNIT_TEST(s, hosts_with_ports);
	UNIT_TEST(s, not_fields);
	UNIT_TEST(s, source_fields);
	UNIT_TEST(s, headers_in_when);
	UNIT_TEST(s, other_when_keys);
	UNIT_TEST(s, unknown_key_fails_closed);
	UNIT_TEST(s, actions_in_order);
	UNIT_TEST(s, peers_and_tables);
	UNIT_TEST(s, kernel_tables_for_l7_ports);
	UNIT_TEST(s, normalize_is_idempotent);
	UNIT_TEST(s, live_swap_under_checks);
}
