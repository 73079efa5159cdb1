// SPDX-License-Identifier: Apache-2.0
/*
 * The inbound path's AuthorizationPolicy (user/authz): Istio YAML ->
 * model -> compiled tables -> authz_eval, which runs bpf/lib/policy.h (the
 * kernel's own code) over them. Peers are authenticated SPIFFE ids, as a
 * tunnel's client certificate gives them, or plaintext.
 */
#include <arpa/inet.h>
#include <pthread.h>

#include "authz/authz.h"
#include "compile/compile.h"
#include "harness.h"
#include "model/model.h"

#define SEED "../shared/fixtures/seed"
#define SEED_AP SEED "/02-authorization-policies.yaml"

/* WorkloadEntry <name> (service account too) of app <app>, node-a. */
#define WE(name, ns, app, ip) \
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: " name "\n  namespace: " ns "\n" \
	"  annotations:\n    infermesh.io/node: node-a\n" \
	"spec:\n  address: " ip "\n  serviceAccount: " name "\n" \
	"  labels: {app: " app "}\n"

/* The seed's services and their callers. */
#define WORKLOADS \
	WE("model-server", "ai-inference", "model-server", "10.0.0.10") \
	WE("vector-retriever", "ai-inference", "vector-retriever", \
	   "10.0.0.20") \
	WE("plain", "ai-inference", "plain", "10.0.0.30") \
	WE("api-gateway", "ai-inference", "api-gateway", "10.0.0.1") \
	WE("orchestrator", "ai-inference", "orchestrator", "10.0.0.2") \
	WE("batch-job", "ai-inference", "batch-job", "10.0.0.3") \
	WE("tenant-app", "tenant-a", "tenant-app", "10.0.1.1")

#define AP(name, app, action, rules) \
	"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: " name ", namespace: ai-inference}\n" \
	"spec:\n  selector: {matchLabels: {app: " app "}}\n" \
	"  action: " action "\n  rules:\n" rules

#define MS "10.0.0.10"
#define RET "10.0.0.20"

struct fix {
	struct config *c;
	struct model m;
	struct tables t;
	struct intern p, ns;
	struct authz_gen *g;
};

/* <yaml> (and the seed's files at <seed>, if not NULL) compiled for
 * node-a. */
static void build(struct fix *f, const char *seed, const char *yaml)
{
	struct compile_in in = {
		.node = "node-a", .principals = &f->p, .namespaces = &f->ns,
	};

	memset(f, 0, sizeof(*f));
	f->c = calloc(1, sizeof(*f->c));
	config_init(f->c);
	if (seed)
		CU_ASSERT_EQUAL(config_load_path(f->c, seed), 0);
	CU_ASSERT_EQUAL(config_load_buffer(f->c, "test.yaml", yaml,
					   strlen(yaml)), 0);
	config_validate(f->c);
	model_build(&f->m, f->c);
	in.m = &f->m;
	CU_ASSERT_EQUAL_FATAL(compile_tables(&in, &f->t), 0);
	f->g = authz_gen_new(&f->t, &f->p, &f->ns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->g);
}

static void done(struct fix *f)
{
	authz_gen_put(f->g);
	tables_free(&f->t);
	model_free(&f->m);
	unit_free(f->c);
	intern_free(&f->p);
	intern_free(&f->ns);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* <ns>/<sa> of cluster.local (NULL <sa>: plaintext) from <src> to
 * workload <wl>, port <port>. */
static struct authz_verdict judge(const struct fix *f, const char *ns,
				  const char *sa, const char *src,
				  const char *wl, uint16_t port)
{
	struct authz_req r = {
		.wl_ip = ip4(wl), .src_ip = ip4(src), .dst_ip = ip4(wl),
		.dst_port = port,
		.peer = { .authenticated = sa != NULL, .td = "cluster.local",
			  .ns = ns, .sa = sa },
	};
	struct authz_verdict v;

	authz_eval(f->g, &r, &v);
	return v;
}

#define ALLOWED(v, why) do { struct authz_verdict v_ = (v); \
	CU_ASSERT_TRUE(v_.allow); CU_ASSERT_EQUAL(v_.reason, why); } while (0)
#define DENIED(v, why) do { struct authz_verdict v_ = (v); \
	CU_ASSERT_FALSE(v_.allow); CU_ASSERT_EQUAL(v_.reason, why); } while (0)

/* The seed as written: model-server-access's only rule has methods and
 * paths, which an L4 proxy (ztunnel) drops; so does restrict-egress's
 * (hosts), and having no selector it selects every ai-inference workload.
 * At L4 nobody reaches model-server. */
