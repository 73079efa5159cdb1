// SPDX-License-Identifier: Apache-2.0
/* The agent's compile step, pure: Istio YAML -> model -> table entries. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "compile/compile.h"
#include "dataplane/dataplane.h"
#include "harness.h"
#include "model/model.h"

#define SVC(name, ip, ports) \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: " name \
	", namespace: shop}\nspec:\n  clusterIP: " ip "\n" \
	"  selector: {app: " name "}\n  ports: " ports "\n"

/* WorkloadEntry <name> of app <app>; <labels> and <spec> are extra. */
#define WE(name, app, ip, node, labels, spec) \
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: " name "\n  namespace: shop\n  annotations:\n" \
	"    infermesh.io/node: " node "\n" \
	"    infermesh.io/cgroup: pods/" name "\n" \
	"spec:\n  address: " ip "\n  serviceAccount: " name "\n" \
	"  labels: {app: " app labels "}\n" spec

#define LOC(l) "  locality: " l "\n"

struct fix {
	struct config *c;
	struct model m;
	struct tables t;
	struct intern p, ns;
	int err;
};

/* Every cgroup exists; its id is 1000 + its path length (enough to tell
 * two apart in these tests), except "pods/gone". */
static uint64_t fake_cgroup(void *ctx, const char *path)
{
	(void)ctx;
	return strcmp(path, "pods/gone") ? 1000 + strlen(path) : 0;
}

static void build(struct fix *f, const char *yaml, const char *locality)
{
	struct compile_in in = {
		.node = "node-a", .locality = locality,
		.cgroup_id = fake_cgroup, .principals = &f->p,
		.namespaces = &f->ns,
	};

	f->c = unit_load(yaml);
	if (diag_count(&f->c->diag, SEV_ERROR))
		unit_dump(f->c);
	model_build(&f->m, f->c);
	in.m = &f->m;
	f->err = compile_tables(&in, &f->t);
	if (f->err)
		fprintf(stderr, "compile: %s\n", f->t.error);
}

static void done(struct fix *f)
{
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

static const struct ct_svc *svc_at(const struct tables *t, const char *vip,
				   uint16_t port)
{
	size_t i;

	for (i = 0; i < t->n_svcs; i++)
		if (t->svcs[i].vip == ip4(vip) && t->svcs[i].port == htons(port))
			return &t->svcs[i];
	return NULL;
}

static const char *subset_name(const struct tables *t, uint32_t idx)
{
	size_t i;

	for (i = 0; i < t->n_subset_names; i++)
		if (t->subset_names[i].id == idx)
			return t->subset_names[i].name;
	return "";
}

/* The endpoint of <sub> with address <ip>, or NULL. */
static const struct im_ep *ep_of(const struct tables *t,
				 const struct im_subset *sub, const char *ip)
{
	uint32_t i;

	for (i = 0; i < sub->n_ep; i++)
		if (t->eps[sub->first_ep + i].ip == ip4(ip))
			return &t->eps[sub->first_ep + i];
	return NULL;
}

#define TWO_PORTS "[{name: http, port: 80, targetPort: 8080}, " \
	"{name: tcp-db, port: 5432}]"

/* No VirtualService: each VIP:port goes to the whole service, endpoints on
 * the workload port, least-request by default. */
static void vip_port_to_service(void)
{
	struct fix f = { 0 };
	const struct ct_svc *s80, *s5432;
	const struct im_route *rt;
	const struct im_subset *sub;

	build(&f, SVC("web", "10.96.0.1", TWO_PORTS)
		  WE("web-1", "web", "10.1.0.1", "node-a", "", "")
		  WE("web-2", "web", "10.1.0.2", "node-b", "",
		     "  ports: {http: 9080}\n"), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	CU_ASSERT_EQUAL(f.t.n_svcs, 2);
	s80 = svc_at(&f.t, "10.96.0.1", 80);
	s5432 = svc_at(&f.t, "10.96.0.1", 5432);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s80);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s5432);
	CU_ASSERT_NOT_EQUAL(s80->v.svc_id, s5432->v.svc_id);
	rt = &f.t.routes[s80->v.route];
	CU_ASSERT_EQUAL_FATAL(rt->n_dst, 1);
	CU_ASSERT_EQUAL(rt->dst[0].weight, 10000);
	sub = &f.t.subsets[rt->dst[0].subset];
	CU_ASSERT_EQUAL(sub->lb, IM_LB_LEAST_REQUEST);
	CU_ASSERT_EQUAL(sub->flags & IM_SUB_OUTLIER, 0);
	CU_ASSERT_EQUAL_FATAL(sub->n_ep, 2);
	/* targetPort, and a WorkloadEntry's own port of that name */
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.1")->port, htons(8080));
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.2")->port, htons(9080));
	CU_ASSERT_STRING_EQUAL(subset_name(&f.t, rt->dst[0].subset),
			       "outbound|80||web.shop.svc.cluster.local");
	/* 5432 has no targetPort: the port itself */
	sub = &f.t.subsets[f.t.routes[s5432->v.route].dst[0].subset];
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.1")->port, htons(5432));
	done(&f);
}

#define MS_SVC SVC("ms", "10.96.0.2", "[{name: http, port: 8080}]")
#define MS_WLS \
	WE("ms-v1a", "ms", "10.1.0.11", "node-a", ", version: v1", \
	   LOC("us-east-1/us-east-1a")) \
	WE("ms-v1b", "ms", "10.1.0.12", "node-b", ", version: v1", \
	   LOC("us-east-1/us-east-1b")) \
	WE("ms-v1c", "ms", "10.1.0.13", "node-b", ", version: v1", \
	   LOC("us-west-2/us-west-2a")) \
	WE("ms-v1d", "ms", "10.1.0.14", "node-b", ", version: v1", \
	   LOC("eu-west-1/eu-west-1a")) \
	WE("ms-v2", "ms", "10.1.0.15", "node-a", ", version: v2", \
	   LOC("us-east-1/us-east-1a"))
