// SPDX-License-Identifier: Apache-2.0
/* The proxy's view of the mesh's workloads (see peers.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/object.h"
#include "../util/grow.h"
#include "peers.h"

/* A mesh workload: a Pod or a WorkloadEntry with an IPv4 address. */
static bool mesh_workload(const struct workload *w, uint32_t *ip)
{
	struct in_addr a;

	if (!w->obj || w->obj->kind == K_SERVICE_ENTRY || !w->address)
		return false;
	if (inet_pton(AF_INET, w->address, &a) != 1)
		return false;
	*ip = a.s_addr;
	return true;
}

/* Where a local workload's processes are; "" when unknown or too long. */
static void local_cgroup(struct agent_peers *out, struct px_peer *p,
			 const struct workload *w, const char *root)
{
	int n;

	if (!w->cgroup || !*w->cgroup) {
		out->no_cgroup++;
		return;
	}
	n = snprintf(p->cgroup, sizeof(p->cgroup), "%s/%s", root, w->cgroup);
	if (n < 0 || (size_t)n >= sizeof(p->cgroup)) {
		p->cgroup[0] = '\0';
		out->too_long++;
	}
}

static int add(struct agent_peers *out, const struct model_workload *mw,
	       const char *node, const char *root)
{
	const struct workload *w = mw->wl;
	struct px_peer *p;
	uint32_t ip;

	if (!mw->identity || !mesh_workload(w, &ip))
		return 0;
	if (strlen(mw->identity) >= sizeof(p->id)) {
		out->too_long++;
		return 0;
	}
	p = GROW_PUSH(out->v, out->n, out->cap);
	if (!p)
		return -ENOMEM;
	p->ip = ip;
	strcpy(p->id, mw->identity);
	p->local = node && w->node && !strcmp(w->node, node);
	if (p->local)
		local_cgroup(out, p, w, root);
	return 0;
}

static int by_ip(const void *x, const void *y)
{
	uint32_t a = ntohl(((const struct px_peer *)x)->ip);
	uint32_t b = ntohl(((const struct px_peer *)y)->ip);

	return a < b ? -1 : a > b;
}

/* One entry per address: duplicates of one identity merge (local wins, it
 * is the one this node can serve); an address two identities claim goes. */
static void dedupe(struct agent_peers *out)
{
	size_t i = 0, j, k = 0;
	bool clash;

	while (i < out->n) {
		clash = false;
		for (j = i + 1; j < out->n && out->v[j].ip == out->v[i].ip; j++) {
			clash |= strcmp(out->v[j].id, out->v[i].id) != 0;
			if (out->v[j].local && !out->v[i].local)
				out->v[i] = out->v[j];
		}
		if (clash)
			out->conflicts++;
		else
			out->v[k++] = out->v[i];
		i = j;
	}
	out->n = k;
}

int agent_peers_build(const struct model *m, const char *node,
		      const char *cgroup_root, struct agent_peers *out)
{
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; !err && i < m->n_wls; i++)
		err = add(out, &m->wls[i], node, cgroup_root);
	if (err)
		return err;
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_ip);
	dedupe(out);
	for (i = 0; i < out->n; i++)
		out->n_local += out->v[i].local;
	return 0;
}

void agent_peers_free(struct agent_peers *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

const struct px_peer *agent_peers_find(const struct agent_peers *p,
				       uint32_t ip)
{
	struct px_peer key = { .ip = ip };

	if (!p->n)
		return NULL;
	return bsearch(&key, p->v, p->n, sizeof(*p->v), by_ip);
}
