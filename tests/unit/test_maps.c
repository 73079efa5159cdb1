// SPDX-License-Identifier: Apache-2.0
/* `infermesh maps`: decoders and views over fake map contents. Generation
 * 1 is live and generation 0 holds stale entries that must never show. */
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "maps/view.h"
#include "maps_fake.h"

#define NOW (1000ULL * 1000000000ULL)	/* a monotonic "now": 1000 s */

static const char names_json[] =
	"{\"version\": 1, \"gen\": 1, \"node\": \"node-a\","
	" \"services\": {\"7\": \"model-server.ai-inference.svc.cluster.local:8080\"},"
	" \"routes\": {\"5\": \"ai-inference/model-server tcp[0]\"},"
	" \"subsets\": {\"2\": \"v1\", \"3\": \"v2\"},"
	" \"principals\": {\"1\": \"spiffe://cluster.local/ns/ai-inference/sa/orchestrator\"},"
	" \"namespaces\": {\"1\": \"ai-inference\"},"
	" \"rules\": {\"9\": \"ai-inference/vector-retriever-access rules[0]\"},"
	" \"polsets\": {\"1\": \"ai-inference/vector-retriever-a\"},"
	" \"cgroups\": {\"4242\": \"infermesh/ai-inference/orchestrator\"},"
	" \"endpoints\": {\"10.10.1.14\": {\"workload\": \"ai-inference/model-server-v1-a\","
	"   \"locality\": \"us-east-1/us-east-1a\", \"labels\": {\"version\": \"v1\"}}}}";

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void put_services(struct fake *f)
{
	struct im_svc_key k = { ip("10.96.0.20"), htons(8080), 1, 0 };
	struct im_svc_key stale = { ip("10.96.0.20"), htons(8080), 0, 0 };
	struct im_svc v = { .svc_id = 7, .route = 5 };
	struct im_svc sv = { .svc_id = 7, .route = 1 };
	struct im_route rt = { .n_dst = 2, .dst = { { 2, 90 }, { 3, 10 } } };
	struct im_route old = { .n_dst = 1, .dst = { { 2, 100 } } };
	struct im_cfg cfg = { .gen = 1 };

	fake_put_idx(f, "im_cfg", 0, &cfg);
	fake_put(f, "im_svc", false, &k, sizeof(k), &v, sizeof(v));
	fake_put(f, "im_svc", false, &stale, sizeof(stale), &sv, sizeof(sv));
	fake_put_idx(f, "im_route_v2", IM_MAX_ROUTES + 5, &rt);
	fake_put_idx(f, "im_route_v2", 1, &old);
}

static void put_endpoints(struct fake *f)
{
	struct im_subset v1 = { .first_ep = 0, .n_ep = 2, .flags = IM_SUB_OUTLIER,
				.max_eject_pct = 50, .consec_fail = 5,
				.base_eject_ms = 30000, .svc_id = 7 };
	struct im_subset v2 = { .first_ep = 2, .n_ep = 1, .lb = IM_LB_RANDOM,
				.svc_id = 7 };
	struct im_ep e0 = { ip("10.10.1.14"), htons(8080), 0, 0, 1, 10,
			    0, 0, 0, 0 };
	struct im_ep e1 = { ip("10.10.2.14"), htons(8080), 1, 1, 1, 11,
			    0, 0, 0, 0 };
	struct im_ep e2 = { ip("10.10.1.15"), htons(8080), 0, 0, 1, 12,
			    0, 0, 0, 0 };
	struct im_ep_state s0 = { .active = 3, .conns = 40 };
	struct im_ep_state s1 = { .consec_fail = 5, .ejections = 1,
				  .ejected_until = NOW + 12500000000ULL };

	fake_put_idx(f, "im_subset_v2", IM_MAX_SUBSETS + 2, &v1);
	fake_put_idx(f, "im_subset_v2", IM_MAX_SUBSETS + 3, &v2);
	fake_put_idx(f, "im_subset_v2", 2, &v2);	/* stale gen 0 */
	fake_put_idx(f, "im_ep_v3", IM_MAX_ENDPOINTS + 0, &e0);
	fake_put_idx(f, "im_ep_v3", IM_MAX_ENDPOINTS + 1, &e1);
	fake_put_idx(f, "im_ep_v3", IM_MAX_ENDPOINTS + 2, &e2);
	fake_put_idx(f, "im_ep_state", e0.slot, &s0);
	fake_put_idx(f, "im_ep_state", e1.slot, &s1);
}

