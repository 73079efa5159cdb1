// SPDX-License-Identifier: Apache-2.0
/*
 * localityLbSetting.failoverPriority compiled per node: an endpoint's
 * priority is how long a prefix of the list it matches against the values
 * every local workload (the clients of this node) shares.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "compile/compile.h"
#include "harness.h"
#include "model/model.h"

/* Service ms (two ports: the note is said once per service). */
#define SVC \
	"---\napiVersion: v1\nkind: Service\nmetadata: {name: ms, " \
	"namespace: shop}\nspec:\n  clusterIP: 10.96.0.2\n" \
	"  selector: {app: ms}\n  ports: [{name: http, port: 8080}, " \
	"{name: tcp-x, port: 9090}]\n"

/* WorkloadEntry <name> of app <app> on <node>; <labels>, <spec> extra. */
#define WE(name, app, ip, node, labels, spec) \
	"---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n" \
	"metadata:\n  name: " name "\n  namespace: shop\n  annotations:\n" \
	"    infermesh.io/node: " node "\n" \
	"spec:\n  address: " ip "\n" \
	"  labels: {app: " app labels "}\n" spec

#define LOC(l) "  locality: " l "\n"
/* An endpoint of ms at locality r1/z1 unless said. */
#define EP(name, ip, node, labels) \
	WE(name, "ms", ip, node, labels, LOC("r1/z1"))
/* A client on this node (node-a), not an endpoint of ms. */
#define CL(name, ip, labels) WE(name, "cl", ip, "node-a", labels, "")

#define OD "    outlierDetection: {consecutive5xxErrors: 7, interval: 1s}\n"
#define DR(od, lls) \
	"---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata: {name: ms, namespace: shop}\nspec:\n  host: ms\n" \
	"  trafficPolicy:\n" od \
	"    loadBalancer:\n      localityLbSetting:\n" lls
#define FP(list) "        failoverPriority: " list "\n"

struct fix {
	struct config *c;
	struct model m;
	struct tables t;
	struct intern p, ns;
	int err;
};

static void build(struct fix *f, const char *yaml, const char *locality)
{
	struct compile_in in = {
		.node = "node-a", .locality = locality,
		.principals = &f->p, .namespaces = &f->ns,
	};

	memset(f, 0, sizeof(*f));
	f->c = unit_load(yaml);
	if (diag_count(&f->c->diag, SEV_ERROR))
		unit_dump(f->c);
	CU_ASSERT_EQUAL(diag_count(&f->c->diag, SEV_ERROR), 0);
	model_build(&f->m, f->c);
	in.m = &f->m;
	f->err = compile_tables(&in, &f->t);
	CU_ASSERT_EQUAL(f->err, 0);
}

static void done(struct fix *f)
{
	tables_free(&f->t);
	model_free(&f->m);
	unit_free(f->c);
	intern_free(&f->p);
	intern_free(&f->ns);
}

/* The priority of endpoint <ip> in the first subset holding it; 99 when
 * none does. */
static unsigned int prio(const struct fix *f, const char *ip)
{
	struct in_addr a;
	size_t i;

	inet_pton(AF_INET, ip, &a);
	for (i = 0; i < f->t.n_eps; i++)
		if (f->t.eps[i].ip == a.s_addr)
			return f->t.eps[i].prio;
	return 99;
}

static size_t notes_with(const struct fix *f, const char *what)
{
	size_t i, n = 0;

	for (i = 0; i < f->t.n_notes; i++)
		n += !!strstr(f->t.notes[i], what);
	return n;
}

#define GOLD_R1 ", tier: gold, rack: r1"

/* [tier, rack]: both match P0, tier only P1, none P2; every endpoint in
 * one locality, so the order comes from the labels alone. */
static void label_prefix_lengths(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", GOLD_R1)
		  EP("e0", "10.1.0.10", "node-b", ", tier: gold, rack: r1")
		  EP("e1", "10.1.0.11", "node-b", ", tier: gold, rack: r2")
		  EP("e2", "10.1.0.12", "node-b", ", tier: silver, rack: r1")
		  EP("e3", "10.1.0.13", "node-b", ", rack: r2")
		  DR(OD, FP("[tier, rack]")), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.11"), 1);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 2);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.13"), 2);
	CU_ASSERT_EQUAL(notes_with(&f, "failoverPriority"), 0);
	done(&f);
}

/* Priorities with no endpoint are skipped, as istiod renumbers: a label
 * absent on both sides is equal. */
static void priorities_renumbered(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", GOLD_R1)
		  EP("e0", "10.1.0.10", "node-b", ", tier: gold, rack: r1")
		  EP("e2", "10.1.0.12", "node-b", ", tier: silver, rack: r1")
		  DR(OD, FP("[tier, rack, zone-label]")), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);	/* raw 0 */
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 1);	/* raw 3 */
	done(&f);
}

/* "tier=silver": the endpoint must have silver, whatever the client has. */
static void key_value_form(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", GOLD_R1)
		  EP("e0", "10.1.0.10", "node-b", ", tier: gold, rack: r1")
		  EP("e2", "10.1.0.12", "node-b", ", tier: silver, rack: r1")
		  EP("e3", "10.1.0.13", "node-b", ", tier: silver, rack: r2")
		  DR(OD, FP("[tier=silver, rack]")), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.13"), 1);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 2);
	done(&f);
}

/* Topology keys come from the locality (the node's for the client): by
 * zone name alone, an endpoint in another region but a zone of the same
 * name comes first, where the locality order would put it last. */
