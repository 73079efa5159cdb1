// SPDX-License-Identifier: Apache-2.0
/*
 * This node's mesh workloads for im_local: every Pod and WorkloadEntry the
 * configuration places on the node, valid or not, with its namespace's
 * (else the mesh's) PeerAuthentication mode. Read from every object that
 * decoded, so a workload whose own object is rejected, or whose tables do
 * not compile, is still judged by the guards by its defaults instead of
 * being passed as "not a workload".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

/* The mode of a workload of <ns> without labels: what only namespace-
 * and mesh-wide PeerAuthentications decide. */
static uint8_t default_mode(struct config *c, const char *ns)
{
	struct kvs none = { 0 };
	struct mtls_eff eff;

	resolve_mtls(c, &c->arena, ns, &none, &eff);
	return ct_mode(eff.mode);
}

/* Index of <ip> in <l>, or l->n. */
static size_t find(const struct ct_locals *l, uint32_t ip)
{
	size_t i;

	for (i = 0; i < l->n && l->ips[i] != ip; i++)
		;
	return i;
}

static int add(struct ct_locals *l, uint32_t ip, uint8_t mode)
{
	size_t i = find(l, ip);

	if (i < l->n) {	/* two objects, one address: the stricter wins */
		if (mode == IM_MODE_STRICT)
			l->v[i].mode = mode;
		return 0;
	}
	if (l->n == l->cap_ips &&
	    grow((void **)&l->ips, &l->cap_ips, sizeof(*l->ips)))
		return -ENOMEM;
	if (l->n == l->cap_v && grow((void **)&l->v, &l->cap_v, sizeof(*l->v)))
		return -ENOMEM;
	l->ips[l->n] = ip;
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n++].mode = mode;
	return 0;
}

int ct_locals(struct config *c, const char *node, struct ct_locals *out)
{
	struct registry r;
	uint32_t ip;
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!node)
		return 0;
	registry_build_all(&r, c);
	for (i = 0; !err && i < r.n_wls; i++) {
		const struct workload *w = &r.wls[i];

		if (!w->obj || w->obj->kind == K_SERVICE_ENTRY || !w->node ||
		    strcmp(w->node, node) || !w->address ||
		    !ct_ipv4(w->address, &ip))
			continue;
		err = add(out, ip, default_mode(c, w->ns));
	}
	return err;
}

void ct_locals_free(struct ct_locals *l)
{
	free(l->ips);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