static void put_policy(struct fake *f)
{
	struct im_wlport_key any = { ip("10.10.1.12"), 0, 1, 0 };
	struct im_wlport_key met = { ip("10.10.1.12"), htons(9090), 1, 0 };
	struct im_wlport strict = { .mode = IM_MODE_STRICT, .polset = 1 };
	struct im_wlport perm = { .mode = IM_MODE_PERMISSIVE };
	struct im_polset ps = { .first = 4, .n = 2, .has_allow = 1 };
	struct im_clause c4 = { IM_ACT_ALLOW, IM_F_PRINC | IM_F_IPB, 0, 9,
				{ [IM_A_IPB] = 1ULL << 8 } };
	struct im_clause c5 = { .action = IM_ACT_ALLOW, .fields = IM_F_PORTS,
				.rule_id = 10 };
	struct im_member_key m4 = { IM_MAX_CLAUSES + 4, 1, IM_F_PRINC, 0,
				    {} };
	struct im_member_key m5 = { IM_MAX_CLAUSES + 5, 9090, IM_F_PORTS, 0,
				    {} };
	struct im_member_key m_old = { 4, 2, IM_F_PRINC, 0, {} };
	struct im_member_key c = { IM_MAX_CLAUSES + 4, ip("10.0.0.0"),
				   IM_F_IPB, 8, {} };
	__u8 one = 1;

	fake_put(f, "im_wlport", false, &met, sizeof(met), &perm, sizeof(perm));
	fake_put(f, "im_wlport", false, &any, sizeof(any), &strict,
		 sizeof(strict));
	fake_put_idx(f, "im_polset", IM_MAX_POLSETS + 1, &ps);
	fake_put_idx(f, "im_clause_v2", IM_MAX_CLAUSES + 4, &c4);
	fake_put_idx(f, "im_clause_v2", IM_MAX_CLAUSES + 5, &c5);
	fake_put(f, "im_member_v2", false, &m4, sizeof(m4), &one, 1);
	fake_put(f, "im_member_v2", false, &m5, sizeof(m5), &one, 1);
	fake_put(f, "im_member_v2", false, &m_old, sizeof(m_old), &one, 1);
	fake_put(f, "im_member_v2", false, &c, sizeof(c), &one, 1);
}

static void put_drops(struct fake *f)
{
	uint64_t v[2];
	__u32 r;

	for (r = 0; r < IM_DROP_MAX; r++) {
		v[0] = r == IM_DROP_STRICT_PLAINTEXT ? 5 : 0;
		v[1] = r == IM_DROP_STRICT_PLAINTEXT ? 7 : r;
		fake_put(f, "im_drops_v2", true, &r, 4, v, sizeof(v));
	}
}

/* The fixture: every map above, names loaded, generation 1 live. */
struct fx {
	struct fake f;
	struct map_src s;
	struct view_ctx c;
};

static void fx_init(struct fx *x, bool with_names)
{
	memset(x, 0, sizeof(*x));
	put_services(&x->f);
	put_endpoints(&x->f);
	put_policy(&x->f);
	put_drops(&x->f);
	fake_src(&x->f, &x->s, 2);
	x->c.src = &x->s;
	x->c.dec.gen = view_live_gen(&x->s, NULL);
	x->c.dec.now_ns = NOW;
	x->c.dec.names = with_names ? names_parse(names_json) : NULL;
}

static json_t *fx_rows(struct fx *x, const char *view)
{
	const struct view *v = view_find(view);
	json_t *rows = json_array();

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->build(&x->c, rows), 0);
	return rows;
}