#define MS_DR(tp) \
	"---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata: {name: ms, namespace: shop}\nspec:\n  host: ms\n" \
	"  trafficPolicy:\n" tp \
	"  subsets:\n  - {name: v1, labels: {version: v1}}\n" \
	"  - name: v2\n    labels: {version: v2}\n" \
	"    trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n"

/* The http route without conditions but the port carries the weights;
 * header-matched routes before it cannot be decided at connect(). */
static void canary_weights_and_subsets(void)
{
	struct fix f = { 0 };
	const struct im_route *rt;
	const struct ct_svc *s;
	const struct im_subset *v1, *v2;

	build(&f, MS_SVC MS_WLS MS_DR("    loadBalancer: {simple: RANDOM}\n")
		  "---\napiVersion: networking.istio.io/v1\n"
		  "kind: VirtualService\nmetadata: {name: ms, namespace: shop}\n"
		  "spec:\n  hosts: [ms]\n  http:\n"
		  "  - match: [{headers: {x-v: {exact: two}}}]\n"
		  "    route: [{destination: {host: ms, subset: v2}}]\n"
		  "  - match: [{port: 8080}]\n    route:\n"
		  "    - {destination: {host: ms, subset: v1}, weight: 90}\n"
		  "    - {destination: {host: ms, subset: v2}, weight: 10}\n",
	      NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	s = svc_at(&f.t, "10.96.0.2", 8080);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	rt = &f.t.routes[s->v.route];
	CU_ASSERT_EQUAL_FATAL(rt->n_dst, 2);
	CU_ASSERT_EQUAL(rt->dst[0].weight, 9000);
	CU_ASSERT_EQUAL(rt->dst[1].weight, 1000);
	v1 = &f.t.subsets[rt->dst[0].subset];
	v2 = &f.t.subsets[rt->dst[1].subset];
	CU_ASSERT_STRING_EQUAL(subset_name(&f.t, rt->dst[0].subset),
			       "outbound|8080|v1|ms.shop.svc.cluster.local");
	/* subsets by labels; the subset's own policy replaces the top one */
	CU_ASSERT_EQUAL(v1->n_ep, 4);
	CU_ASSERT_EQUAL(v2->n_ep, 1);
	CU_ASSERT_PTR_NULL(ep_of(&f.t, v1, "10.1.0.15"));
	CU_ASSERT_PTR_NOT_NULL(ep_of(&f.t, v2, "10.1.0.15"));
	CU_ASSERT_EQUAL(v1->lb, IM_LB_RANDOM);
	CU_ASSERT_EQUAL(v2->lb, IM_LB_ROUND_ROBIN);
	CU_ASSERT_EQUAL(v1->svc_id, s->v.svc_id);
	done(&f);
}

#define OUTLIER(extra) \
	"    outlierDetection: {consecutive5xxErrors: 7, interval: 1s, " \
	"baseEjectionTime: 2s, maxEjectionPercent: 50, minHealthPercent: 30" \
	extra "}\n"

static const struct im_subset *only_subset(const struct fix *f,
					   const char *vip, uint16_t port)
{
	const struct ct_svc *s = svc_at(&f->t, vip, port);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return &f->t.subsets[f->t.routes[s->v.route].dst[0].subset];
}

/* Priorities relative to the node: P0 same zone, then same region, then
 * the failover region, then the rest; made consecutive. */
static void locality_failover_priorities(void)
{
	struct fix f = { 0 };
	const struct im_subset *sub;

	build(&f, MS_SVC MS_WLS MS_DR(OUTLIER("")
		  "    loadBalancer:\n      localityLbSetting:\n"
		  "        failover: [{from: us-east-1, to: us-west-2}]\n"),
	      NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	/* the node's locality: that of its first workload */
	CU_ASSERT_STRING_EQUAL(f.t.locality, "us-east-1/us-east-1a");
	sub = only_subset(&f, "10.96.0.2", 8080);
	CU_ASSERT_EQUAL_FATAL(sub->n_ep, 5);
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.11")->prio, 0);
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.15")->prio, 0);
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.12")->prio, 1);
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.13")->prio, 2);
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.14")->prio, 3);
	/* the kernel reads endpoints P0 first */
	CU_ASSERT_EQUAL(f.t.eps[sub->first_ep].prio, 0);
	CU_ASSERT_EQUAL(f.t.eps[sub->first_ep + 4].prio, 3);
	done(&f);
}

/* Without outlierDetection istiod sets no priorities: all P0. A node in
 * another zone sees other priorities. */
static void locality_needs_outlier_and_follows_node(void)
{
	struct fix f = { 0 }, g = { 0 };
	const struct im_subset *sub;

	build(&f, MS_SVC MS_WLS MS_DR("    loadBalancer: {simple: RANDOM}\n"),
	      NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	sub = only_subset(&f, "10.96.0.2", 8080);
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.14")->prio, 0);
	CU_ASSERT_EQUAL(ep_of(&f.t, sub, "10.1.0.12")->prio, 0);
	done(&f);

	build(&g, MS_SVC MS_WLS MS_DR(OUTLIER("")), "us-west-2/us-west-2a");
	CU_ASSERT_EQUAL_FATAL(g.err, 0);
	sub = only_subset(&g, "10.96.0.2", 8080);
	CU_ASSERT_EQUAL(ep_of(&g.t, sub, "10.1.0.13")->prio, 0);
	/* default failover: every other region is one priority */
	CU_ASSERT_EQUAL(ep_of(&g.t, sub, "10.1.0.11")->prio, 1);
	CU_ASSERT_EQUAL(ep_of(&g.t, sub, "10.1.0.14")->prio, 1);
	done(&g);
}

/* distribute: 80 to the own zone, 20 to us-west-2, nothing elsewhere. */
static void locality_distribute_weights(void)
{
	struct fix f = { 0 };
	const struct im_subset *sub;
	const struct im_ep *a, *b, *c, *w;

	build(&f, MS_SVC MS_WLS MS_DR(
		  "    loadBalancer:\n      localityLbSetting:\n"
		  "        distribute:\n        - from: us-east-1/us-east-1a/*\n"
		  "          to: {\"us-east-1/us-east-1a/*\": 80, "
		  "\"us-west-2/*\": 20}\n"), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	sub = only_subset(&f, "10.96.0.2", 8080);
	CU_ASSERT_EQUAL_FATAL(sub->n_ep, 3);	/* 1b and eu-west-1 get 0 */
	a = ep_of(&f.t, sub, "10.1.0.11");
	b = ep_of(&f.t, sub, "10.1.0.15");
	w = ep_of(&f.t, sub, "10.1.0.13");
	c = ep_of(&f.t, sub, "10.1.0.12");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_PTR_NULL(c);
	/* two endpoints share 80, one holds 20: 40:40:20 */
	CU_ASSERT_EQUAL(a->weight, b->weight);
	CU_ASSERT_EQUAL(a->weight + b->weight, 4 * w->weight);
	CU_ASSERT_EQUAL(a->loc, b->loc);
	CU_ASSERT_NOT_EQUAL(a->loc, w->loc);
	CU_ASSERT_EQUAL(a->prio, 0);
	CU_ASSERT_EQUAL(w->prio, 0);
	done(&f);
}

/* Outlier parameters; local-origin failures count against the lower of
 * the 5xx/gateway thresholds unless split. */
static void outlier_parameters(void)
{
	struct fix f = { 0 }, g = { 0 };
	const struct im_subset *sub;

	build(&f, MS_SVC MS_WLS MS_DR(OUTLIER("")), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	sub = only_subset(&f, "10.96.0.2", 8080);
	CU_ASSERT(sub->flags & IM_SUB_OUTLIER);
	CU_ASSERT_EQUAL(sub->consec_fail, 7);
	CU_ASSERT_EQUAL(sub->base_eject_ms, 2000);
	CU_ASSERT_EQUAL(sub->interval_ms, 1000);
	CU_ASSERT_EQUAL(sub->max_eject_pct, 50);
	CU_ASSERT_EQUAL(sub->min_health_pct, 30);
	done(&f);

	build(&g, MS_SVC MS_WLS MS_DR(OUTLIER(", splitExternalLocalOriginErrors: "
		  "true, consecutiveLocalOriginFailures: 3")), NULL);
	CU_ASSERT_EQUAL_FATAL(g.err, 0);
	sub = only_subset(&g, "10.96.0.2", 8080);
	CU_ASSERT_EQUAL(sub->consec_fail, 3);
	done(&g);
}

#define AP(name, body) \
	"---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" \
	"metadata: {name: " name ", namespace: shop}\nspec:\n" body
#define PA_STRICT_9090_PERMISSIVE \
	"---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n" \
	"metadata: {name: p, namespace: shop}\nspec:\n" \
	"  selector: {matchLabels: {app: db}}\n  mtls: {mode: STRICT}\n" \
	"  portLevelMtls: {9090: {mode: PERMISSIVE}}\n"
#define DB_SVC SVC("db", "10.96.0.3", "[{name: tcp, port: 5432}, " \
		   "{name: http-metrics, port: 9090}]")
#define POL_WLS \
	WE("db", "db", "10.1.0.21", "node-b", "", "") \
	WE("api", "api", "10.1.0.22", "node-a", "", "") \
	WE("gone", "gone", "10.1.0.23", "node-a", "", "")

static const struct ct_wlport *wlport(const struct tables *t, const char *ip,
				      uint16_t port)
{
	size_t i;

	for (i = 0; i < t->n_wlports; i++)
		if (t->wlports[i].ip == ip4(ip) &&
		    t->wlports[i].port == htons(port))
			return &t->wlports[i];
	return NULL;
}

static bool has_member(const struct tables *t, uint32_t clause,
		       uint8_t field, uint32_t value)
{
	size_t i;

	for (i = 0; i < t->n_members; i++)
		if (t->members[i].clause == clause &&
		    t->members[i].field == field && t->members[i].value == value)
			return true;
	return false;
}

static size_t members_of(const struct tables *t, uint32_t clause)
{
	size_t i, n = 0;

	for (i = 0; i < t->n_members; i++)
		n += t->members[i].clause == clause;
	return n;
}

/* STRICT with a PERMISSIVE port, on every workload wherever it runs. */
static void strict_and_permissive_ports(void)
{
	struct fix f = { 0 };
	const struct ct_wlport *def, *m;

	build(&f, DB_SVC POL_WLS PA_STRICT_9090_PERMISSIVE, NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	def = wlport(&f.t, "10.1.0.21", 0);
	m = wlport(&f.t, "10.1.0.21", 9090);
	CU_ASSERT_PTR_NOT_NULL_FATAL(def);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(def->v.mode, IM_MODE_STRICT);
	CU_ASSERT_EQUAL(m->v.mode, IM_MODE_PERMISSIVE);
	CU_ASSERT_EQUAL(def->v.polset, 0);
	CU_ASSERT_EQUAL(wlport(&f.t, "10.1.0.22", 0)->v.mode,
			IM_MODE_PERMISSIVE);
	done(&f);
}

/*
 * The TCP reduction: an ALLOW rule with methods is dropped, a DENY rule
 * with methods loses them (denies more), DENY clauses come first, and
 * principals are expanded to the ids of matching identities.
 */
static void l4_policy_reduction(void)
{
	struct fix f = { 0 };
	const struct ct_wlport *w;
	const struct im_polset *ps;
	const struct im_clause *c;
	uint32_t api, shop;

	build(&f, DB_SVC POL_WLS
		  AP("allow-api", "  selector: {matchLabels: {app: db}}\n"
		     "  rules:\n"
		     "  - from: [{source: {principals: [\"*/sa/api\"]}}]\n"
		     "  - to: [{operation: {methods: [GET]}}]\n"
		     "  - to: [{operation: {ports: [\"9090\"]}}]\n")
		  AP("deny-out", "  selector: {matchLabels: {app: db}}\n"
		     "  action: DENY\n  rules:\n"
		     "  - from: [{source: {notNamespaces: [shop]}}]\n"
		     "    to: [{operation: {notPorts: [\"9090\"], "
		     "methods: [POST]}}]\n"), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	w = wlport(&f.t, "10.1.0.21", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_NOT_EQUAL_FATAL(w->v.polset, 0);
	ps = &f.t.polsets[w->v.polset];
	CU_ASSERT(ps->has_allow);
	CU_ASSERT_EQUAL_FATAL(ps->n, 3);	/* rules[1] is gone */
	api = intern_find(&f.p, "cluster.local/ns/shop/sa/api");
	shop = intern_find(&f.ns, "shop");
	CU_ASSERT_NOT_EQUAL(api, 0);
	c = &f.t.clauses[ps->first];
	CU_ASSERT_EQUAL(c->action, IM_ACT_DENY);
	CU_ASSERT_EQUAL(c->fields, IM_F_NOTNS | IM_F_NOTPORTS);
	CU_ASSERT(has_member(&f.t, ps->first, IM_F_NOTNS, shop));
	CU_ASSERT(has_member(&f.t, ps->first, IM_F_NOTPORTS, 9090));
	c++;
	CU_ASSERT_EQUAL(c->action, IM_ACT_ALLOW);
	CU_ASSERT_EQUAL(c->fields, IM_F_PRINC);
	CU_ASSERT(has_member(&f.t, ps->first + 1, IM_F_PRINC, api));
	CU_ASSERT_EQUAL(members_of(&f.t, ps->first + 1), 1); /* not sa/db */
	c++;
	CU_ASSERT_EQUAL(c->action, IM_ACT_ALLOW);
	CU_ASSERT_EQUAL(c->fields, IM_F_PORTS);
	CU_ASSERT(has_member(&f.t, ps->first + 2, IM_F_PORTS, 9090));
	/* a workload no policy selects has none */
	CU_ASSERT_EQUAL(wlport(&f.t, "10.1.0.22", 0)->v.polset, 0);
	done(&f);
}

/* ALLOW without rules allows nothing; a node-wide DENY on ipBlocks only
 * also goes to the XDP guard. */
static void allow_nothing_and_node_wide_deny(void)
{
	struct fix f = { 0 };
	const struct im_polset *ps;

	build(&f, DB_SVC POL_WLS
		  AP("nothing", "  selector: {matchLabels: {app: db}}\n")
		  "---\napiVersion: security.istio.io/v1\n"
		  "kind: AuthorizationPolicy\nmetadata: {name: block, "
		  "namespace: istio-system}\nspec:\n  action: DENY\n"
		  "  rules: [{from: [{source: {ipBlocks: [192.0.2.0/24]}}]}]\n",
	      NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	ps = &f.t.polsets[wlport(&f.t, "10.1.0.21", 0)->v.polset];
	CU_ASSERT(ps->has_allow);
	CU_ASSERT_EQUAL(ps->n, 1);	/* the DENY; no ALLOW clause */
	CU_ASSERT_EQUAL(f.t.clauses[ps->first].fields, IM_F_IPB);
	CU_ASSERT_EQUAL_FATAL(f.t.n_cidrs, 2);	/* db's set, api's set */
	CU_ASSERT_EQUAL(f.t.cidrs[0].ip, ip4("192.0.2.0"));
	CU_ASSERT_EQUAL(f.t.cidrs[0].plen, 24);
	CU_ASSERT_EQUAL_FATAL(f.t.n_xdeny, 1);
	CU_ASSERT_EQUAL(f.t.xdeny[0].ip, ip4("192.0.2.0"));
	CU_ASSERT_EQUAL(f.t.xdeny[0].plen, 24);
	done(&f);
}

static bool has_cidr(const struct tables *t, uint32_t clause, uint8_t field,
		     const char *ip, unsigned int plen)
{
	size_t i;

	for (i = 0; i < t->n_cidrs; i++)
		if (t->cidrs[i].clause == clause &&
		    t->cidrs[i].field == field && t->cidrs[i].ip == ip4(ip) &&
		    t->cidrs[i].plen == plen)
			return true;
	return false;
}

static bool has_note(const struct tables *t, const char *what)
{
	size_t i;

	for (i = 0; i < t->n_notes; i++)
		if (strstr(t->notes[i], what))
			return true;
	return false;
}

static size_t cidrs_of(const struct tables *t, uint32_t clause)
{
	size_t i, n = 0;

	for (i = 0; i < t->n_cidrs; i++)
		n += t->cidrs[i].clause == clause;
	return n;
}

#define PL(n)	(1ULL << (n))

/*
 * Address fields: every network, /32 (written with or without the length)
 * or shorter, is a cidr entry, and the clause lists the lengths of each
 * field (plens). ipBlocks and a source.ip condition intersect (nested
 * networks give the smaller one); destination.ip values and notValues
 * have their own kinds.
 */
static void address_fields_exact_and_prefix(void)
{
	struct fix f = { 0 };
	const struct im_polset *ps;
	const struct im_clause *c;
	uint32_t c0;

	build(&f, DB_SVC POL_WLS
		  AP("addrs", "  selector: {matchLabels: {app: db}}\n"
		     "  rules:\n"
		     "  - from: [{source: {ipBlocks: [192.0.2.7, "
		     "198.51.100.0/24], notIpBlocks: [198.51.100.9/32]}}]\n"
		     "  - from: [{source: {ipBlocks: [10.0.0.0/8]}}]\n"
		     "    when: [{key: source.ip, values: [10.1.2.0/24, "
		     "10.1.3.4, 172.16.0.1]}]\n"
		     "  - when: [{key: destination.ip, values: [10.1.0.21, "
		     "10.1.0.0/16], notValues: [10.1.0.99]}]\n"
		     "  - when: [{key: destination.ip, notValues: "
		     "[10.1.7.0/24]}]\n"), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	ps = &f.t.polsets[wlport(&f.t, "10.1.0.21", 0)->v.polset];
	CU_ASSERT_EQUAL_FATAL(ps->n, 4);
	c0 = ps->first;
	c = &f.t.clauses[c0];
	/* ipBlocks a /32 and a /24, notIpBlocks a /32 */
	CU_ASSERT_EQUAL(c[0].fields, IM_F_IPB | IM_F_NOTIPB);
	CU_ASSERT_EQUAL(c[0].ext, 0);
	CU_ASSERT_EQUAL(c[0].plens[IM_A_IPB], PL(32) | PL(24));
	CU_ASSERT_EQUAL(c[0].plens[IM_A_NOTIPB], PL(32));
	CU_ASSERT_EQUAL(c[0].plens[IM_A_DIP], 0);
	CU_ASSERT_EQUAL(c[0].plens[IM_A_NOTDIP], 0);
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "192.0.2.7", 32));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_NOTIPB, "198.51.100.9", 32));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "198.51.100.0", 24));
	CU_ASSERT_EQUAL(members_of(&f.t, c0), 0);
	CU_ASSERT_EQUAL(cidrs_of(&f.t, c0), 3);
	/* 10.0.0.0/8 and [10.1.2.0/24, 10.1.3.4, 172.16.0.1] */
	CU_ASSERT_EQUAL(c[1].fields, IM_F_IPB);
	CU_ASSERT_EQUAL(c[1].ext, 0);
	CU_ASSERT_EQUAL(c[1].plens[IM_A_IPB], PL(32) | PL(24));
	CU_ASSERT(has_cidr(&f.t, c0 + 1, IM_F_IPB, "10.1.3.4", 32));
	CU_ASSERT(has_cidr(&f.t, c0 + 1, IM_F_IPB, "10.1.2.0", 24));
	CU_ASSERT_EQUAL(cidrs_of(&f.t, c0 + 1), 2);
	/* destination.ip: no im_field bit, its own kinds */
	CU_ASSERT_EQUAL(c[2].fields, 0);
	CU_ASSERT_EQUAL(c[2].ext, IM_X_DIP | IM_X_NOTDIP);
	CU_ASSERT_EQUAL(c[2].plens[IM_A_IPB], 0);
	CU_ASSERT_EQUAL(c[2].plens[IM_A_DIP], PL(32) | PL(16));
	CU_ASSERT_EQUAL(c[2].plens[IM_A_NOTDIP], PL(32));
	CU_ASSERT(has_cidr(&f.t, c0 + 2, IM_K_DIP, "10.1.0.21", 32));
	CU_ASSERT(has_cidr(&f.t, c0 + 2, IM_K_DIP, "10.1.0.0", 16));
	CU_ASSERT(has_cidr(&f.t, c0 + 2, IM_K_NOTDIP, "10.1.0.99", 32));
	CU_ASSERT_EQUAL(cidrs_of(&f.t, c0 + 2), 3);
	CU_ASSERT_EQUAL(c[3].ext, IM_X_NOTDIP);
	CU_ASSERT_EQUAL(c[3].plens[IM_A_DIP], 0);
	CU_ASSERT_EQUAL(c[3].plens[IM_A_NOTDIP], PL(24));
	CU_ASSERT(has_cidr(&f.t, c0 + 3, IM_K_NOTDIP, "10.1.7.0", 24));
	CU_ASSERT_EQUAL(cidrs_of(&f.t, c0 + 3), 1);
	CU_ASSERT_EQUAL(members_of(&f.t, c0 + 3), 0);
	CU_ASSERT(!has_note(&f.t, "addrs"));	/* nothing failed closed */
	done(&f);
}

/* Many lengths in one field, /0 to /32 and host bits set: each length
 * once in plens, each network with its host bits clear. */
static void address_fields_many_lengths(void)
{
	static const unsigned int lens[] = { 0, 8, 9, 11, 13, 15, 17, 24, 29,
					     31, 32 };
	struct fix f = { 0 };
	const struct im_clause *c;
	uint64_t want = 0;
	uint32_t c0;
	size_t i;

	build(&f, DB_SVC POL_WLS
		  AP("many", "  selector: {matchLabels: {app: db}}\n"
		     "  rules:\n"
		     "  - from: [{source: {ipBlocks: [0.0.0.0/0, "
		     "10.200.3.4/8, 40.255.0.0/9, 41.0.0.0/11, 42.0.0.0/13, "
		     "43.0.0.0/15, 44.0.0.0/17, 192.168.1.77/24, "
		     "45.0.0.8/29, 172.16.0.5/31, 203.0.113.9], "
		     "notIpBlocks: [100.64.0.0/10, 100.100.100.1/30]}}]\n"
		     "    when: [{key: destination.ip, values: [10.1.0.0/16, "
		     "10.1.0.21], notValues: [10.1.5.0/28]}]\n"), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	c0 = f.t.polsets[wlport(&f.t, "10.1.0.21", 0)->v.polset].first;
	c = &f.t.clauses[c0];
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		want |= PL(lens[i]);
	CU_ASSERT_EQUAL(c->plens[IM_A_IPB], want);
	CU_ASSERT_EQUAL(c->plens[IM_A_NOTIPB], PL(10) | PL(30));
	CU_ASSERT_EQUAL(c->plens[IM_A_DIP], PL(16) | PL(32));
	CU_ASSERT_EQUAL(c->plens[IM_A_NOTDIP], PL(28));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "0.0.0.0", 0));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "10.0.0.0", 8));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "40.128.0.0", 9));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "192.168.1.0", 24));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "172.16.0.4", 31));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_IPB, "203.0.113.9", 32));
	CU_ASSERT(has_cidr(&f.t, c0, IM_F_NOTIPB, "100.100.100.0", 30));
	CU_ASSERT(has_cidr(&f.t, c0, IM_K_NOTDIP, "10.1.5.0", 28));
	CU_ASSERT_EQUAL(cidrs_of(&f.t, c0), 11 + 2 + 2 + 1);
	CU_ASSERT_EQUAL(members_of(&f.t, c0), 0);
	done(&f);
}

