// SPDX-License-Identifier: Apache-2.0
/* DestinationRule resolution: section replacement, port-level settings,
 * merging of several DRs, defaults, and endpoints per subset. */
#include "harness.h"
#include "model/model.h"

#define SVC_A \
	"apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: shop}\n" \
	"spec:\n  selector: {app: a}\n" \
	"  ports: [{name: http, port: 8080}, {name: http-metrics, port: 9090}]\n"
#define DR(name, ns, extra) \
	"---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata: {name: " name ", namespace: " ns extra "}\nspec:\n"
#define HOST "a.shop.svc.cluster.local"
#define SEC 1000000000LL

static const struct model_service *svc(const struct model *m)
{
	const struct model_service *s = model_service(m, HOST);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static const struct policy_eff *pol(const struct model_service *s,
				    const char *subset, uint32_t port)
{
	size_t i, j;

	for (i = 0; i < s->n_subsets; i++) {
		const struct subset_eff *e = &s->subsets[i];

		if (subset ? !e->name || strcmp(e->name, subset) : !!e->name)
			continue;
		for (j = 0; j < e->n_policies; j++)
			if (e->policies[j].port == port)
				return &e->policies[j];
	}
	CU_FAIL_FATAL("no policy for that subset and port");
	return NULL;
}

static void port_level_replaces_sections_and_falls_back_to_defaults(void)
{
	struct config *c = unit_load(SVC_A DR("d", "shop", "")
		"  host: a\n  trafficPolicy:\n"
		"    loadBalancer: {simple: ROUND_ROBIN}\n"
		"    connectionPool: {tcp: {maxConnections: 100}}\n"
		"    outlierDetection: {consecutive5xxErrors: 3}\n"
		"    portLevelSettings:\n    - port: {number: 8080}\n"
		"      connectionPool: {http: {maxRequestsPerConnection: 5}}\n");
	struct model m;
	const struct policy_eff *p;

	model_build(&m, c);
	p = pol(svc(&m), NULL, 8080);
	/* the port entry replaced all four sections, unset ones by defaults */
	CU_ASSERT_EQUAL(p->pool.max_requests_per_connection, 5);
	CU_ASSERT_EQUAL(p->pool.max_connections, POOL_UNLIMITED);
	CU_ASSERT_EQUAL(p->pool.src.from, TPO_DR_PORT);
	CU_ASSERT_EQUAL(p->lb.simple, LB_LEAST_REQUEST);
	CU_ASSERT_EQUAL(p->lb.src.from, TPO_DR_PORT);
	CU_ASSERT_FALSE(p->outlier.enabled);
	p = pol(svc(&m), NULL, 9090);
	/* other ports keep the DR-level policy */
	CU_ASSERT_EQUAL(p->pool.max_connections, 100);
	CU_ASSERT_EQUAL(p->lb.simple, LB_ROUND_ROBIN);
	CU_ASSERT_TRUE(p->outlier.enabled);
	CU_ASSERT_EQUAL(p->outlier.consecutive_5xx, 3);
	model_free(&m);
	unit_free(c);
}

static void subset_section_replaces_the_whole_section(void)
{
	struct config *c = unit_load(SVC_A DR("d", "shop", "")
		"  host: a\n  trafficPolicy:\n"
		"    connectionPool:\n      tcp: {maxConnections: 200}\n"
		"      http: {maxRequestsPerConnection: 100}\n"
		"    outlierDetection: {consecutive5xxErrors: 3}\n"
		"  subsets:\n  - name: v1\n    labels: {version: v1}\n"
		"    trafficPolicy:\n"
		"      connectionPool: {http: {maxRequestsPerConnection: 50}}\n");
	struct model m;
	const struct policy_eff *p;

	model_build(&m, c);
	p = pol(svc(&m), "v1", 8080);
	/* connectionPool.http in the subset drops the DR's connectionPool.tcp */
	CU_ASSERT_EQUAL(p->pool.max_requests_per_connection, 50);
	CU_ASSERT_EQUAL(p->pool.max_connections, POOL_UNLIMITED);
	CU_ASSERT_EQUAL(p->pool.src.from, TPO_SUBSET);
	/* sections the subset does not set stay the DR's */
	CU_ASSERT_TRUE(p->outlier.enabled);
	CU_ASSERT_EQUAL(p->outlier.src.from, TPO_DR);
	p = pol(svc(&m), NULL, 8080);
	CU_ASSERT_EQUAL(p->pool.max_connections, 200);
	model_free(&m);
	unit_free(c);
}

static void subset_port_level_replaces_all_four_even_unset(void)
{
	struct config *c = unit_load(SVC_A DR("d", "shop", "")
		"  host: a\n  trafficPolicy:\n"
		"    outlierDetection: {consecutive5xxErrors: 3}\n"
		"    tls: {mode: ISTIO_MUTUAL}\n"
		"  subsets:\n  - name: v1\n    labels: {version: v1}\n"
		"    trafficPolicy:\n      portLevelSettings:\n"
		"      - port: {number: 9090}\n"
		"        loadBalancer: {simple: RANDOM}\n");
	struct model m;
	const struct policy_eff *p;

	model_build(&m, c);
	p = pol(svc(&m), "v1", 9090);
	CU_ASSERT_EQUAL(p->lb.simple, LB_RANDOM);
	CU_ASSERT_FALSE(p->outlier.enabled); /* replaced by nothing */
	CU_ASSERT_FALSE(p->tls.set);
	CU_ASSERT_TRUE(p->tls.auto_mtls);
	p = pol(svc(&m), "v1", 8080);
	CU_ASSERT_TRUE(p->outlier.enabled); /* other port: DR level */
	CU_ASSERT_EQUAL(p->tls.mode, TLS_ISTIO_MUTUAL);
	model_free(&m);
	unit_free(c);
}

static void several_drs_merge_first_policy_wins(void)
{
	struct config *c = unit_load(SVC_A
		DR("second", "shop", ", creationTimestamp: \"2024-02-01T00:00:00Z\"")
		"  host: a\n  trafficPolicy: {loadBalancer: {simple: RANDOM}}\n"
		"  subsets:\n  - {name: v1, labels: {version: other}}\n"
		"  - {name: v2, labels: {version: v2}}\n"
		DR("first", "shop", ", creationTimestamp: \"2024-01-01T00:00:00Z\"")
		"  host: a.shop.svc.cluster.local\n"
		"  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n"
		"  subsets:\n  - {name: v1, labels: {version: v1}}\n"
		DR("elsewhere", "other", "") "  host: a.shop.svc.cluster.local\n"
		"  subsets:\n  - {name: v9, labels: {version: v9}}\n");
	struct model m;
	const struct model_service *s;

	model_build(&m, c);
	s = svc(&m);
	CU_ASSERT_EQUAL_FATAL(s->n_drs, 2);
	CU_ASSERT_STRING_EQUAL(s->drs[0]->meta.name, "first");
	CU_ASSERT_STRING_EQUAL(s->tp_dr->meta.name, "first");
	CU_ASSERT_EQUAL(pol(s, NULL, 8080)->lb.simple, LB_ROUND_ROBIN);
	/* subsets concatenated; the repeated v1 of the newer DR dropped */
	CU_ASSERT_EQUAL_FATAL(s->n_subsets, 3);
	CU_ASSERT_STRING_EQUAL(s->subsets[1].name, "v1");
	CU_ASSERT_STRING_EQUAL(kvs_get(&s->subsets[1].subset->labels,
				       "version"), "v1");
	CU_ASSERT_STRING_EQUAL(s->subsets[2].name, "v2");
	CU_ASSERT_EQUAL(s->n_subsets_dropped, 1);
	/* a DR of another namespace is not merged */
	CU_ASSERT_EQUAL_FATAL(s->n_drs_other, 1);
	CU_ASSERT_STRING_EQUAL(s->drs_other[0]->meta.name, "elsewhere");
	model_free(&m);
	unit_free(c);
}

static void defaults_are_filled(void)
{
	struct config *c = unit_load(SVC_A DR("d", "shop", "")
		"  host: a\n  trafficPolicy:\n"
		"    outlierDetection: {consecutive5xxErrors: 7}\n");
	struct model m;
	const struct policy_eff *p;

	model_build(&m, c);
	p = pol(svc(&m), NULL, 8080);
	CU_ASSERT_EQUAL(p->lb.simple, LB_LEAST_REQUEST);
	CU_ASSERT_EQUAL(p->outlier.consecutive_5xx, 7);
	CU_ASSERT_EQUAL(p->outlier.max_ejection_percent, 10);
	CU_ASSERT_EQUAL(p->outlier.min_health_percent, 0);
	CU_ASSERT_EQUAL(p->outlier.interval_ns, 10 * SEC);
	CU_ASSERT_EQUAL(p->outlier.base_ejection_ns, 30 * SEC);
	CU_ASSERT_EQUAL(p->pool.connect_timeout_ns, 10 * SEC);
	CU_ASSERT_EQUAL(p->pool.http1_max_pending, POOL_UNLIMITED);
	CU_ASSERT_EQUAL(p->pool.h2_upgrade, H2_DO_NOT_UPGRADE);
	/* outlier detection present: locality failover is on */
	CU_ASSERT_TRUE(p->locality.enabled);
	CU_ASSERT_TRUE(p->locality.failover_active);
	model_free(&m);
	unit_free(c);
}

static void endpoints_per_subset_and_locality(void)
{
	struct config *c = unit_load(SVC_A
		"---\napiVersion: v1\nkind: Pod\n"
		"metadata: {name: a-1, namespace: shop, labels: {app: a, version: v1}}\n"
		"spec: {serviceAccountName: a-sa}\nstatus: {podIP: 10.0.0.1}\n"
		"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		"metadata: {name: a-vm, namespace: shop}\n"
		"spec: {address: 10.0.0.2, labels: {app: a, version: v2},\n"
		"       locality: us-east-1/us-east-1a, weight: 3}\n"
		DR("d", "shop", "") "  host: a\n  subsets:\n"
		"  - {name: v1, labels: {version: v1}}\n"
		"  - {name: v2, labels: {version: v2}}\n"
		"  - {name: none, labels: {version: v1, track: canary}}\n");
	struct model m;
	const struct model_service *s;
	const struct model_workload *w;

	model_build(&m, c);
	s = svc(&m);
	CU_ASSERT_EQUAL_FATAL(s->n_subsets, 4);
	CU_ASSERT_EQUAL(s->subsets[0].n_eps, 2); /* whole service */
	CU_ASSERT_EQUAL_FATAL(s->subsets[1].n_eps, 1);
	CU_ASSERT_STRING_EQUAL(s->subsets[1].eps[0].address, "10.0.0.1");
	CU_ASSERT_EQUAL_FATAL(s->subsets[2].n_eps, 1);
	CU_ASSERT_STRING_EQUAL(s->subsets[2].eps[0].locality,
			       "us-east-1/us-east-1a");
	CU_ASSERT_EQUAL(s->subsets[2].eps[0].weight, 3);
	CU_ASSERT_EQUAL(s->subsets[3].n_eps, 0); /* labels are ANDed */
	w = model_workload(&m, "shop", "a-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_STRING_EQUAL(w->identity,
			       "spiffe://cluster.local/ns/shop/sa/a-sa");
	model_free(&m);
	unit_free(c);
}

UNIT_SUITE(model_policy)
{
	UNIT_TEST(s, port_level_replaces_sections_and_falls_back_to_defaults);
	UNIT_TEST(s, subset_section_replaces_the_whole_section);
	UNIT_TEST(s, subset_port_level_replaces_all_four_even_unset);
	UNIT_TEST(s, several_drs_merge_first_policy_wins);
	UNIT_TEST(s, defaults_are_filled);
	UNIT_TEST(s, endpoints_per_subset_and_locality);
}