static void seed_model_server_access_is_http_only(void)
{
	struct fix f;

	build(&f, SEED, WORKLOADS);
	DENIED(judge(&f, "ai-inference", "api-gateway", "10.0.0.1", MS, 8080),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(judge(&f, "ai-inference", "batch-job", "10.0.0.3", MS, 8080),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
	build(&f, SEED_AP, WORKLOADS);
	DENIED(judge(&f, "ai-inference", "api-gateway", "10.0.0.1", MS, 8080),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

/* The seed's principals as an L4 rule: the names allowed, others not. */
static void model_server_access_names_its_callers(void)
{
	struct fix f;
	struct authz_verdict v;

	build(&f, NULL, WORKLOADS AP("model-server-access", "model-server",
		"ALLOW", "  - from:\n    - source:\n        principals:\n"
		"        - cluster.local/ns/ai-inference/sa/api-gateway\n"
		"        - cluster.local/ns/ai-inference/sa/orchestrator\n"));
	v = judge(&f, "ai-inference", "api-gateway", "10.0.0.1", MS, 8080);
	ALLOWED(v, AUTHZ_ALLOW_RULE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v.rule);
	CU_ASSERT_STRING_EQUAL(v.rule,
			       "ai-inference/model-server-access rules[0]");
	CU_ASSERT_NOT_EQUAL(v.polset, 0);
	ALLOWED(judge(&f, "ai-inference", "orchestrator", "10.0.0.2", MS, 8081),
		AUTHZ_ALLOW_RULE);
	v = judge(&f, "ai-inference", "batch-job", "10.0.0.3", MS, 8080);
	DENIED(v, AUTHZ_DENY_NO_ALLOW_MATCH);
	CU_ASSERT_PTR_NULL(v.rule);
	/* the api-gateway's address without its certificate is nobody */
	DENIED(judge(&f, NULL, NULL, "10.0.0.1", MS, 8080),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	/* another trust domain is another principal, unknown to the mesh */
	{
		struct authz_req r = {
			.wl_ip = ip4(MS), .dst_ip = ip4(MS), .dst_port = 8080,
			.peer = { true, "evil.example", "ai-inference",
				  "api-gateway" },
		};

		authz_eval(f.g, &r, &v);
		DENIED(v, AUTHZ_DENY_UNKNOWN_PEER);
	}
	/* a workload no policy selects */
	ALLOWED(judge(&f, "tenant-a", "tenant-app", "10.0.1.1", "10.0.0.30",
		      80), AUTHZ_ALLOW_NO_POLICY);
	/* not a workload of the tables: refused */
	DENIED(judge(&f, "ai-inference", "api-gateway", "10.0.0.1",
		     "10.9.9.9", 80), AUTHZ_DENY_UNKNOWN_DEST);
	done(&f);
}

/* The seed's DENY, on the authenticated namespace. */
static void deny_external_to_retriever_on_namespace(void)
{
	struct fix f;
	struct authz_verdict v;

	build(&f, SEED, WORKLOADS);
	/* DENY first: the rule decides, not restrict-egress's empty ALLOW */
	v = judge(&f, "tenant-a", "tenant-app", "10.0.1.1", RET, 8080);
	DENIED(v, AUTHZ_DENY_RULE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v.rule);
	CU_ASSERT_STRING_EQUAL(v.rule,
			       "ai-inference/deny-external-to-retriever rules[0]");
	DENIED(judge(&f, "ai-inference", "batch-job", "10.0.1.1", RET, 8080),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
	/* the policies file alone: the retriever has no ALLOW policy */
	build(&f, SEED_AP, WORKLOADS);
	DENIED(judge(&f, "tenant-a", "tenant-app", "10.0.1.1", RET, 8080),
	       AUTHZ_DENY_RULE);
	/* same address, an ai-inference identity: the namespace decides */
	ALLOWED(judge(&f, "ai-inference", "batch-job", "10.0.1.1", RET, 8080),
		AUTHZ_ALLOW_NO_ALLOW_POLICY);
	/* plaintext has no namespace: notNamespaces holds, denied */
	DENIED(judge(&f, NULL, NULL, "10.0.0.1", RET, 8080), AUTHZ_DENY_RULE);
	done(&f);
}

static void deny_beats_allow(void)
{
	struct fix f;

	build(&f, NULL, WORKLOADS
	      AP("allow-gw", "model-server", "ALLOW",
		 "  - from:\n    - source: {namespaces: [ai-inference]}\n")
	      AP("deny-gw-8080", "model-server", "DENY",
		 "  - from:\n    - source:\n        principals: "
		 "[cluster.local/ns/ai-inference/sa/api-gateway]\n"
		 "    to:\n    - operation: {ports: [\"8080\"]}\n"));
	DENIED(judge(&f, "ai-inference", "api-gateway", "10.0.0.1", MS, 8080),
	       AUTHZ_DENY_RULE);
	ALLOWED(judge(&f, "ai-inference", "api-gateway", "10.0.0.1", MS, 8081),
		AUTHZ_ALLOW_RULE);
	ALLOWED(judge(&f, "ai-inference", "batch-job", "10.0.0.3", MS, 8080),
		AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, "tenant-a", "tenant-app", "10.0.1.1", MS, 8080),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

/* ipBlocks and remoteIpBlocks are the tunnel's TCP source address. */
static void ip_blocks_on_tunnel_source(void)
{
	struct fix f;

	build(&f, NULL, WORKLOADS
	      AP("from-net", "model-server", "ALLOW",
		 "  - from:\n    - source: {ipBlocks: [192.168.5.0/24], "
		 "notIpBlocks: [192.168.5.66]}\n")
	      AP("remote", "vector-retriever", "ALLOW",
		 "  - from:\n    - source: {remoteIpBlocks: [172.16.0.0/12]}\n"));
	ALLOWED(judge(&f, "ai-inference", "batch-job", "192.168.5.7", MS, 80),
		AUTHZ_ALLOW_RULE);
	ALLOWED(judge(&f, NULL, NULL, "192.168.5.8", MS, 80),
		AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, "ai-inference", "batch-job", "192.168.5.66", MS, 80),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(judge(&f, "ai-inference", "batch-job", "192.168.6.1", MS, 80),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	ALLOWED(judge(&f, NULL, NULL, "172.31.0.1", RET, 80),
		AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, NULL, NULL, "172.32.0.1", RET, 80),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

/* ports and notPorts are the CONNECT port. */
static void ports_and_not_ports(void)
{
	struct fix f;

	build(&f, NULL, WORKLOADS
	      AP("ports", "model-server", "ALLOW",
		 "  - to:\n    - operation: {ports: [\"8080\", \"9090\"]}\n")
	      AP("not-ports", "vector-retriever", "DENY",
		 "  - to:\n    - operation: {notPorts: [\"9090\"]}\n"));
	ALLOWED(judge(&f, NULL, NULL, "10.0.0.1", MS, 8080), AUTHZ_ALLOW_RULE);
	ALLOWED(judge(&f, NULL, NULL, "10.0.0.1", MS, 9090), AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, NULL, NULL, "10.0.0.1", MS, 8081),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(judge(&f, "ai-inference", "orchestrator", "10.0.0.2", RET, 8080),
	       AUTHZ_DENY_RULE);
	ALLOWED(judge(&f, "ai-inference", "orchestrator", "10.0.0.2", RET,
		      9090), AUTHZ_ALLOW_NO_ALLOW_POLICY);
	done(&f);
}

/* `when` source.principal, source.namespace, source.ip. */
static void when_conditions(void)
{
	struct fix f;

	build(&f, NULL, WORKLOADS
	      AP("when-principal", "model-server", "ALLOW",
		 "  - when:\n    - key: source.principal\n      values: "
		 "[\"cluster.local/ns/ai-inference/sa/orch*\"]\n"
		 "  - when:\n    - key: source.ip\n      values: [10.7.0.0/16]\n")
	      AP("when-ns", "vector-retriever", "DENY",
		 "  - when:\n    - key: source.namespace\n      values: "
		 "[tenant-a]\n"));
	ALLOWED(judge(&f, "ai-inference", "orchestrator", "10.0.0.2", MS, 80),
		AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, "ai-inference", "api-gateway", "10.0.0.1", MS, 80),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	ALLOWED(judge(&f, "ai-inference", "api-gateway", "10.7.3.3", MS, 80),
		AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, "tenant-a", "tenant-app", "10.0.1.1", RET, 80),
	       AUTHZ_DENY_RULE);
	ALLOWED(judge(&f, "ai-inference", "api-gateway", "10.0.1.1", RET, 80),
		AUTHZ_ALLOW_NO_ALLOW_POLICY);
	done(&f);
}

/* A principal rule never matches plaintext; an identity the tables do
 * not know is refused where identities are tested, judged elsewhere. */
static void unauthenticated_and_unknown_peers(void)
{
	struct fix f;

	build(&f, NULL, WORKLOADS
	      AP("any-principal", "model-server", "ALLOW",
		 "  - from:\n    - source: {principals: [\"*\"]}\n")
	      AP("ports-only", "vector-retriever", "ALLOW",
		 "  - to:\n    - operation: {ports: [\"8080\"]}\n"));
	ALLOWED(judge(&f, "ai-inference", "batch-job", "10.0.0.3", MS, 80),
		AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, NULL, NULL, "10.0.0.3", MS, 80),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	DENIED(judge(&f, "ai-inference", "nobody", "10.0.0.3", MS, 80),
	       AUTHZ_DENY_UNKNOWN_PEER);
	DENIED(judge(&f, "ai-inference", "", "10.0.0.3", MS, 80),
	       AUTHZ_DENY_BAD_PEER);
	ALLOWED(judge(&f, "other", "nobody", "10.0.0.3", RET, 8080),
		AUTHZ_ALLOW_RULE);
	DENIED(judge(&f, "other", "nobody", "10.0.0.3", RET, 8081),
	       AUTHZ_DENY_NO_ALLOW_MATCH);
	done(&f);
}

/* ---- the live generation ---- */

#define CHECKS 20000

struct checker {
	struct authz_live *l;
	unsigned long allowed, denied, torn;
	int finished;	/* atomic */
};

/* api-gateway to model-server: allowed by "allow-gw", denied by
 * "deny-gw"; a verdict whose rule is the other one is torn. */
static void *check_loop(void *arg)
{
	struct checker *c = arg;
	struct authz_req r = {
		.wl_ip = ip4(MS), .dst_ip = ip4(MS), .dst_port = 8080,
		.src_ip = ip4("10.0.0.1"),
		.peer = { true, "cluster.local", "ai-inference", "api-gateway" },
	};
	struct authz_verdict v;
	char rule[128];
	int i;

	for (i = 0; i < CHECKS; i++) {
		authz_check(c->l, &r, &v, rule, sizeof(rule));
		if (v.allow)
			c->allowed++;
		else
			c->denied++;
		if (strcmp(rule, v.allow ? "ai-inference/allow-gw rules[0]"
					 : "ai-inference/deny-gw rules[0]"))
			c->torn++;
	}
	__atomic_store_n(&c->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool all_finished(struct checker *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!__atomic_load_n(&c[i].finished, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* Checks on two threads while the generation is swapped under them:
 * every verdict and its rule come from one whole generation (and ASan
 * would catch a generation freed under a check); counters add up. */
static void live_swap_under_checks(void)
{
	struct fix a, b;
	struct authz_live l;
	struct checker c[2] = { { .l = &l }, { .l = &l } };
	pthread_t th[2];
	struct authz_verdict v;
	unsigned long swaps = 0;
	int i;

	build(&a, NULL, WORKLOADS AP("allow-gw", "model-server", "ALLOW",
		"  - from:\n    - source: {namespaces: [ai-inference]}\n"));
	build(&b, NULL, WORKLOADS AP("deny-gw", "model-server", "DENY",
		"  - from:\n    - source: {namespaces: [ai-inference]}\n"));
	authz_live_init(&l);
	authz_check(&l, &(struct authz_req){ .dst_port = 1 }, &v, NULL, 0);
	DENIED(v, AUTHZ_DENY_NO_TABLES);
	authz_live_swap(&l, authz_gen_ref(a.g));
	for (i = 0; i < 2; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, check_loop,
						     &c[i]), 0);
	/* bounded: the checkers end after CHECKS each */
	while (!all_finished(c, 2) && swaps < 10000000UL)
		authz_live_swap(&l, authz_gen_ref(++swaps % 2 ? b.g : a.g));
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(c[0].torn + c[1].torn, 0);
	CU_ASSERT_EQUAL(c[0].allowed + c[0].denied, CHECKS);
	CU_ASSERT_EQUAL(l.counts[AUTHZ_ALLOW_RULE], c[0].allowed + c[1].allowed);
	CU_ASSERT_EQUAL(l.counts[AUTHZ_DENY_RULE], c[0].denied + c[1].denied);
	CU_ASSERT_EQUAL(l.counts[AUTHZ_DENY_NO_TABLES], 1);
	authz_live_free(&l);
	/* the fixtures' own references are the last ones */
	done(&a);
	done(&b);
}

UNIT_SUITE(authz)
{
	UNIT_TEST(s, seed_model_server_access_is_http_only);
	UNIT_TEST(s, model_server_access_names_its_callers);
	UNIT_TEST(s, deny_external_to_retriever_on_namespace);
	UNIT_TEST(s, deny_beats_allow);
	UNIT_TEST(s, ip_blocks_on_tunnel_source);
	UNIT_TEST(s, ports_and_not_ports);
	UNIT_TEST(s, when_conditions);
	UNIT_TEST(s, unauthenticated_and_unknown_peers);
	UNIT_TEST(s, live_swap_under_checks);
}
