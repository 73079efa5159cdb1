// SPDX-License-Identifier: Apache-2.0
/* PeerAuthentication and AuthorizationPolicy validation: for each Istio
 * rule, a document Istio accepts and one it rejects (or warns about), with
 * the finding's code, line, field path and wording checked. The table
 * runner vcase_run() is shared with test_validate_se_we_tel.c. */
#include <stdio.h>

#include "harness.h"
#include "vcase.h"

static const struct finding *find(const struct config *c, const struct vcase *v)
{
	size_t i;

	for (i = 0; i < c->diag.n; i++) {
		const struct finding *f = &c->diag.v[i];

		if (!strcmp(f->code, v->code) && strstr(f->msg, v->msg))
			return f;
	}
	return NULL;
}

static bool clean(const struct config *c, const struct object *o)
{
	return o && !o->invalid && !unit_count_code(c, "IST0106") &&
	       !unit_count_code(c, "IST0133");
}

static bool expected(const struct config *c, const struct object *o,
		     const struct vcase *v)
{
	const struct finding *f;

	if (!v->code)
		return clean(c, o);
	f = find(c, v);
	return o && f && o->invalid == !strcmp(v->code, "IST0106") &&
	       f->sev == (!strcmp(v->code, "IST0106") ? SEV_ERROR : SEV_WARNING) &&
	       (!v->line || f->line == v->line) &&
	       (!v->path || (f->path && !strcmp(f->path, v->path)));
}

void vcase_run(enum kind k, const struct vcase *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vcase *v = &cases[i];
		struct config *c = unit_load(v->yaml);
		struct object *o = unit_obj(c, k, "x");
		bool ok = expected(c, o, v);

		if (!ok) {
			fprintf(stderr, "\ncase \"%s\": want %s line %u path %s "
				"\"%s\"; got:\n", v->name,
				v->code ? v->code : "clean", v->line,
				v->path ? v->path : "-", v->msg ? v->msg : "");
			unit_dump(c);
		}
		CU_assertImplementation(ok, __LINE__, v->name, __FILE__, "",
					CU_FALSE);
		unit_free(c);
	}
}

#define PA "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n" \
	   "metadata: {name: x, namespace: ns}\nspec:\n"
#define SEL "  selector: {matchLabels: {app: a}}\n"
#define OK NULL, 0, NULL, NULL /* accepted, no finding */
#define E "IST0106"
#define W "IST0133"

static const struct vcase pa_cases[] = {
	{ "pa port level with selector", PA SEL
	  "  portLevelMtls: {\"8080\": {mode: DISABLE}}\n", OK },
	{ "pa port level without selector", PA
	  "  mtls: {mode: STRICT}\n  portLevelMtls:\n    \"8080\": {mode: DISABLE}\n",
	  E, 7, "spec.portLevelMtls",
	  "mesh/namespace peer authentication cannot have port level mTLS" },
	{ "pa port level with empty matchLabels", PA
	  "  selector: {matchLabels: {}}\n  portLevelMtls:\n    \"80\": {mode: STRICT}\n",
	  E, 7, "spec.portLevelMtls", "cannot have port level mTLS" },
	{ "pa empty portLevelMtls", PA SEL "  portLevelMtls: {}\n",
	  E, 6, "spec.portLevelMtls",
	  "port level mTLS, if defined, must have at least one element" },
	{ "pa port 0", PA SEL "  portLevelMtls:\n    \"0\": {mode: STRICT}\n",
	  E, 7, "spec.portLevelMtls[0]", "port must be in range 1..65535" },
	{ "pa port 70000", PA SEL "  portLevelMtls:\n    \"70000\": {mode: STRICT}\n",
	  E, 7, "spec.portLevelMtls[70000]", "port must be in range 1..65535" },
	{ "pa port 65535", PA SEL "  portLevelMtls:\n    \"65535\": {mode: STRICT}\n", OK },
	{ "pa port key not a number", PA SEL
	  "  portLevelMtls:\n    http: {mode: STRICT}\n",
	  E, 7, "spec.portLevelMtls[http]", "type conversion error" },
	{ "pa port key beyond uint32", PA SEL
	  "  portLevelMtls:\n    \"99999999999\": {mode: STRICT}\n",
	  E, 7, NULL, "type conversion error" },
	{ "pa selector wildcard", PA "  selector: {matchLabels: {app: \"*\"}}\n",
	  E, 5, "spec.selector", "wildcard is not supported in selector: \"app=*\"" },
	{ "pa selector without labels", PA "  selector: {}\n",
	  W, 5, "spec.selector", "workload selector specified without labels" },
	{ "pa bad mode", PA "  mtls: {mode: BLAH}\n",
	  E, 5, "spec.mtls.mode", "Unsupported value: \"BLAH\"" },
	{ "pa dry-run annotation",
	  "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
	  "metadata:\n  name: x\n  namespace: ns\n"
	  "  annotations: {istio.io/dry-run: \"true\"}\nspec: {}\n",
	  E, 6, "metadata.annotations",
	  "ns/x has unsupported annotation istio.io/dry-run" },
	{ "pa empty spec", PA "  mtls: {mode: STRICT}\n", OK },
};

