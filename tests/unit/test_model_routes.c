// SPDX-License-Identifier: Apache-2.0
/* VirtualService resolution: weights, duplicate hosts, timeouts, retries. */
#include <math.h>

#include "harness.h"
#include "model/model.h"

#define VS(name, extra) \
	"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n" \
	"metadata: {name: " name ", namespace: shop" extra "}\nspec:\n"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static const struct model_service *svc(const struct model *m,
				       const char *host)
{
	const struct model_service *s = model_service(m, host);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static void weights_are_relative_and_zero_is_dropped(void)
{
	struct config *c = unit_load(VS("w", "")
		"  hosts: [a]\n  http:\n  - route:\n"
		"    - {destination: {host: a, subset: v1}, weight: 30}\n"
		"    - {destination: {host: a, subset: v2}, weight: 10}\n"
		"    - {destination: {host: a, subset: v3}, weight: 0}\n"
		"    - {destination: {host: a, subset: v4}}\n"
		"  - match: [{uri: {prefix: /one}}]\n"
		"    route:\n    - {destination: {host: a, subset: v1}, weight: 0}\n");
	struct model m;
	const struct model_service *s;

	model_build(&m, c);
	s = svc(&m, "a.shop.svc.cluster.local");
	CU_ASSERT_EQUAL_FATAL(s->n_http, 2);
	/* 30:10 is 75/25 (sum need not be 100); weight 0 and unset dropped */
	CU_ASSERT_EQUAL_FATAL(s->http[0].n_dests, 2);
	CU_ASSERT_EQUAL(s->http[0].n_dropped, 2);
	CU_ASSERT_STRING_EQUAL(s->http[0].dests[0].subset, "v1");
	CU_ASSERT(NEAR(s->http[0].dests[0].share, 0.75));
	CU_ASSERT(NEAR(s->http[0].dests[1].share, 0.25));
	CU_ASSERT_STRING_EQUAL(s->http[0].dests[0].host,
			       "a.shop.svc.cluster.local");
	/* a single destination gets everything whatever its weight */
	CU_ASSERT_EQUAL(s->http[1].n_dests, 1);
	CU_ASSERT(NEAR(s->http[1].dests[0].share, 1.0));
	model_free(&m);
	unit_free(c);
}

static void duplicate_host_oldest_vs_wins(void)
{
	struct config *c = unit_load(
		VS("newer", ", creationTimestamp: \"2024-02-01T00:00:00Z\"")
		"  hosts: [a]\n  http:\n  - route: [{destination: {host: a, subset: x}}]\n"
		VS("older", ", creationTimestamp: \"2024-01-01T00:00:00Z\"")
		"  hosts: [a.shop.svc.cluster.local]\n"
		"  http:\n  - route: [{destination: {host: a, subset: y}}]\n"
		VS("gw-only", "") "  hosts: [a]\n  gateways: [my-gw]\n"
		"  http:\n  - route: [{destination: {host: a}}]\n");
	struct model m;
	const struct model_service *s;

	model_build(&m, c);
	s = svc(&m, "a.shop.svc.cluster.local");
	CU_ASSERT_STRING_EQUAL(s->vs->meta.name, "older");
	CU_ASSERT_EQUAL_FATAL(s->n_vs_ignored, 1);
	/* a gateway-only VS does not compete for mesh traffic */
	CU_ASSERT_STRING_EQUAL(s->vs_ignored[0]->meta.name, "newer");
	CU_ASSERT_STRING_EQUAL(s->http[0].dests[0].subset, "y");
	model_free(&m);
	unit_free(c);
}

static void timeout_and_retry_defaults(void)
{
	struct config *c = unit_load(VS("r", "")
		"  hosts: [a]\n  http:\n"
		"  - match: [{uri: {prefix: /none}}]\n"
		"    route: [{destination: {host: a}}]\n    retries: {attempts: 0}\n"
		"  - match: [{uri: {prefix: /codes}}]\n"
		"    route: [{destination: {host: a}}]\n    timeout: 15s\n"
		"    retries: {attempts: 3, perTryTimeout: 5s, retryOn: \"503,reset\"}\n"
		"  - match: [{uri: {prefix: /attempts}}]\n"
		"    route: [{destination: {host: a}}]\n    retries: {attempts: 4}\n"
		"  - route: [{destination: {host: a}}]\n");
	struct model m;
	const struct model_service *s;
	const struct retry_eff *r;

	model_build(&m, c);
	s = svc(&m, "a.shop.svc.cluster.local");
	CU_ASSERT_EQUAL_FATAL(s->n_http, 4);
	CU_ASSERT_EQUAL(s->http[0].retries.attempts, 0); /* disabled */
	CU_ASSERT_FALSE(s->http[0].retries.is_default);
	r = &s->http[1].retries;
	CU_ASSERT_EQUAL(s->http[1].timeout_ns, 15000000000LL);
	CU_ASSERT_EQUAL(r->attempts, 3);
	/* status codes leave retryOn and bring retriable-status-codes */
	CU_ASSERT_STRING_EQUAL(r->retry_on, "reset,retriable-status-codes");
	CU_ASSERT_EQUAL_FATAL(r->n_codes, 1);
	CU_ASSERT_EQUAL(r->codes[0], 503);
	CU_ASSERT_EQUAL(r->per_try_timeout_ns, 5000000000LL);
	/* attempts without retryOn keeps the default conditions */
	CU_ASSERT_EQUAL(s->http[2].retries.attempts, 4);
	CU_ASSERT_STRING_EQUAL(s->http[2].retries.retry_on,
			       "connect-failure,refused-stream,unavailable,"
			       "cancelled,retriable-status-codes");
	/* no retries block: Istio's built-in policy, no timeout */
	CU_ASSERT_TRUE(s->http[3].retries.is_default);
	CU_ASSERT_EQUAL(s->http[3].retries.attempts, 2);
	CU_ASSERT_EQUAL(s->http[3].timeout_ns, 0);
	model_free(&m);
	unit_free(c);
}

static void host_without_vs_gets_the_default_route(void)
{
	struct config *c = unit_load(
		"apiVersion: v1\nkind: Service\n"
		"metadata: {name: b, namespace: shop}\n"
		"spec:\n  selector: {app: b}\n"
		"  ports: [{name: http, port: 80}]\n"
		"---\napiVersion: v1\nkind: Service\n"
		"metadata: {name: db, namespace: shop}\n"
		"spec:\n  selector: {app: db}\n"
		"  ports: [{name: tcp-pg, port: 5432}]\n");
	struct model m;
	const struct model_service *s;

	model_build(&m, c);
	s = svc(&m, "b.shop.svc.cluster.local");
	CU_ASSERT_PTR_NULL(s->vs);
	CU_ASSERT_EQUAL_FATAL(s->n_http, 1);
	CU_ASSERT_PTR_NULL(s->http[0].r);
	CU_ASSERT_TRUE(s->http[0].retries.is_default);
	CU_ASSERT(NEAR(s->http[0].dests[0].share, 1.0));
	s = svc(&m, "db.shop.svc.cluster.local");
	CU_ASSERT_EQUAL(s->n_http, 0); /* TCP-only: a TCP default route */
	CU_ASSERT_EQUAL(s->n_tcp, 1);
	model_free(&m);
	unit_free(c);
}

UNIT_SUITE(model_routes)
{
	UNIT_TEST(s, weights_are_relative_and_zero_is_dropped);
	UNIT_TEST(s, duplicate_host_oldest_vs_wins);
	UNIT_TEST(s, timeout_and_retry_defaults);
	UNIT_TEST(s, host_without_vs_gets_the_default_route);
}