static void fx_free(struct fx *x)
{
	names_free((struct im_names *)x->c.dec.names);
}

/* Text rendering of <rows> into a string the caller frees. */
static char *render(const char *view, json_t *rows)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	view_text(f, view_find(view), rows);
	fclose(f);
	return buf;
}

#define GET(o, k) json_object_get(o, k)
#define STR(o, k) json_string_value(GET(o, k))
#define INT(o, k) json_integer_value(GET(o, k))

static void services_show_live_gen_with_weights(void)
{
	struct fx x;
	json_t *rows, *r, *d;
	char *txt;

	fx_init(&x, true);
	CU_ASSERT_EQUAL(x.c.dec.gen, 1);
	rows = fx_rows(&x, "services");
	CU_ASSERT_EQUAL_FATAL(json_array_size(rows), 1);
	r = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(STR(r, "vip"), "10.96.0.20");
	CU_ASSERT_EQUAL(INT(r, "port"), 8080);
	CU_ASSERT_STRING_EQUAL(STR(r, "service"),
			       "model-server.ai-inference.svc.cluster.local:8080");
	CU_ASSERT_EQUAL(INT(r, "route"), 5);
	d = GET(r, "destinations");
	CU_ASSERT_EQUAL_FATAL(json_array_size(d), 2);
	CU_ASSERT_STRING_EQUAL(STR(json_array_get(d, 0), "name"), "v1");
	CU_ASSERT_EQUAL(INT(json_array_get(d, 0), "weight"), 90);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(GET(json_array_get(d, 1),
						   "percent")), 10.0, 1e-9);
	txt = render("services", rows);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "v1=90(90%) v2=10(10%)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "10.96.0.20"));
	free(txt);
	json_decref(rows);
	fx_free(&x);
}

static json_t *find_ep(json_t *rows, const char *ep)
{
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r)
		if (!strcmp(STR(r, "endpoint"), ep))
			return r;
	return NULL;
}

static void endpoints_join_state_and_names(void)
{
	struct fx x;
	json_t *rows, *a, *b, *c;
	char *txt;

	fx_init(&x, true);
	rows = fx_rows(&x, "endpoints");
	CU_ASSERT_EQUAL(json_array_size(rows), 3);	/* not gen 0's */
	a = find_ep(rows, "10.10.1.14:8080");
	b = find_ep(rows, "10.10.2.14:8080");
	c = find_ep(rows, "10.10.1.15:8080");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(INT(a, "active"), 3);
	CU_ASSERT_EQUAL(INT(a, "connections"), 40);
	CU_ASSERT_TRUE(json_is_false(GET(a, "ejected")));
	CU_ASSERT_STRING_EQUAL(STR(a, "workload"), "ai-inference/model-server-v1-a");
	CU_ASSERT_STRING_EQUAL(STR(a, "locality"), "us-east-1/us-east-1a");
	CU_ASSERT_STRING_EQUAL(STR(GET(a, "labels"), "version"), "v1");
	CU_ASSERT_STRING_EQUAL(STR(a, "subset_name"), "v1");
	CU_ASSERT_TRUE(json_is_true(GET(b, "ejected")));
	CU_ASSERT_EQUAL(INT(b, "ejected_ms_left"), 12500);
	CU_ASSERT_EQUAL(INT(b, "priority"), 1);
	CU_ASSERT_EQUAL(INT(b, "consecutive_failures"), 5);
	CU_ASSERT_TRUE(json_is_null(GET(b, "workload")));
	CU_ASSERT_STRING_EQUAL(STR(c, "subset_name"), "v2");
	CU_ASSERT_EQUAL(INT(c, "active"), 0);	/* no state yet */
	txt = render("endpoints", rows);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "ejected(12.500s left)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "version=v1"));
	free(txt);
	json_decref(rows);
	fx_free(&x);
}