/*
 * connection.sni on the kernel's plaintext connection (no SNI): values
 * never match, so their clause is gone, ALLOW or DENY; notValues always
 * hold, so the rest of their clause stands.
 */
static void connection_sni_is_empty(void)
{
	struct fix f = { 0 };
	const struct im_polset *ps;
	const struct im_clause *c;

	build(&f, DB_SVC POL_WLS
		  AP("sni", "  selector: {matchLabels: {app: db}}\n"
		     "  rules:\n"
		     "  - when: [{key: connection.sni, values: [\"*\"]}]\n"
		     "  - to: [{operation: {ports: [\"9090\"]}}]\n"
		     "    when: [{key: connection.sni, notValues: [a.example]}]\n")
		  AP("sni-deny", "  selector: {matchLabels: {app: db}}\n"
		     "  action: DENY\n  rules:\n"
		     "  - when: [{key: connection.sni, values: [b.example]}]\n"),
	      NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	ps = &f.t.polsets[wlport(&f.t, "10.1.0.21", 0)->v.polset];
	CU_ASSERT(ps->has_allow);
	CU_ASSERT_EQUAL_FATAL(ps->n, 1);	/* no DENY, one ALLOW */
	c = &f.t.clauses[ps->first];
	CU_ASSERT_EQUAL(c->action, IM_ACT_ALLOW);
	CU_ASSERT_EQUAL(c->fields, IM_F_PORTS);
	CU_ASSERT(has_member(&f.t, ps->first, IM_F_PORTS, 9090));
	CU_ASSERT(has_note(&f.t, "sni rules[0]: connection.sni"));
	CU_ASSERT(has_note(&f.t, "sni-deny rules[0]: connection.sni"));
	done(&f);
}

/* Local workloads' cgroups carry their identity; remote ones and missing
 * cgroups get none. Ids stay the same across compiles. */
static void identities_of_local_cgroups(void)
{
	struct fix f = { 0 };
	struct compile_in in = { .node = "node-a", .cgroup_id = fake_cgroup,
				 .principals = &f.p, .namespaces = &f.ns };
	struct tables t2;
	uint32_t api;
	size_t i;

	build(&f, DB_SVC WE("db", "db", "10.1.0.21", "node-b", "", "")
		  WE("api", "api", "10.1.0.22", "node-a", "", ""), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	CU_ASSERT_EQUAL_FATAL(f.t.n_idents, 1);	/* db is on node-b */
	api = intern_find(&f.p, "cluster.local/ns/shop/sa/api");
	CU_ASSERT_EQUAL(f.t.idents[0].cgroup, 1000 + strlen("pods/api"));
	CU_ASSERT_EQUAL(f.t.idents[0].v.principal, api);
	CU_ASSERT_EQUAL(f.t.idents[0].v.ns, intern_find(&f.ns, "shop"));
	CU_ASSERT_EQUAL(f.t.idents[0].v.ip, ip4("10.1.0.22"));
	/* a new workload first in the file: api keeps its number */
	model_free(&f.m);
	unit_free(f.c);
	f.c = unit_load(DB_SVC WE("gone", "x", "10.1.0.23", "node-a", "", "")
			WE("api", "api", "10.1.0.22", "node-a", "", ""));
	model_build(&f.m, f.c);
	in.m = &f.m;
	CU_ASSERT_EQUAL_FATAL(compile_tables(&in, &t2), 0);
	CU_ASSERT_EQUAL(intern_find(&f.p, "cluster.local/ns/shop/sa/api"), api);
	CU_ASSERT_EQUAL(t2.n_idents, 1);	/* pods/gone does not exist */
	for (i = 0; i < t2.n_notes; i++)
		if (strstr(t2.notes[i], "pods/gone"))
			break;
	CU_ASSERT(i < t2.n_notes);
	tables_free(&t2);
	done(&f);
}

/* Local WorkloadEntry <name> in cgroup <cg>. */
#define WEC(name, ip, cg) \
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: " name "\n  namespace: shop\n  annotations:\n" \
	"    infermesh.io/node: node-a\n    infermesh.io/cgroup: " cg "\n" \
	"spec:\n  address: " ip "\n"

static int compile_at(struct fix *f, const char *yaml, unsigned int root)
{
	struct compile_in in = { .node = "node-a", .cgroup_id = fake_cgroup,
				 .principals = &f->p, .namespaces = &f->ns,
				 .root_level = root };

	f->c = unit_load(yaml);
	model_build(&f->m, f->c);
	in.m = &f->m;
	return compile_tables(&in, &f->t);
}

/* connect4 walks the levels of the local workloads' cgroups, deepest
 * first, each once: the root's level plus the path's components. */
static void identity_levels_deepest_first(void)
{
	struct fix f = { 0 };

	CU_ASSERT_EQUAL_FATAL(compile_at(&f,
		WEC("a", "10.1.0.1", "pods/a") WEC("b", "10.1.0.2", "pods/b")
		WEC("c", "10.1.0.3", "k/pods/./c/") WEC("d", "10.1.0.4", "d"),
		3), 0);
	CU_ASSERT_EQUAL(f.t.n_idents, 4);
	CU_ASSERT_EQUAL_FATAL(f.t.idlvl.n, 3);
	CU_ASSERT_EQUAL(f.t.idlvl.level[0], 6);	/* 3 + k/pods/c */
	CU_ASSERT_EQUAL(f.t.idlvl.level[1], 5);	/* 3 + pods/a, pods/b */
	CU_ASSERT_EQUAL(f.t.idlvl.level[2], 4);	/* 3 + d */
	done(&f);
}

/* The cgroup root's level cannot be told: no identity at a guessed level
 * (connect4 would never find it), a note names the workload, and its
 * destination side (ports, mode) is compiled all the same. */
static void identity_level_unknown(void)
{
	struct fix f = { 0 };
	size_t i;

	CU_ASSERT_EQUAL_FATAL(compile_at(&f, WEC("a", "10.1.0.1", "pods/a"),
					 COMPILE_LEVEL_UNKNOWN), 0);
	CU_ASSERT_EQUAL(f.t.n_idents, 0);
	CU_ASSERT_EQUAL(f.t.idlvl.n, 0);
	CU_ASSERT(f.t.n_wlports > 0);
	for (i = 0; i < f.t.n_notes; i++)
		if (strstr(f.t.notes[i], "pods/a of shop/a") &&
		    strstr(f.t.notes[i], "unknown"))
			break;
	CU_ASSERT(i < f.t.n_notes);
	done(&f);
}

/* More distinct levels than connect4 walks: an error, no tables (a
 * workload whose level is not walked would not be recognised). */
static void too_many_identity_levels(void)
{
	struct fix f = { 0 };

	CU_ASSERT_EQUAL(compile_at(&f,
		WEC("a", "10.1.0.1", "a") WEC("b", "10.1.0.2", "a/b")
		WEC("c", "10.1.0.3", "a/b/c") WEC("d", "10.1.0.4", "a/b/c/d")
		WEC("e", "10.1.0.5", "a/b/c/d/e")
		WEC("f", "10.1.0.6", "a/b/c/d/e/f")
		WEC("g", "10.1.0.7", "a/b/c/d/e/f/g")
		WEC("h", "10.1.0.8", "a/b/c/d/e/f/g/h")
		WEC("i", "10.1.0.9", "a/b/c/d/e/f/g/h/i"), 0), -E2BIG);
	CU_ASSERT(strstr(f.t.error, "a/b/c/d/e/f/g/h/i") != NULL);
	CU_ASSERT(strstr(f.t.error, "8 levels") != NULL);
	done(&f);
}

#define PA_NS(ns, mode) \
	"---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n" \
	"metadata: {name: default, namespace: " ns "}\n" \
	"spec: {mtls: {mode: " mode "}}\n"

static uint8_t local_mode(const struct ct_locals *l, const char *ip)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->ips[i] == ip4(ip))
			return l->v[i].mode;
	return 0xff;	/* not listed */
}

