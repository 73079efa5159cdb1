// SPDX-License-Identifier: Apache-2.0
/* compile_tables(): the order of the passes, the map limits, and the small
 * containers the passes share. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

uint32_t intern_find(const struct intern *t, const char *s)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i], s))
			return (uint32_t)i + 1;
	return 0;
}

uint32_t intern_id(struct intern *t, const char *s)
{
	uint32_t id = intern_find(t, s);
	char *dup;

	if (id)
		return id;
	if (t->n == t->cap && grow((void **)&t->v, &t->cap, sizeof(*t->v)))
		return 0;
	dup = strdup(s);
	if (!dup)
		return 0;
	t->v[t->n++] = dup;
	return (uint32_t)t->n;
}

void intern_free(struct intern *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void ct_note(struct tables *t, const char *fmt, ...)
{
	const char **slot = CT_PUSH(t, notes);
	va_list ap;

	if (!slot)
		return;
	va_start(ap, fmt);
	*slot = arena_vprintf(&t->arena, fmt, ap);
	va_end(ap);
}

int ct_name(struct tables *t, struct ct_name **arr, size_t *n, size_t *cap,
	    uint64_t id, const char *name)
{
	if (*n == *cap && grow((void **)arr, cap, sizeof(**arr)))
		return -ENOMEM;
	(*arr)[*n].id = id;
	(*arr)[*n].name = arena_strdup(&t->arena, name);
	(*n)++;
	return 0;
}

bool ct_ipv4(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return false;
	*ip = a.s_addr;
	return true;
}

bool ct_cidr4(const char *s, uint32_t *ip, unsigned int *plen)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char buf[INET_ADDRSTRLEN];
	char *end;
	unsigned long l = 32;

	if (!s)
		return false;
	if (slash) {
		if ((size_t)(slash - s) >= sizeof(buf))
			return false;
		memcpy(buf, s, slash - s);
		buf[slash - s] = 0;
		l = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || l > 32)
			return false;
		s = buf;
	}
	if (!ct_ipv4(s, ip))
		return false;
	*plen = (unsigned int)l;
	if (l < 32)	/* the trie compares the prefix: clear the host bits */
		*ip &= htonl(l ? ~0U << (32 - l) : 0);
	return true;
}

/* The node's locality: the flag, else its first workload that has one. */
static const char *node_locality(const struct compile_in *in)
{
	const struct model *m = in->m;
	size_t i;

	if (in->locality && *in->locality)
		return in->locality;
	for (i = 0; i < m->n_svcs; i++) {
		const struct model_service *s = &m->svcs[i];
		size_t j, k;

		for (j = 0; j < s->n_subsets; j++)
			for (k = 0; k < s->subsets[j].n_eps; k++) {
				const struct endpoint_eff *e =
					&s->subsets[j].eps[k];

				if (e->locality && e->wl && e->wl->node &&
				    in->node && !strcmp(e->wl->node, in->node))
					return e->locality;
			}
	}
	return NULL;
}

int ct_overflow(struct tables *t, const struct object *o, const char *what)
{
	struct ct_overflow *last = t->n_overflows ?
		&t->overflows[t->n_overflows - 1] : NULL, *x;

	if (!o || (last && last->obj == o && last->what == what))
		return 0;
	x = CT_PUSH(t, overflows);
	if (!x)
		return -ENOMEM;
	x->obj = o;
	x->what = what;
	return 0;
}

struct ct_limit {
	const char *what;
	size_t have, max;
};

/* The map limits per generation; the first one exceeded fails compile. */
static int check_limits(struct tables *t)
{
	const struct ct_limit lim[] = {
		{ "service ports (VIP:port)", t->n_svcs, IM_MAX_SERVICES },
		{ "routes", t->n_routes, IM_MAX_ROUTES },
		{ "subsets", t->n_subsets, IM_MAX_SUBSETS },
		{ "endpoints", t->n_eps, IM_MAX_ENDPOINTS },
		{ "workload identities", t->n_idents, IM_MAX_IDENTS },
		{ "workload ports", t->n_wlports, IM_MAX_WLPORTS },
		{ "policy sets", t->n_polsets, IM_MAX_POLSETS },
		{ "policy clauses", t->n_clauses, IM_MAX_CLAUSES },
		/* address networks are im_member entries too */
		{ "policy members and networks", t->n_members + t->n_cidrs,
		  IM_MAX_MEMBERS / IM_GENS },
		{ "node-wide denied CIDRs", t->n_xdeny, IM_MAX_XDENY / IM_GENS },
	};
	size_t i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (lim[i].have <= lim[i].max)
			continue;
		snprintf(t->error, sizeof(t->error),
			 "the configuration needs %zu %s, the kernel tables "
			 "hold %zu: nothing applied, the previous tables stay",
			 lim[i].have, lim[i].what, lim[i].max);
		return -E2BIG;
	}
	return 0;
}

int compile_tables(const struct compile_in *in, struct tables *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->locality = node_locality(in);
	if (!CT_PUSH(t, polsets))	/* set 0 means "no policy" */
		return -ENOMEM;
	err = ct_services(in, t);
	if (!err)
		err = ct_policies(in, t);
	if (!err)
		err = check_limits(t);
	if (err == -ENOMEM && !t->error[0])
		snprintf(t->error, sizeof(t->error), "out of memory");
	return err;
}

void tables_free(struct tables *t)
{
	free(t->svcs);
	free(t->routes);
	free(t->subsets);
	free(t->eps);
	free(t->idents);
	free(t->wlports);
	free(t->polsets);
	free(t->clauses);
	free(t->members);
	free(t->cidrs);
	free(t->xdeny);
	free(t->svc_names);
	free(t->route_names);
	free(t->subset_names);
	free(t->rule_names);
	free(t->polset_names);
	free(t->cgroup_names);
	free(t->endpoints);
	free(t->notes);
	free(t->overflows);
	arena_free(&t->arena);
	memset(t, 0, sizeof(*t));
}