static void ejection_ends_at_its_deadline(void)
{
	struct im_ep_key k = { 1, ip("10.0.0.1"), htons(80), 0 };
	struct im_ep_state st = { .ejected_until = NOW };
	struct dec_ctx c = { NULL, 0, NOW - 1 };
	json_t *r = dec_ep_state(&c, &k, 3, &st);

	CU_ASSERT_TRUE(json_is_true(GET(r, "ejected")));
	CU_ASSERT_EQUAL(INT(r, "ejected_ms_left"), 1);	/* rounded up */
	json_decref(r);
	c.now_ns = NOW;
	r = dec_ep_state(&c, &k, 3, &st);
	CU_ASSERT_TRUE(json_is_false(GET(r, "ejected")));
	CU_ASSERT_EQUAL(INT(r, "ejected_ms_left"), 0);
	json_decref(r);
}

static void policy_nests_clauses_of_live_gen(void)
{
	struct fx x;
	json_t *rows, *any, *met, *cl, *m;
	char *txt;

	fx_init(&x, true);
	rows = fx_rows(&x, "policy");
	CU_ASSERT_EQUAL_FATAL(json_array_size(rows), 2);
	any = json_array_get(rows, 0);	/* sorted: port 0 first */
	met = json_array_get(rows, 1);
	CU_ASSERT_EQUAL(INT(any, "port"), 0);
	CU_ASSERT_TRUE(json_is_true(GET(any, "any_port")));
	CU_ASSERT_STRING_EQUAL(STR(any, "mode"), "STRICT");
	CU_ASSERT_STRING_EQUAL(STR(any, "policy"), "ai-inference/vector-retriever-a");
	CU_ASSERT_STRING_EQUAL(STR(any, "otherwise"), "DENY");
	CU_ASSERT_EQUAL_FATAL(json_array_size(GET(any, "clauses")), 2);
	cl = json_array_get(GET(any, "clauses"), 0);
	CU_ASSERT_STRING_EQUAL(STR(cl, "rule"),
			       "ai-inference/vector-retriever-access rules[0]");
	m = GET(cl, "match");
	CU_ASSERT_EQUAL(json_array_size(GET(m, "principals")), 1); /* not gen 0 */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
		GET(m, "principals"), 0)),
		"spiffe://cluster.local/ns/ai-inference/sa/orchestrator");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(
		GET(m, "ipBlocks"), 0)), "10.0.0.0/8");
	cl = json_array_get(GET(any, "clauses"), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(
		GET(GET(cl, "match"), "ports"), 0)), 9090);
	CU_ASSERT_TRUE(json_is_null(GET(cl, "rule")));	/* 10: unnamed */
	CU_ASSERT_STRING_EQUAL(STR(met, "mode"), "PERMISSIVE");
	CU_ASSERT_STRING_EQUAL(STR(met, "otherwise"), "ALLOW");
	txt = render("policy", rows);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "10.10.1.12:*"));
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "10.10.1.12:9090"));
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "principals: spiffe://"));
	free(txt);
	json_decref(rows);
	fx_free(&x);
}

static void drops_sum_cpus_with_stable_names(void)
{
	struct fx x;
	json_t *rows, *r;
	size_t i;
	char *txt;

	fx_init(&x, false);
	rows = fx_rows(&x, "drops");
	CU_ASSERT_EQUAL(json_array_size(rows), IM_DROP_MAX - 1);  /* not NONE */
	json_array_foreach(rows, i, r) {
		if (INT(r, "id") == IM_DROP_STRICT_PLAINTEXT) {
			CU_ASSERT_STRING_EQUAL(STR(r, "reason"), "strict_plaintext");
			CU_ASSERT_EQUAL(INT(r, "count"), 12);
		} else {
			CU_ASSERT_EQUAL(INT(r, "count"), INT(r, "id"));
		}
	}
	txt = render("drops", rows);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "no_healthy_endpoint"));
	free(txt);
	json_decref(rows);
	fx_free(&x);
}