static void topology_keys_from_locality(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", "")
		  WE("e0", "ms", "10.1.0.10", "node-b", "", LOC("r1/z1/s1"))
		  WE("e1", "ms", "10.1.0.11", "node-b", "", LOC("r1/z2/s1"))
		  WE("e2", "ms", "10.1.0.12", "node-b", "", LOC("r2/z1/s2"))
		  DR(OD, FP("[topology.kubernetes.io/zone]")), "r1/z1/s1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.11"), 1);
	done(&f);
	build(&f, SVC CL("cl-1", "10.1.0.1", "")
		  WE("e0", "ms", "10.1.0.10", "node-b", "", LOC("r1/z1/s1"))
		  WE("e1", "ms", "10.1.0.11", "node-b", "", LOC("r1/z1/s2"))
		  WE("e2", "ms", "10.1.0.12", "node-b", "", LOC("r2/z1/s1"))
		  DR(OD, FP("[topology.kubernetes.io/region, "
			    "topology.istio.io/subzone]")), "r1/z1/s1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.11"), 1);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 2);
	done(&f);
}

/* The network is the workloads': the clients' (all net1) against the
 * endpoint's. */
static void network_key(void)
{
	struct fix f;

	build(&f, SVC WE("cl-1", "cl", "10.1.0.1", "node-a", "",
			 "  network: net1\n")
		  WE("e0", "ms", "10.1.0.10", "node-b", "",
		     LOC("r2/z9") "  network: net1\n")
		  WE("e1", "ms", "10.1.0.11", "node-b", "",
		     LOC("r1/z1") "  network: net2\n")
		  DR(OD, FP("[topology.istio.io/network]")), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.11"), 1);
	done(&f);
}

/* kubernetes.io/hostname: the endpoint's node against this node. */
static void hostname_is_the_node(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", "")
		  WE("e-a", "ms", "10.1.0.10", "node-a", "", LOC("r1/z2"))
		  WE("e-b", "ms", "10.1.0.11", "node-b", "", LOC("r1/z1"))
		  DR(OD, FP("[kubernetes.io/hostname]")), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.11"), 1);
	done(&f);
}

/* The two clients of node-a differ on rack: priorities by tier only, and
 * a note (once for the two ports) says rack is not enforced and why. */
static void disagreeing_clients_shorten_the_prefix(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", GOLD_R1)
		  CL("cl-2", "10.1.0.2", ", tier: gold, rack: r2")
		  WE("cl-3", "cl", "10.1.0.3", "node-b", ", tier: silver", "")
		  EP("e0", "10.1.0.10", "node-b", ", tier: gold, rack: r1")
		  EP("e1", "10.1.0.11", "node-b", ", tier: gold, rack: r2")
		  EP("e2", "10.1.0.12", "node-b", ", tier: silver, rack: r1")
		  DR(OD, FP("[tier, rack]")), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.11"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 1);
	CU_ASSERT_EQUAL(notes_with(&f, "ms.shop.svc.cluster.local: "
				   "localityLbSetting.failoverPriority 'rack' "
				   "and the entries after it are not "
				   "enforced: the workloads of this node "
				   "differ on it (cl-1: 'r1', cl-2: 'r2')"), 1);
	CU_ASSERT_EQUAL(notes_with(&f, "failoverPriority"), 1);
	done(&f);
}

/* Without outlierDetection istiod sets no priorities: all P0, no note. */
static void no_outlier_detection_no_effect(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", GOLD_R1)
		  CL("cl-2", "10.1.0.2", ", tier: gold, rack: r2")
		  EP("e0", "10.1.0.10", "node-b", ", tier: gold, rack: r1")
		  EP("e2", "10.1.0.12", "node-b", ", tier: silver, rack: r1")
		  WE("e9", "ms", "10.1.0.19", "node-b", "", LOC("r9/z9"))
		  DR("", FP("[tier, rack]")), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.19"), 0);
	CU_ASSERT_EQUAL(notes_with(&f, "failoverPriority"), 0);
	done(&f);
}

/* With `failover` too, istiod orders by failoverPriority first and by
 * locality (failover's to-region before the rest) within each. */
static void with_failover_locality_within(void)
{
	struct fix f;

	build(&f, SVC CL("cl-1", "10.1.0.1", GOLD_R1)
		  WE("e0", "ms", "10.1.0.10", "node-b", ", tier: gold",
		     LOC("r1/z1"))
		  WE("e1", "ms", "10.1.0.11", "node-b", ", tier: gold",
		     LOC("r2/z1"))
		  WE("e2", "ms", "10.1.0.12", "node-b", ", tier: gold",
		     LOC("r3/z1"))
		  WE("e3", "ms", "10.1.0.13", "node-b", ", tier: silver",
		     LOC("r1/z1"))
		  DR(OD, FP("[tier]")
		     "        failover: [{from: r1, to: r3}]\n"), "r1/z1");
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.10"), 0);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.12"), 1);	/* to-region */
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.11"), 2);
	CU_ASSERT_EQUAL(prio(&f, "10.1.0.13"), 3);	/* silver: last */
	done(&f);
}

UNIT_SUITE(agent_failover_priority)
{
	UNIT_TEST(s, label_prefix_lengths);
	UNIT_TEST(s, priorities_renumbered);
	UNIT_TEST(s, key_value_form);
	UNIT_TEST(s, topology_keys_from_locality);
	UNIT_TEST(s, network_key);
	UNIT_TEST(s, hostname_is_the_node);
	UNIT_TEST(s, disagreeing_clients_shorten_the_prefix);
	UNIT_TEST(s, no_outlier_detection_no_effect);
	UNIT_TEST(s, with_failover_locality_within);
}