static void peer_authentication_rules(void)
{
	vcase_run(K_PEER_AUTHENTICATION, pa_cases,
		  sizeof(pa_cases) / sizeof(pa_cases[0]));
}

#define AP "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	   "metadata: {name: x, namespace: ns}\nspec:\n"
#define PFX "invalid policy x.ns: "

static const struct vcase ap_action_cases[] = {
	{ "ap deny with empty rule", AP "  action: DENY\n  rules: [{}]\n", OK },
	{ "ap deny without rules", AP "  action: DENY\n", E, 5, "spec.rules",
	  PFX "DENY action without `rules` is meaningless" },
	{ "ap allow without rules (allow nothing)", AP "  action: ALLOW\n", OK },
	{ "ap custom without rules", AP
	  "  action: CUSTOM\n  provider: {name: ext}\n", E, 5, "spec.rules",
	  "CUSTOM action without `rules` is meaningless" },
	{ "ap custom without provider", AP "  action: CUSTOM\n  rules: [{}]\n",
	  E, 5, "spec.rules", "`provider.name` must not be empty" },
	{ "ap custom with provider", AP
	  "  action: CUSTOM\n  provider: {name: ext}\n  rules: [{}]\n", OK },
	{ "ap provider on allow", AP "  provider: {name: ext}\n  rules: [{}]\n",
	  E, 5, "spec.rules", "`provider` must not be with non CUSTOM action, found ALLOW" },
	{ "ap custom with principals", AP
	  "  action: CUSTOM\n  provider: {name: ext}\n"
	  "  rules:\n  - from:\n    - source: {principals: [a]}\n",
	  E, 9, NULL, "From.Principals is currently not supported with CUSTOM action" },
	{ "ap custom with request.auth condition", AP
	  "  action: CUSTOM\n  provider: {name: ext}\n"
	  "  rules:\n  - when:\n    - {key: \"request.auth.claims[iss]\", values: [a]}\n",
	  E, 9, NULL, "request.auth.claims[iss] is currently not supported" },
	{ "ap selector and targetRefs", AP SEL
	  "  targetRefs: [{kind: Service, name: s}]\n",
	  E, 5, "spec.selector", "only one of targetRefs or workloadSelector can be set" },
	{ "ap targetRef to a Gateway", AP
	  "  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: g}]\n", OK },
	{ "ap targetRef to a Deployment", AP
	  "  targetRefs: [{kind: Deployment, group: apps, name: d}]\n",
	  E, 5, "spec.targetRefs[0]", "targetRef must be to one of" },
	{ "ap targetRef across namespaces", AP
	  "  targetRefs: [{kind: Service, name: s, namespace: other}]\n",
	  E, 5, "spec.targetRefs[0]", "targetRef namespace must not be set" },
	{ "ap targetRef without name", AP "  targetRef: {kind: Service}\n",
	  E, 5, "spec.targetRef", "targetRef name must be set" },
	{ "ap dry-run true",
	  "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
	  "metadata:\n  name: x\n  namespace: ns\n"
	  "  annotations: {istio.io/dry-run: \"true\"}\nspec: {}\n", OK },
	{ "ap dry-run not a bool",
	  "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
	  "metadata:\n  name: x\n  namespace: ns\n"
	  "  annotations: {istio.io/dry-run: \"maybe\"}\nspec: {}\n",
	  E, 6, "metadata.annotations", "istio.io/dry-run with invalid value (maybe)" },
	{ "ap dry-run on custom",
	  "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
	  "metadata:\n  name: x\n  namespace: ns\n"
	  "  annotations: {istio.io/dry-run: \"true\"}\n"
	  "spec: {action: CUSTOM, provider: {name: e}, rules: [{}]}\n",
	  E, 6, "metadata.annotations", "only supports action ALLOW/DENY" },
};

static void authorization_policy_action(void)
{
	vcase_run(K_AUTHORIZATION_POLICY, ap_action_cases,
		  sizeof(ap_action_cases) / sizeof(ap_action_cases[0]));
}

#define RULE AP "  rules:\n  - "