static void every_drop_reason_has_a_unique_name(void)
{
	uint32_t a, b;

	for (a = 1; a < IM_DROP_MAX; a++) {
		CU_ASSERT_STRING_NOT_EQUAL(dec_drop_reason(a), "unknown");
		for (b = 1; b < a; b++)
			CU_ASSERT_STRING_NOT_EQUAL(dec_drop_reason(a),
						   dec_drop_reason(b));
	}
	CU_ASSERT_STRING_EQUAL(dec_drop_reason(IM_DROP_MAX), "unknown");
	CU_ASSERT_STRING_EQUAL(dec_drop_reason(IM_DROP_POLICY_DENY), "policy_deny");
	CU_ASSERT_STRING_EQUAL(dec_lb(IM_LB_ROUND_ROBIN), "ROUND_ROBIN");
	CU_ASSERT_STRING_EQUAL(dec_mode(7), "unknown");
}

static void without_names_ids_show_as_numbers(void)
{
	struct im_ident_key k = { .cgroup = 4242, .gen = 1 };
	struct im_ident v = { 1, 3, 0, 0 };
	struct dec_ctx c = { NULL, 1, NOW };
	struct fx x;
	json_t *r, *rows;
	char *txt;

	v.ip = ip("10.10.1.11");
	r = dec_ident(&c, &k, &v);
	CU_ASSERT_STRING_EQUAL(STR(r, "principal"), "principal#1");
	CU_ASSERT_STRING_EQUAL(STR(r, "namespace"), "namespace#3");
	CU_ASSERT_STRING_EQUAL(STR(r, "address"), "10.10.1.11");
	CU_ASSERT_TRUE(json_is_null(GET(r, "cgroup")));
	json_decref(r);
	k.gen = 0;
	CU_ASSERT_PTR_NULL(dec_ident(&c, &k, &v));	/* other generation */

	fx_init(&x, false);
	rows = fx_rows(&x, "services");
	txt = render("services", rows);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "#2=90(90%)"));
	free(txt);
	json_decref(rows);
	fx_free(&x);
}

static void subsets_and_routes_skip_unused_slots(void)
{
	struct im_subset zero = {};
	struct im_route rz = {};
	struct dec_ctx c = { NULL, 1, NOW };
	struct fx x;
	json_t *rows, *r;

	CU_ASSERT_PTR_NULL(dec_subset(&c, IM_MAX_SUBSETS + 9, &zero));
	CU_ASSERT_PTR_NULL(dec_route(&c, IM_MAX_ROUTES + 9, &rz));
	fx_init(&x, true);
	rows = fx_rows(&x, "subsets");
	CU_ASSERT_EQUAL_FATAL(json_array_size(rows), 2);
	r = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(STR(r, "lb"), "LEAST_REQUEST");
	CU_ASSERT_EQUAL(INT(GET(r, "outlier"), "base_ejection_ms"), 30000);
	CU_ASSERT_STRING_EQUAL(STR(json_array_get(rows, 1), "lb"), "RANDOM");
	CU_ASSERT_TRUE(json_is_null(GET(json_array_get(rows, 1), "outlier")));
	json_decref(rows);
	rows = fx_rows(&x, "im_route_v2");	/* a map name finds its view */
	CU_ASSERT_EQUAL(json_array_size(rows), 1);
	json_decref(rows);
	fx_free(&x);
}

/* Address networks live in im_member keyed by length: the cidrs view
 * shows the shorter ones as "a.b.c.d/n", a /32 stays an address among
 * the members, and a /0 is a network too. */