/* im_local lists this node's workloads, valid or rejected, with their
 * namespace's (else the mesh's) mode: a rejected object or tables that
 * do not compile never make a local workload "not a workload". */
static void locals_of_the_node(void)
{
	struct config *c = unit_load(
		PA_NS("shop", "STRICT") PA_NS("istio-system", "PERMISSIVE")
		WEC("a", "10.1.0.1", "pods/a")
		"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		"metadata:\n  name: bad\n  namespace: shop\n  annotations: "
		"{infermesh.io/node: node-a}\n"
		"spec:\n  address: 10.1.0.2\n  ports: {http: 99999}\n"
		"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		"metadata:\n  name: far\n  namespace: shop\n  annotations: "
		"{infermesh.io/node: node-b}\nspec:\n  address: 10.1.0.3\n"
		"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
		"metadata:\n  name: other\n  namespace: web\n  annotations: "
		"{infermesh.io/node: node-a}\nspec:\n  address: 10.1.0.4\n");
	struct ct_locals l;

	CU_ASSERT(unit_obj(c, K_WORKLOAD_ENTRY, "bad")->invalid);
	CU_ASSERT_EQUAL_FATAL(ct_locals(c, "node-a", &l), 0);
	CU_ASSERT_EQUAL(l.n, 3);
	CU_ASSERT_EQUAL(local_mode(&l, "10.1.0.1"), IM_MODE_STRICT);
	CU_ASSERT_EQUAL(local_mode(&l, "10.1.0.2"), IM_MODE_STRICT);
	CU_ASSERT_EQUAL(local_mode(&l, "10.1.0.3"), 0xff);	/* node-b */
	CU_ASSERT_EQUAL(local_mode(&l, "10.1.0.4"), IM_MODE_PERMISSIVE);
	ct_locals_free(&l);
	unit_free(c);
}