static const struct vcase ap_rule_cases[] = {
	{ "ap rule null", AP "  rules:\n  - null\n", E, 6, "spec.rules[0]",
	  "`rule` must not be nil, found at rule 0" },
	{ "ap from empty list", RULE "from: []\n", E, 6, "spec.rules[0]",
	  "`from` must not be empty, found at rule 0" },
	{ "ap to empty list", RULE "to: []\n", E, 6, "spec.rules[0]",
	  "`to` must not be empty, found at rule 0" },
	{ "ap from without source", RULE "from: [{}]\n", E, 6,
	  "spec.rules[0].from[0]", "`from.source` must not be nil, found at rule 0" },
	{ "ap from with empty source", RULE "from:\n    - source: {}\n", E, 7,
	  "spec.rules[0].from[0].source", "`from.source` must not be empty, found at rule 0" },
	{ "ap to without operation", RULE "to: [{}]\n", E, 6,
	  "spec.rules[0].to[0]", "`to.operation` must not be nil, found at rule 0" },
	{ "ap to with empty operation", RULE "to:\n    - operation: {}\n", E, 7,
	  "spec.rules[0].to[0].operation", "`to.operation` must not be empty, found at rule 0" },
	{ "ap serviceAccounts alone", RULE
	  "from:\n    - source: {serviceAccounts: [ns/sa, sa]}\n", OK },
	{ "ap serviceAccounts with namespaces", RULE
	  "from:\n    - source: {serviceAccounts: [sa], namespaces: [ns]}\n", E, 7,
	  "spec.rules[0].from[0].source",
	  "cannot set serviceAccounts with namespaces or principals, found at rule 0" },
	{ "ap serviceAccounts with three segments", RULE
	  "from:\n    - source:\n        serviceAccounts: [a/b/c]\n", E, 8, NULL,
	  "expected format 'serviceAccount' or 'namespace/serviceAccount'" },
	{ "ap serviceAccounts wildcard", RULE
	  "from:\n    - source:\n        serviceAccounts: [\"ns/*\"]\n", E, 8, NULL,
	  "wildcard not allowed, found \"ns/*\" in ServiceAccounts" },
	{ "ap ipBlocks good", RULE
	  "from:\n    - source: {ipBlocks: [10.0.0.0/8, 1.2.3.4, \"::1\", \"fd00::/8\"]}\n", OK },
	{ "ap ipBlocks bad CIDR", RULE
	  "from:\n    - source:\n        ipBlocks:\n        - 10.0.0.0/33\n", E, 9,
	  "spec.rules[0].from[0].source", "bad CIDR range (10.0.0.0/33)" },
	{ "ap remoteIpBlocks bad IP", RULE
	  "from:\n    - source:\n        remoteIpBlocks:\n        - 300.1.1.1\n", E, 9,
	  NULL, "bad IP address (300.1.1.1)" },
	{ "ap empty principal", RULE
	  "from:\n    - source:\n        principals:\n        - \"\"\n", E, 9, NULL,
	  "empty value not allowed, found in Principals" },
	{ "ap ports good", RULE "to:\n    - operation: {ports: [\"8080\"], methods: [GET]}\n", OK },
	{ "ap port out of range", RULE
	  "to:\n    - operation:\n        ports:\n        - \"70000\"\n", E, 9,
	  "spec.rules[0].to[0].operation", "bad port (70000)" },
	{ "ap port not a number", RULE
	  "to:\n    - operation:\n        notPorts:\n        - http\n", E, 9, NULL,
	  "bad port (http)" },
	{ "ap empty method", RULE "to:\n    - operation:\n        methods: [\"\"]\n",
	  E, 8, NULL, "empty value not allowed, found in Methods" },
	{ "ap path templates good", RULE
	  "to:\n    - operation: {paths: [\"/a/{*}/b\", \"/x/{**}\", \"/api/*\"]}\n", OK },
	{ "ap path {**} not last", RULE
	  "to:\n    - operation:\n        paths:\n        - /{**}/a/{**}\n", E, 9, NULL,
	  "{**} is not the last operator" },
	{ "ap path named variable", RULE
	  "to:\n    - operation:\n        notPaths:\n        - /a/{name}\n", E, 9, NULL,
	  "Contains '{' or '}' beyond a supported path template" },
};

static void authorization_policy_rules(void)
{
	vcase_run(K_AUTHORIZATION_POLICY, ap_rule_cases,
		  sizeof(ap_rule_cases) / sizeof(ap_rule_cases[0]));
}