static void networks_are_members_shown_as_cidrs(void)
{
	struct im_member_key k32 = { IM_MAX_CLAUSES + 4, ip("192.0.2.7"),
				     IM_K_DIP, 32, {} };
	struct im_member_key k0 = { IM_MAX_CLAUSES + 4, 0, IM_F_NOTIPB, 0,
				    {} };
	struct dec_ctx c = { NULL, 1, NOW };
	json_t *rows, *r;
	struct fx x;
	size_t i;

	fx_init(&x, true);
	rows = fx_rows(&x, "cidrs");
	CU_ASSERT_EQUAL_FATAL(json_array_size(rows), 1);
	r = json_array_get(rows, 0);
	CU_ASSERT_STRING_EQUAL(STR(r, "cidr"), "10.0.0.0/8");
	CU_ASSERT_STRING_EQUAL(STR(r, "field"), "ipBlocks");
	CU_ASSERT_EQUAL(INT(r, "clause"), 4);
	json_decref(rows);
	rows = fx_rows(&x, "members");	/* live gen: principal and port */
	CU_ASSERT_EQUAL(json_array_size(rows), 2);
	json_array_foreach(rows, i, r)
		CU_ASSERT_PTR_NULL(GET(r, "cidr"));
	json_decref(rows);
	r = dec_member(&c, &k32);
	CU_ASSERT_STRING_EQUAL(STR(r, "value"), "192.0.2.7");
	CU_ASSERT_PTR_NULL(GET(r, "cidr"));
	json_decref(r);
	r = dec_member(&c, &k0);
	CU_ASSERT_STRING_EQUAL(STR(r, "cidr"), "0.0.0.0/0");
	CU_ASSERT_STRING_EQUAL(STR(r, "field"), "notIpBlocks");
	json_decref(r);
	fx_free(&x);
}

static void names_round_trip_through_a_file(void)
{
	char dir[] = "/tmp/im-names-XXXXXX", path[64], why[256];
	struct im_names *n = names_new(1, "node-b"), *m;
	uint32_t a = ip("10.10.2.12");

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL(names_set(n, NAMES_SUBSET, 3, "v2"), 0);
	CU_ASSERT_EQUAL(names_set(n, NAMES_CGROUP, 1ULL << 40, "x/y"), 0);
	CU_ASSERT_EQUAL(names_set_endpoint(n, a, "ai-inference/vr-b", NULL), 0);
	CU_ASSERT_EQUAL(names_add_label(n, a, "app", "vector-retriever"), 0);
	CU_ASSERT_EQUAL(names_save(n, dir), 0);
	CU_ASSERT_PTR_NULL(names_load(dir, 0, why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "");	/* absent, not broken */
	m = names_load(dir, 1, why, sizeof(why));
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(names_node(m), "node-b");
	CU_ASSERT_STRING_EQUAL(names_get(m, NAMES_SUBSET, 3), "v2");
	CU_ASSERT_STRING_EQUAL(names_get(m, NAMES_CGROUP, 1ULL << 40), "x/y");
	CU_ASSERT_PTR_NULL(names_get(m, NAMES_SUBSET, 4));
	CU_ASSERT_PTR_NOT_NULL(names_endpoint(m, a));
	CU_ASSERT_PTR_NULL(names_endpoint(m, ip("10.10.2.13")));
	names_free(n);
	names_free(m);
	snprintf(path, sizeof(path), "%s/names.1.json", dir);
	unlink(path);
	rmdir(dir);
}

static void broken_names_file_is_reported(void)
{
	char dir[] = "/tmp/im-names-XXXXXX", path[64], why[256];
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/names.0.json", dir);
	f = fopen(path, "w");
	fputs("{\"services\": ", f);
	fclose(f);
	CU_ASSERT_PTR_NULL(names_load(dir, 0, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "names.0.json"));
	CU_ASSERT_PTR_NULL(names_parse("[1, 2]"));
	unlink(path);
	rmdir(dir);
}

UNIT_SUITE(maps)
{
	UNIT_TEST(s, services_show_live_gen_with_weights);
	UNIT_TEST(s, endpoints_join_state_and_names);
	UNIT_TEST(s, ejection_ends_at_its_deadline);
	UNIT_TEST(s, policy_nests_clauses_of_live_gen);
	UNIT_TEST(s, drops_sum_cpus_with_stable_names);
	UNIT_TEST(s, every_drop_reason_has_a_unique_name);
	UNIT_TEST(s, without_names_ids_show_as_numbers);
	UNIT_TEST(s, subsets_and_routes_skip_unused_slots);
	UNIT_TEST(s, networks_are_members_shown_as_cidrs);
	UNIT_TEST(s, names_round_trip_through_a_file);
	UNIT_TEST(s, broken_names_file_is_reported);
}