/* More endpoints than a subset holds: every WorkloadEntry giving it one
 * is named with the limit, the subset stays empty (refused), the rest of
 * the tables compile. */
static void too_many_endpoints_overflow(void)
{
	char *yaml = malloc((IM_SUBSET_EPS + 2) * 160 + 512), *p = yaml;
	char want[32];
	const struct im_subset *sub;
	struct fix f = { 0 };
	int i;

	p += sprintf(p, "%s", SVC("big", "10.96.0.9", "[{name: tcp, port: 1}]"));
	p += sprintf(p, "%s", DB_SVC);
	for (i = 0; i <= (int)IM_SUBSET_EPS; i++)
		p += sprintf(p, "---\napiVersion: networking.istio.io/v1\n"
			     "kind: WorkloadEntry\nmetadata: {name: b%d, "
			     "namespace: shop}\nspec: {address: 10.2.%d.%d, "
			     "labels: {app: big}}\n", i, i / 200, i % 200 + 1);
	build(&f, yaml, NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	CU_ASSERT_EQUAL_FATAL(f.t.n_overflows, IM_SUBSET_EPS + 1);
	snprintf(want, sizeof(want), "%u endpoints", IM_SUBSET_EPS + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.t.overflows[0].what, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(f.t.overflows[0].what, "hold 4096"));
	CU_ASSERT_STRING_EQUAL(f.t.overflows[0].obj->resource,
			       "WorkloadEntry shop/b0");
	sub = only_subset(&f, "10.96.0.9", 1);
	CU_ASSERT_EQUAL(sub->n_ep, 0);		/* refused until it fits */
	CU_ASSERT_PTR_NOT_NULL(only_subset(&f, "10.96.0.3", 5432));
	done(&f);
	free(yaml);
}

/* The search index connect4 reads: summed weights in 64 bits, each
 * priority's end, each endpoint's locality run; unsorted input refused. */
static void lb_index_sums_and_ranges(void)
{
	struct im_ep e[5] = {
		{ .prio = 0, .loc = 0, .weight = 0x80000000U },
		{ .prio = 0, .loc = 0, .weight = 0x80000000U },
		{ .prio = 0, .loc = 1, .weight = 3 },
		{ .prio = 2, .loc = 2, .weight = 0 },
		{ .prio = 2, .loc = 2, .weight = 5 },
	};
	struct im_subset sub = { .n_ep = 5 };

	CU_ASSERT_EQUAL_FATAL(dp_lb_index(&sub, e), 0);
	CU_ASSERT_EQUAL(e[1].cum, 0x100000000ULL);	/* no 32-bit wrap */
	CU_ASSERT_EQUAL(e[2].cum, 0x100000003ULL);
	CU_ASSERT_EQUAL(e[4].cum, 0x100000008ULL);
	CU_ASSERT_EQUAL(e[0].loc_lo, 0);
	CU_ASSERT_EQUAL(e[1].loc_hi, 2);
	CU_ASSERT_EQUAL(e[2].loc_lo, 2);
	CU_ASSERT_EQUAL(e[2].loc_hi, 3);
	CU_ASSERT_EQUAL(e[4].loc_lo, 3);
	CU_ASSERT_EQUAL(sub.prio_end[0], 3);
	CU_ASSERT_EQUAL(sub.prio_end[1], 3);	/* P1 empty */
	CU_ASSERT_EQUAL(sub.prio_end[2], 5);
	CU_ASSERT_EQUAL(sub.prio_end[7], 5);
	e[2].prio = 3;			/* P3 before P2: not sorted */
	CU_ASSERT_EQUAL(dp_lb_index(&sub, e), -EINVAL);
	sub.n_ep = IM_SUBSET_EPS + 1;
	CU_ASSERT_EQUAL(dp_lb_index(&sub, e), -ERANGE);
}

/* A subset's cluster id is its Envoy cluster name's, the key the agent
 * allocates its hosts' slots by; endpoints come sorted by (prio, loc). */
static void subset_cluster_id_and_order(void)
{
	struct fix f = { 0 };
	const struct im_subset *sub;
	size_t i;

	build(&f, DB_SVC, NULL);
	CU_ASSERT_FATAL(f.t.n_subsets > 0);
	for (i = 0; i < f.t.n_subset_names; i++) {
		sub = &f.t.subsets[f.t.subset_names[i].id];
		CU_ASSERT_EQUAL(sub->cluster,
				im_cluster_id(f.t.subset_names[i].name));
	}
	for (i = 1; i < f.t.n_eps; i++)
		if (f.t.eps[i].prio == f.t.eps[i - 1].prio)
			CU_ASSERT(f.t.eps[i].loc >= f.t.eps[i - 1].loc);
	done(&f);
}

/* connectTimeout reaches the subset in milliseconds; a
 * subset without one has Istio's 10 s. */
static void connect_timeout_per_subset(void)
{
	struct fix f = { 0 };
	const struct im_subset *sub;

	build(&f, MS_SVC MS_WLS MS_DR("    connectionPool: {tcp: "
				      "{connectTimeout: 1500ms}}\n"), NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	sub = only_subset(&f, "10.96.0.2", 8080);
	CU_ASSERT_EQUAL(sub->connect_ms, 1500);
	done(&f);
	build(&f, MS_SVC MS_WLS, NULL);
	CU_ASSERT_EQUAL_FATAL(f.err, 0);
	sub = only_subset(&f, "10.96.0.2", 8080);
	CU_ASSERT_EQUAL(sub->connect_ms, 10000);
	done(&f);
}

static void locality_and_pattern_rules(void)
{
	CU_ASSERT(ct_locality_match("us-east-1/us-east-1a/s1", "us-east-1"));
	CU_ASSERT(ct_locality_match("us-east-1/us-east-1a", "us-east-1/*"));
	CU_ASSERT(ct_locality_match("us-east-1/us-east-1a", "*"));
	CU_ASSERT(!ct_locality_match("us-east-1/us-east-1a", "us-east-1/b"));
	CU_ASSERT(!ct_locality_match("us-east-10/a", "us-east-1"));
	CU_ASSERT_EQUAL(ct_failover_prio("r/z/s", "r/z/s", NULL), 0);
	CU_ASSERT_EQUAL(ct_failover_prio("r/z/s", "r/z/t", NULL), 1);
	CU_ASSERT_EQUAL(ct_failover_prio("r/z/s", "r/y/s", NULL), 2);
	CU_ASSERT_EQUAL(ct_failover_prio("r/z/s", "q/z/s", NULL), 3);
	CU_ASSERT(ct_pattern_match("*", "a"));
	CU_ASSERT(!ct_pattern_match("*", ""));
	CU_ASSERT(ct_pattern_match("td/ns/a/*", "td/ns/a/sa/x"));
	CU_ASSERT(ct_pattern_match("*/sa/x", "td/ns/a/sa/x"));
	CU_ASSERT(!ct_pattern_match("*/sa/x", "td/ns/a/sa/xy"));
	CU_ASSERT(!ct_pattern_match("td/ns/a/sa/x", "td/ns/a/sa/xy"));
}

UNIT_SUITE(agent_compile)
{
	UNIT_TEST(s, vip_port_to_service);
	UNIT_TEST(s, canary_weights_and_subsets);
	UNIT_TEST(s, locality_failover_priorities);
	UNIT_TEST(s, locality_needs_outlier_and_follows_node);
	UNIT_TEST(s, locality_distribute_weights);
	UNIT_TEST(s, outlier_parameters);
	UNIT_TEST(s, strict_and_permissive_ports);
	UNIT_TEST(s, l4_policy_reduction);
	UNIT_TEST(s, allow_nothing_and_node_wide_deny);
	UNIT_TEST(s, address_fields_exact_and_prefix);
	UNIT_TEST(s, address_fields_many_lengths);
	UNIT_TEST(s, connection_sni_is_empty);
	UNIT_TEST(s, identities_of_local_cgroups);
	UNIT_TEST(s, identity_levels_deepest_first);
	UNIT_TEST(s, too_many_identity_levels);
	UNIT_TEST(s, identity_level_unknown);
	UNIT_TEST(s, locals_of_the_node);
	UNIT_TEST(s, too_many_endpoints_overflow);
	UNIT_TEST(s, lb_index_sums_and_ranges);
	UNIT_TEST(s, subset_cluster_id_and_order);
	UNIT_TEST(s, connect_timeout_per_subset);
	UNIT_TEST(s, locality_and_pattern_rules);
}
