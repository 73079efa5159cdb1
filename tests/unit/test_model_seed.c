// SPDX-License-Identifier: Apache-2.0
/* The model built from the user's own config (../shared/fixtures/seed). */
#include <math.h>
#include <stdio.h>

#include "harness.h"
#include "model/explain.h"
#include "model/model.h"

#define SEED "../shared/fixtures/seed"
#define MODEL_SERVER "model-server.ai-inference.svc.cluster.local"

static struct config *load_seed(void)
{
	struct config *c = malloc(sizeof(*c));

	config_init(c);
	CU_ASSERT_EQUAL(config_load_path(c, SEED), 0);
	config_validate(c);
	return c;
}

static const struct subset_eff *subset(const struct model_service *s,
				       const char *name)
{
	size_t i;

	for (i = 1; i < s->n_subsets; i++)
		if (!strcmp(s->subsets[i].name, name))
			return &s->subsets[i];
	CU_FAIL_FATAL("subset missing");
	return NULL;
}

static void seed_routes_and_policies(void)
{
	struct config *c = load_seed();
	struct model m;
	const struct model_service *s;
	const struct subset_eff *v1;

	model_build(&m, c);
	s = model_service(&m, MODEL_SERVER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* 04 and 07 both claim model-server: the first loaded keeps it */
	CU_ASSERT_STRING_EQUAL(s->vs->meta.name, "model-server");
	CU_ASSERT_EQUAL_FATAL(s->n_vs_ignored, 1);
	CU_ASSERT_STRING_EQUAL(s->vs_ignored[0]->meta.name,
			       "streaming-inference");
	/* the 90/10 canary */
	CU_ASSERT_EQUAL_FATAL(s->n_http, 3);
	CU_ASSERT_EQUAL_FATAL(s->http[2].n_dests, 2);
	CU_ASSERT(fabs(s->http[2].dests[0].share - 0.9) < 1e-9);
	CU_ASSERT_EQUAL(s->http[2].timeout_ns, 60000000000LL);
	CU_ASSERT_STRING_EQUAL(s->http[2].retries.retry_on,
			       "unavailable,resource-exhausted");
	/* 08 is rejected (distribute with failover) and stays out; 05 and
	 * 06 merge, and 05's trafficPolicy wins over 06's circuit breaker */
	CU_ASSERT_TRUE(unit_obj(c, K_DESTINATION_RULE,
				"model-server-locality")->invalid);
	CU_ASSERT_EQUAL_FATAL(s->n_drs, 2);
	CU_ASSERT_STRING_EQUAL(s->drs[1]->meta.name,
			       "model-server-circuit-breaker");
	CU_ASSERT_STRING_EQUAL(s->tp_dr->meta.name, "model-server");
	v1 = subset(s, "v1-stable");
	CU_ASSERT_EQUAL_FATAL(v1->n_policies, 1);
	/* the subset's connectionPool.http drops the DR's tcp limits */
	CU_ASSERT_EQUAL(v1->policies[0].pool.max_requests_per_connection, 50);
	CU_ASSERT_EQUAL(v1->policies[0].pool.max_connections, POOL_UNLIMITED);
	/* 06's circuit breaker never applies: no outlier detection at all */
	CU_ASSERT_FALSE(v1->policies[0].outlier.enabled);
	model_free(&m);
	unit_free(c);
}

static void seed_security(void)
{
	struct config *c = load_seed();
	struct model m;
	size_t i;
	const struct model_namespace *ns = NULL;

	model_build(&m, c);
	for (i = 0; i < m.n_nss; i++)
		if (!strcmp(m.nss[i].ns, "ai-inference"))
			ns = &m.nss[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	/* the namespace PA with portLevelMtls and no selector is rejected,
	 * so the mesh-wide STRICT policy decides */
	CU_ASSERT_EQUAL(ns->mtls.mode, MTLS_STRICT);
	CU_ASSERT_EQUAL(ns->mtls.level, PA_MESH);
	CU_ASSERT_EQUAL(ns->mtls.n_ports, 0);
	/* restrict-egress: an ALLOW on hosts, which TCP cannot see */
	CU_ASSERT_EQUAL_FATAL(ns->authz.n, 1);
	CU_ASSERT_STRING_EQUAL(ns->authz.v[0].obj->meta.name,
			       "restrict-egress");
	CU_ASSERT_EQUAL(ns->authz.v[0].rules[0].fate, L4_DROPPED);
	CU_ASSERT_TRUE(ns->authz.has_allow);
	model_free(&m);
	unit_free(c);
}

static void seed_explain_json_parses(void)
{
	struct config *c = load_seed();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	explain_print(c, true, f);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"host\": \"" MODEL_SERVER "\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"tcp\": \"dropped\""));
	CU_ASSERT_NOT_EQUAL(strcmp(buf, "{}\n"), 0); /* not the placeholder */
	free(buf);
	unit_free(c);
}

UNIT_SUITE(model_seed)
{
	UNIT_TEST(s, seed_routes_and_policies);
	UNIT_TEST(s, seed_security);
	UNIT_TEST(s, seed_explain_json_parses);
}
