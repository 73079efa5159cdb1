// SPDX-License-Identifier: Apache-2.0
/* The mTLS proxy's peer list from a loaded config (user/agent/peers.c). */
#include <arpa/inet.h>

#include "agent/peers.h"
#include "harness.h"

#define ROOT "/cg/root"

static const char mesh_yaml[] =
"apiVersion: v1\n"
"kind: ConfigMap\n"
"metadata: {name: istio, namespace: istio-system}\n"
"data:\n"
"  mesh: |\n"
"    trustDomain: td.example\n"
"---\n"
"apiVersion: networking.istio.io/v1\n"
"kind: WorkloadEntry\n"
"metadata:\n"
"  name: here\n"
"  namespace: shop\n"
"  annotations: {infermesh.io/node: node-a, infermesh.io/cgroup: pods/here}\n"
"spec: {address: 10.0.1.2, serviceAccount: cart}\n"
"---\n"
"apiVersion: networking.istio.io/v1\n"
"kind: WorkloadEntry\n"
"metadata:\n"
"  name: there\n"
"  namespace: shop\n"
"  annotations: {infermesh.io/node: node-b, infermesh.io/cgroup: pods/there}\n"
"spec: {address: 10.0.2.2}\n"
"---\n"
"apiVersion: v1\n"
"kind: Pod\n"
"metadata: {name: web, namespace: front}\n"
"spec:\n"
"  nodeName: node-a\n"
"  serviceAccountName: web\n"
"  containers: [{name: c, image: x}]\n"
"status: {podIP: 10.0.1.1}\n"
"---\n"
"apiVersion: networking.istio.io/v1\n"
"kind: WorkloadEntry\n"
"metadata: {name: clash-1, namespace: shop}\n"
"spec: {address: 10.0.3.3, serviceAccount: one}\n"
"---\n"
"apiVersion: networking.istio.io/v1\n"
"kind: WorkloadEntry\n"
"metadata: {name: clash-2, namespace: shop}\n"
"spec: {address: 10.0.3.3, serviceAccount: two}\n"
"---\n"
"apiVersion: networking.istio.io/v1\n"
"kind: WorkloadEntry\n"
"metadata: {name: twin, namespace: shop}\n"
"spec: {address: 10.0.2.2}\n"
"---\n"
"apiVersion: networking.istio.io/v1\n"
"kind: WorkloadEntry\n"
"metadata:\n"
"  name: v6\n"
"  namespace: shop\n"
"spec: {address: 'fd00::1'}\n"
"---\n"
"apiVersion: networking.istio.io/v1\n"
"kind: ServiceEntry\n"
"metadata: {name: ext, namespace: shop}\n"
"spec:\n"
"  hosts: [ext.example.com]\n"
"  ports: [{number: 443, name: tls, protocol: TLS}]\n"
"  resolution: STATIC\n"
"  endpoints: [{address: 192.0.2.7}]\n";

