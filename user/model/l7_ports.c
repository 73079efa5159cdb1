// SPDX-License-Identifier: Apache-2.0
/*
 * Which ports of a workload are judged per HTTP request (see model.h).
 * "L7 costs only where used": a port is judged per request only when it
 * speaks HTTP and some enforced policy could need what only a request has
 * there. Everywhere else Istio's TCP reduction (resolve_authz.c) applies,
 * as before. The L7 evaluator (user/authz/l7_gen.c) and the kernel's
 * tables (user/compile/compile_authz.c) both ask this one function, so
 * the two can never disagree on a port.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Istio's protocol selection, as registry_port_protocol names it. */
static enum l7_family family_of(const char *proto)
{
	if (!proto)
		return L7F_NONE;
	if (!strcmp(proto, "HTTP") || !strcmp(proto, "GRPC-Web"))
		return L7F_HTTP;
	if (!strcmp(proto, "HTTP2") || !strcmp(proto, "GRPC"))
		return L7F_HTTP2;
	return L7F_NONE;
}

/* Whether port <port> passes ports/notPorts (strings, as written). */
static bool port_in(const struct strs *s, uint32_t port)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strtoul(s->v[i], NULL, 10) == port)
			return true;
	return false;
}

static bool op_admits(const struct ap_operation *o, uint32_t port)
{
	return (!o->ports.n || port_in(&o->ports, port)) &&
	       !port_in(&o->not_ports, port);
}

/* A rule can apply to <port>: some `to` entry admits it (none: all) and
 * no destination.port condition rules it out. */
static bool rule_admits(const struct ap_rule *r, uint32_t port)
{
	bool to = !r->to.n;
	size_t i;

	for (i = 0; !to && i < r->to.n; i++)
		to = op_admits(&r->to.v[i].operation, port);
	for (i = 0; to && i < r->when.n; i++) {
		const struct ap_condition *w = &r->when.v[i];

		if (!w->key || strcmp(w->key, "destination.port"))
			continue;
		to = (!w->values.n || port_in(&w->values, port)) &&
		     !port_in(&w->not_values, port);
	}
	return to;
}

/* Policies the L7 evaluator enforces: CUSTOM too (it refuses what a
 * CUSTOM rule matches: there is no external authorizer to ask). */
static bool judged(const struct ap_eff *p)
{
	return !p->dry_run && p->action != AP_AUDIT;
}

static bool needs_request(const struct authz_eff *a, uint32_t port)
{
	size_t i, k;

	for (i = 0; i < a->n; i++) {
		if (!judged(&a->v[i]))
			continue;
		for (k = 0; k < a->v[i].n_rules; k++)
			if (a->v[i].rules[k].http_fields &&
			    rule_admits(a->v[i].rules[k].rule, port))
				return true;
	}
	return false;
}

enum l7_family l7_family_of(const struct l7_port_eff *v, size_t n,
			    uint32_t port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].port == port)
			return v[i].family;
	return L7F_NONE;
}

/* Adds (port, f): a port two services give both HTTP flavours is
 * L7F_HTTP (the filter tells HTTP/2 by its preface). */
static size_t add_port(struct l7_port_eff *out, size_t n, size_t cap,
		       uint32_t port, enum l7_family f)
{
	size_t i;

	for (i = 0; i < n && i < cap; i++)
		if (out[i].port == port) {
			if (out[i].family != f)
				out[i].family = L7F_HTTP;
			return n;
		}
	if (n < cap)
		out[n] = (struct l7_port_eff){ port, f };
	return n + 1;
}

size_t model_l7_ports(const struct model *m, const struct model_workload *mw,
		      struct l7_port_eff *out, size_t cap)
{
	void *const *svcs;
	size_t i, k, ns, n = 0;

	if (!mw->authz.n)
		return 0;
	svcs = registry_ns_services(&m->reg, mw->wl->ns, &ns);
	for (i = 0; i < ns; i++) {
		const struct service *s = svcs[i];

		if (!registry_selects(s, mw->wl))
			continue;
		for (k = 0; k < s->n_ports; k++) {
			const struct svc_port_info *p = &s->ports[k];
			uint32_t port = p->target_port ? p->target_port
						       : p->port;
			enum l7_family f = family_of(p->protocol);

			if (f != L7F_NONE && port && port <= 65535 &&
			    needs_request(&mw->authz, port))
				n = add_port(out, n, cap, port, f);
		}
	}
	return n;
}
