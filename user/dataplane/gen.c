// SPDX-License-Identifier: Apache-2.0
/* The table generations (see gen.h). Hash and trie entries carry their
 * generation in the key and are deleted. */
#include <bpf/bpf.h>
#include <errno.h>

#include "gen.h"
#include "prune.h"

typedef bool (*key_in_gen)(const void *key, unsigned int gen);

static bool svc_in(const void *k, unsigned int g)
{
	return ((const struct im_svc_key *)k)->gen == g;
}

static bool ident_in(const void *k, unsigned int g)
{
	return ((const struct im_ident_key *)k)->gen == g;
}

static bool wlport_in(const void *k, unsigned int g)
{
	return ((const struct im_wlport_key *)k)->gen == g;
}

static bool member_in(const void *k, unsigned int g)
{
	return ((const struct im_member_key *)k)->clause / IM_MAX_CLAUSES == g;
}

static bool xdeny_in(const void *k, unsigned int g)
{
	return ((const struct im_xdeny_key *)k)->gen == g;
}

struct in_gen {
	key_in_gen in;
	unsigned int gen;
};

static bool gone_in_gen(const void *key, void *ctx)
{
	const struct in_gen *g = ctx;

	return g->in(key, g->gen);
}

/* Deletes the keys of generation <gen> from map <name>. */
static int clear_map(const struct dp *dp, const char *name, size_t ksz,
		     key_in_gen in, unsigned int gen)
{
	struct in_gen g = { in, gen };
	int fd = dp_map_fd(dp, name), n;

	if (fd < 0)
		return fd;
	n = dp_map_prune(fd, ksz, gone_in_gen, &g);
	return n < 0 ? n : 0;
}

int dp_gen_clear(const struct dp *dp, unsigned int gen)
{
	int err = clear_map(dp, "im_svc", sizeof(struct im_svc_key), svc_in, gen);

	err = err ?: clear_map(dp, "im_ident", sizeof(struct im_ident_key),
			       ident_in, gen);
	err = err ?: clear_map(dp, "im_wlport", sizeof(struct im_wlport_key),
			       wlport_in, gen);
	err = err ?: clear_map(dp, "im_member_v2", sizeof(struct im_member_key),
			       member_in, gen);
	return err ?: clear_map(dp, "im_xdeny", sizeof(struct im_xdeny_key),
				xdeny_in, gen);
}

static int write_services(const struct dp *dp, unsigned int g,
			  const struct tables *t, const struct im_ep *eps)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < t->n_routes; i++)
		err = dp_put_route(dp, g, (uint32_t)i, &t->routes[i]);
	for (i = 0; !err && i < t->n_subsets; i++)
		err = dp_put_subset(dp, g, (uint32_t)i, &t->subsets[i],
				    eps + t->subsets[i].first_ep);
	for (i = 0; !err && i < t->n_svcs; i++)
		err = dp_put_service(dp, g, t->svcs[i].vip, t->svcs[i].port,
				     &t->svcs[i].v);
	return err;
}

static int write_policies(const struct dp *dp, unsigned int g,
			  const struct tables *t)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < t->n_clauses; i++)
		err = dp_put_clause(dp, g, (uint32_t)i, &t->clauses[i]);
	for (i = 0; !err && i < t->n_members; i++)
		err = dp_put_member(dp, g, t->members[i].clause,
				    t->members[i].field, t->members[i].value);
	for (i = 0; !err && i < t->n_cidrs; i++)
		err = dp_put_cidr(dp, g, t->cidrs[i].clause, t->cidrs[i].field,
				  t->cidrs[i].ip, t->cidrs[i].plen);
	for (i = 1; !err && i < t->n_polsets; i++)
		err = dp_put_polset(dp, g, (uint32_t)i, &t->polsets[i]);
	for (i = 0; !err && i < t->n_wlports; i++)
		err = dp_put_wlport(dp, g, t->wlports[i].ip, t->wlports[i].port,
				    &t->wlports[i].v);
	for (i = 0; !err && i < t->n_idents; i++)
		err = dp_put_ident(dp, g, t->idents[i].cgroup,
				   &t->idents[i].v);
	err = err ?: dp_put_idlvl(dp, g, &t->idlvl);
	for (i = 0; !err && i < t->n_xdeny; i++)
		err = dp_put_xdeny(dp, g, t->xdeny[i].ip, t->xdeny[i].plen,
				   t->xdeny[i].rule_id);
	return err;
}

int dp_gen_write(const struct dp *dp, unsigned int gen,
		 const struct tables *t, const struct im_ep *eps)
{
	int err = dp_gen_clear(dp, gen);

	err = err ?: write_services(dp, gen, t, eps);
	return err ?: write_policies(dp, gen, t);
}

int dp_gen_live(const struct dp *dp, unsigned int *gen)
{
	int fd = dp_map_fd(dp, "im_cfg");
	struct im_cfg cfg;
	uint32_t zero = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	*gen = cfg.gen & 1;
	return 0;
}