static uint32_t ip(const char *s)
{
	struct in_addr a;

	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

struct built {
	struct config *c;
	struct model m;
	struct agent_peers p;
};

static void build(struct built *b, const char *yaml, const char *node)
{
	b->c = unit_load(yaml);
	model_build(&b->m, b->c);
	CU_ASSERT_EQUAL_FATAL(agent_peers_build(&b->m, node, ROOT, &b->p), 0);
}

static void done(struct built *b)
{
	agent_peers_free(&b->p);
	model_free(&b->m);
	unit_free(b->c);
}

/* Every workload of every node by address and identity; this node's are
 * local with their cgroup under the root. */
static void peers_all_nodes(void)
{
	const struct px_peer *p;
	struct built b;

	build(&b, mesh_yaml, "node-a");
	CU_ASSERT_EQUAL(b.p.n, 3);	/* web, here, there (+twin) */
	CU_ASSERT_EQUAL(b.p.n_local, 2);
	/* sorted by address */
	CU_ASSERT_EQUAL(b.p.v[0].ip, ip("10.0.1.1"));
	CU_ASSERT_EQUAL(b.p.v[2].ip, ip("10.0.2.2"));

	p = agent_peers_find(&b.p, ip("10.0.1.2"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->id, "spiffe://td.example/ns/shop/sa/cart");
	CU_ASSERT_TRUE(p->local);
	CU_ASSERT_STRING_EQUAL(p->cgroup, ROOT "/pods/here");

	/* a Pod on this node by nodeName, without a cgroup annotation:
	 * local, but nowhere to listen (counted) */
	p = agent_peers_find(&b.p, ip("10.0.1.1"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->id, "spiffe://td.example/ns/front/sa/web");
	CU_ASSERT_TRUE(p->local);
	CU_ASSERT_STRING_EQUAL(p->cgroup, "");
	CU_ASSERT_EQUAL(b.p.no_cgroup, 1);

	/* another node's: a peer, not local, no cgroup */
	p = agent_peers_find(&b.p, ip("10.0.2.2"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->id,
			       "spiffe://td.example/ns/shop/sa/default");
	CU_ASSERT_FALSE(p->local);
	CU_ASSERT_STRING_EQUAL(p->cgroup, "");
	done(&b);
}

/* Fail closed: an address two identities claim is nobody's; ServiceEntry
 * endpoints and IPv6 addresses are not peers. */
static void peers_left_out(void)
{
	struct built b;

	build(&b, mesh_yaml, "node-a");
	CU_ASSERT_PTR_NULL(agent_peers_find(&b.p, ip("10.0.3.3")));
	CU_ASSERT_EQUAL(b.p.conflicts, 1);
	CU_ASSERT_PTR_NULL(agent_peers_find(&b.p, ip("192.0.2.7")));
	CU_ASSERT_PTR_NULL(agent_peers_find(&b.p, ip("10.9.9.9")));
	done(&b);
}

/* The same config seen from the other node: locality flips. */
static void peers_other_node(void)
{
	const struct px_peer *p;
	struct built b;

	build(&b, mesh_yaml, "node-b");
	CU_ASSERT_EQUAL(b.p.n_local, 1);
	p = agent_peers_find(&b.p, ip("10.0.2.2"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(p->local);
	CU_ASSERT_STRING_EQUAL(p->cgroup, ROOT "/pods/there");
	CU_ASSERT_FALSE(agent_peers_find(&b.p, ip("10.0.1.2"))->local);
	done(&b);
}

/* A cgroup path beyond what the proxy takes is not cut short. */
static void peers_long_cgroup(void)
{
	char yaml[1024], cg[300];
	struct built b;

	memset(cg, 'x', sizeof(cg) - 1);
	cg[sizeof(cg) - 1] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "apiVersion: networking.istio.io/v1\n"
		 "kind: WorkloadEntry\n"
		 "metadata:\n"
		 "  name: deep\n"
		 "  namespace: shop\n"
		 "  annotations: {infermesh.io/node: n, infermesh.io/cgroup: %s}\n"
		 "spec: {address: 10.0.4.4}\n", cg);
	build(&b, yaml, "n");
	CU_ASSERT_EQUAL_FATAL(b.p.n, 1);
	CU_ASSERT_TRUE(b.p.v[0].local);
	CU_ASSERT_STRING_EQUAL(b.p.v[0].cgroup, "");
	CU_ASSERT_EQUAL(b.p.too_long, 1);
	/* default trust domain */
	CU_ASSERT_STRING_EQUAL(b.p.v[0].id,
			       "spiffe://cluster.local/ns/shop/sa/default");
	done(&b);
}

UNIT_SUITE(agent_peers)
{
	UNIT_TEST(s, peers_all_nodes);
	UNIT_TEST(s, peers_left_out);
	UNIT_TEST(s, peers_other_node);
	UNIT_TEST(s, peers_long_cgroup);
}