static const struct vcase ap_when_cases[] = {
	{ "ap when good", RULE
	  "when:\n    - {key: \"request.headers[x-user]\", values: [a]}\n"
	  "    - {key: source.ip, notValues: [10.0.0.0/8]}\n"
	  "    - {key: destination.port, values: [\"80\"]}\n"
	  "    - {key: source.serviceAccount, values: [ns/sa]}\n", OK },
	{ "ap when without key", RULE "when:\n    - values: [a]\n", E, 7,
	  "spec.rules[0].when[0]", "`key` must not be empty" },
	{ "ap when without values", RULE "when:\n    - key: source.ip\n", E, 7,
	  "spec.rules[0].when[0]", "at least one of `values` or `notValues` must be set for key source.ip" },
	{ "ap when unknown key", RULE "when:\n    - {key: source.color, values: [red]}\n",
	  E, 7, "spec.rules[0].when[0]", "invalid `value` for `key` source.color" },
	{ "ap when header without name", RULE
	  "when:\n    - {key: request.headers, values: [a]}\n", E, 7, NULL,
	  "should have format a[b]" },
	{ "ap when bad source.ip", RULE
	  "when:\n    - key: source.ip\n      values:\n      - 1.2.3.4/99\n", E, 9,
	  NULL, "bad CIDR range (1.2.3.4/99)" },
	{ "ap when bad destination.port", RULE
	  "when:\n    - key: destination.port\n      notValues:\n      - \"-1\"\n", E, 9,
	  NULL, "bad port (-1)" },
	{ "ap when replaced attribute", RULE
	  "when:\n    - {key: destination.namespace, values: [a]}\n", E, 7, NULL,
	  "is replaced by the metadata.namespace" },
	{ "ap when empty value", RULE
	  "when:\n    - {key: source.namespace, values: [\"\"]}\n", E, 7, NULL,
	  "empty value not allowed" },
};

static void authorization_policy_conditions(void)
{
	vcase_run(K_AUTHORIZATION_POLICY, ap_when_cases,
		  sizeof(ap_when_cases) / sizeof(ap_when_cases[0]));
}

#define DENY AP "  action: DENY\n  rules:\n  - "
#define TCPWARN "configured AuthorizationPolicy will deny all traffic to TCP ports"

static const struct vcase ap_deny_http_cases[] = {
	{ "ap deny methods only", DENY "to:\n    - operation: {methods: [POST]}\n",
	  W, 7, "spec.rules[0]", TCPWARN },
	{ "ap deny methods and ports", DENY
	  "to:\n    - operation: {methods: [POST], ports: [\"8080\"]}\n", OK },
	{ "ap deny requestPrincipals only", DENY
	  "from:\n    - source: {requestPrincipals: [\"*\"]}\n", W, 7, "spec.rules[0]",
	  TCPWARN },
	{ "ap deny principals only", DENY
	  "from:\n    - source: {notPrincipals: [\"*\"]}\n", OK },
	{ "ap deny source L4 but operation HTTP", DENY
	  "from:\n    - source: {namespaces: [a]}\n    to:\n"
	  "    - operation: {paths: [/admin]}\n", W, 7, "spec.rules[0]", TCPWARN },
	{ "ap allow methods only", AP
	  "  rules:\n  - to:\n    - operation: {methods: [GET]}\n", OK },
};

static void authorization_policy_deny_http_warning(void)
{
	vcase_run(K_AUTHORIZATION_POLICY, ap_deny_http_cases,
		  sizeof(ap_deny_http_cases) / sizeof(ap_deny_http_cases[0]));
}

/* Hostile values: long lists, huge numbers, odd types never crash and
 * always end in a verdict. */
static void hostile_values_do_not_crash(void)
{
	size_t n = 20000, i, len = 0, cap = n * 32 + 4096;
	char *y = malloc(cap);
	struct config *c;

	len += (size_t)snprintf(y + len, cap - len, "%s", RULE "from:\n    - source:\n"
				"        ipBlocks:\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(y + len, cap - len,
					"        - 10.%zu.%zu.0/%zu\n", i / 256 % 256,
					i % 256, i % 40);
	snprintf(y + len, cap - len, "    to:\n    - operation:\n        ports: "
		 "[\"\", \"99999999999999999999\", \"-0\", \"0x50\"]\n");
	c = unit_load(y);
	CU_ASSERT_TRUE(unit_obj(c, K_AUTHORIZATION_POLICY, "x")->invalid);
	CU_ASSERT_TRUE(unit_count_code(c, "IST0106") >= 5);
	unit_free(c);
	free(y);

	c = unit_load(PA SEL "  portLevelMtls:\n    \"-1\": {mode: STRICT}\n"
		      "    \"\": {mode: STRICT}\n    \"4294967296\": null\n");
	CU_ASSERT_EQUAL(unit_count_code(c, "IST0106"), 3);
	unit_free(c);
}

UNIT_SUITE(validate_security)
{
	UNIT_TEST(s, peer_authentication_rules);
	UNIT_TEST(s, authorization_policy_action);
	UNIT_TEST(s, authorization_policy_rules);
	UNIT_TEST(s, authorization_policy_conditions);
	UNIT_TEST(s, authorization_policy_deny_http_warning);
	UNIT_TEST(s, hostile_values_do_not_crash);
}
