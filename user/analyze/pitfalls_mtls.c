// SPDX-License-Identifier: Apache-2.0
/* mTLS and identity pitfalls (IM1030..IM1039): metrics and health ports
 * left STRICT, exemptions that never apply, and policies whose identity
 * fields meet plaintext traffic, which carries no identity at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pitfalls.h"

#define METRICS_PORT 9090

static enum mtls_mode port_mode(const struct mtls_eff *m, uint32_t port)
{
	size_t i;

	for (i = 0; i < m->n_ports; i++)
		if (m->ports[i].port == port)
			return m->ports[i].mode;
	return m->mode;
}

static const char *decider(const struct mtls_eff *m)
{
	return m->decided_by ? m->decided_by->resource : "Istio's default";
}

/* Ports scraped or probed in plaintext from outside the mesh. */
static bool scrape_port(const struct svc_port_info *pi)
{
	const char *n = pi->name ? pi->name : "";

	return pi->port == METRICS_PORT || strstr(n, "metrics") ||
	       strstr(n, "prometheus") || strstr(n, "health");
}

/* ---- IM1030: scrape/probe ports left STRICT ---- */

static void check_service_ports(struct pit *p, const struct service *s)
{
	const struct k8s_service_spec *sp = obj_svc(s->obj);
	struct mtls_eff m;
	size_t k;

	for (k = 0; sp && k < s->n_ports && k < sp->ports.n; k++) {
		const struct svc_port_info *pi = &s->ports[k];
		uint32_t tp = pi->target_port ? pi->target_port : pi->port;
		const struct kvs *labels = s->selector;

		if (!scrape_port(pi))
			continue;
		/* the first endpoint stands for the others: one finding each */
		if (s->endpoints.n)
			labels = ((const struct workload *)
				  s->endpoints.v[0])->labels;
		resolve_mtls(p->c, &p->c->arena, s->ns, labels, &m);
		if (port_mode(&m, tp) != MTLS_STRICT)
			continue;
		diag_add(&p->c->diag, "IM1030", SEV_WARNING, s->obj,
			 sp->ports.v[k].at, NULL,
			 arena_printf(&p->c->arena, "add a PeerAuthentication "
				      "with the selector of %s and portLevelMtls:"
				      " {%u: {mode: PERMISSIVE}}", s->name, tp),
			 "port %u (%s) of %s is scraped or probed in plaintext "
			 "from outside the mesh, but mTLS is STRICT there (%s): "
			 "those scrapes and probes are refused", tp,
			 pi->name ? pi->name : "metrics", s->name, decider(&m));
	}
}

/* PERMISSIVE/DISABLE exemptions in a policy Istio does not use. */
static const char *not_in_force(const struct pit *p, const struct object *o)
{
	const struct pa_spec *pa = obj_pa(o);

	if (o->invalid)
		return "this PeerAuthentication is rejected";
	if (pa->selector.match_labels.n && !strcmp(o->ns, p->c->root_ns))
		return "Istio ignores selector policies in the root namespace";
	return NULL;
}

static void check_dead_exemptions(struct pit *p, const struct object *o)
{
	const struct pa_spec *pa = obj_pa(o);
	const char *why = not_in_force(p, o);
	struct mtls_eff m;
	size_t i;

	if (!why)
		return;
	resolve_mtls(p->c, &p->c->arena, o->ns, &pa->selector.match_labels, &m);
	for (i = 0; i < pa->port_level_mtls.n; i++) {
		const struct port_mtls *pm = &pa->port_level_mtls.v[i];
		unsigned port = (unsigned)strtoul(pm->key ? pm->key : "0", NULL, 10);

		if (!pm->mode.set || pm->mode.v == MTLS_STRICT ||
		    pm->mode.v == MTLS_UNSET || m.mode != MTLS_STRICT)
			continue;
		diag_add(&p->c->diag, "IM1030", SEV_WARNING, o, pm->at,
			 arena_printf(&p->c->arena, "spec.portLevelMtls.%u", port),
			 "put the exemption in a PeerAuthentication with a "
			 "selector, in the workloads' own namespace",
			 "the %s exemption for port %u never applies (%s): port "
			 "%u stays STRICT (%s), so plaintext metrics scrapes and "
			 "probes on it are refused", mtls_mode_names[pm->mode.v],
			 port, why, port, decider(&m));
	}
}

static void check_root_selector(struct pit *p, const struct object *o)
{
	const struct pa_spec *pa = obj_pa(o);

	if (o->invalid || !pa->selector.match_labels.n ||
	    strcmp(o->ns, p->c->root_ns) || pa->port_level_mtls.n)
		return; /* with port modes, IM1030 already says it */
	diag_add(&p->c->diag, "IM1031", SEV_WARNING, o, pa->selector.at,
		 "spec.selector", "move this policy into the namespace of the "
		 "workloads it selects",
		 "a PeerAuthentication with a selector in the root namespace %s "
		 "is ignored by Istio: the workloads it selects keep the "
		 "namespace or mesh mode", o->ns);
}

/* ---- IM1032/IM1033: identity fields against plaintext ---- */

static bool is_action(const struct ap_spec *ap, enum ap_action a)
{
	return ap->action.set ? ap->action.v == (int)a : a == AP_ALLOW;
}

static bool from_names_identity(const struct ap_rule *r, bool negated)
{
	size_t j;

	for (j = 0; j < r->from.n; j++) {
		const struct ap_source *s = &r->from.v[j].source;

		if (negated ? s->not_principals.n || s->not_namespaces.n :
			      s->principals.n || s->namespaces.n ||
			      s->service_accounts.n || s->trust_domains.n)
			return true;
	}
	return false;
}

/* The first non-STRICT port (or 0 for the whole workload) of <m>. */
static bool plaintext_port(const struct mtls_eff *m, uint32_t *port)
{
	size_t i;

	*port = 0;
	if (m->mode != MTLS_STRICT)
		return true;
	for (i = 0; i < m->n_ports; i++)
		if (m->ports[i].mode != MTLS_STRICT) {
			*port = m->ports[i].port;
			return true;
		}
	return false;
}

static bool ops_take_port(const struct ap_rule *r, const char *port)
{
	size_t j, k;

	if (!r->to.n)
		return true;
	for (j = 0; j < r->to.n; j++) {
		const struct ap_operation *op = &r->to.v[j].operation;
		bool in = !op->ports.n, out = false;

		for (k = 0; k < op->ports.n; k++)
			in |= !strcmp(op->ports.v[k], port);
		for (k = 0; k < op->not_ports.n; k++)
			out |= !strcmp(op->not_ports.v[k], port);
		if (in && !out)
			return true;
	}
	return false;
}

/* Whether some rule can match a plaintext request to <port> (0: any). */
static bool allows_plaintext(const struct ap_spec *ap, uint32_t port)
{
	char ps[12];
	size_t i;

	snprintf(ps, sizeof(ps), "%u", port);
	for (i = 0; i < ap->rules.n; i++) {
		const struct ap_rule *r = &ap->rules.v[i];

		if (!from_names_identity(r, false) &&
		    (!port || ops_take_port(r, ps)))
			return true;
	}
	return false;
}

static void check_allow_plain(struct pit *p, const struct object *o,
			      const struct mtls_eff *m)
{
	const struct ap_spec *ap = obj_ap(o);
	uint32_t port;
	const char *what;

	if (!ap->rules.n || !plaintext_port(m, &port) ||
	    allows_plaintext(ap, port))
		return;
	what = m->mode == MTLS_DISABLE ? "every request is denied" :
	       m->mode == MTLS_PERMISSIVE ?
	       "plaintext callers are denied although mTLS is optional" :
	       arena_printf(&p->c->arena, "plaintext requests to port %u "
			    "(PERMISSIVE, e.g. metrics scrapes) are denied",
			    port);
	diag_add(&p->c->diag, "IM1032", m->mode == MTLS_PERMISSIVE ?
		 SEV_INFO : SEV_WARNING, o, pit_at(ap->at, "rules"),
		 "spec.rules", m->mode == MTLS_STRICT ?
		 arena_printf(&p->c->arena, "add a rule `- to: [{operation: "
			      "{ports: [\"%u\"]}}]` for the plaintext port", port) :
		 "make mTLS STRICT for these workloads (PeerAuthentication), "
		 "so that every caller presents an identity",
		 "every rule of this ALLOW policy requires a caller identity "
		 "(principals, namespaces...), and plaintext carries none; "
		 "PeerAuthentication (%s) accepts plaintext here, so %s",
		 decider(m), what);
}

static void check_deny_plain(struct pit *p, const struct object *o,
			     const struct mtls_eff *m, size_t ri)
{
	const struct ap_rule *r = &obj_ap(o)->rules.v[ri];
	uint32_t port;
	char path[48];

	char ps[12];

	if (!from_names_identity(r, true) || !plaintext_port(m, &port))
		return;
	snprintf(ps, sizeof(ps), "%u", port);
	if (port && !ops_take_port(r, ps))
		return;
	snprintf(path, sizeof(path), "spec.rules[%zu].from", ri);
	diag_add(&p->c->diag, "IM1033", SEV_WARNING, o, pit_at(r->at, "from"),
		 path, port ? arena_printf(&p->c->arena, "add `to: "
					   "[{operation: {notPorts: [\"%u\"]}}]` "
					   "to this rule", port) :
		 "make mTLS STRICT for these workloads, or exempt the "
		 "plaintext ports with operation.notPorts",
		 "plaintext requests carry no principal or namespace, so "
		 "notPrincipals/notNamespaces match them: this DENY rule "
		 "refuses all plaintext traffic%s%s, which PeerAuthentication "
		 "(%s) accepts", port ? " to port " : "",
		 port ? arena_printf(&p->c->arena, "%u (PERMISSIVE)", port) : "",
		 decider(m));
}

static void check_policy_identity(struct pit *p, const struct object *o)
{
	const struct ap_spec *ap = obj_ap(o);
	const struct workload *w[1];
	const struct kvs *labels = &ap->selector.match_labels;
	struct mtls_eff m;
	size_t i;

	if (!strcmp(o->ns, p->c->root_ns) || ap->target_refs.n ||
	    ap->target_ref.at)
		return;
	/* one selected workload stands for the others, else the selector */
	if (pit_selected(p, o->ns, labels, w, 1))
		labels = w[0]->labels;
	resolve_mtls(p->c, &p->c->arena, o->ns, labels, &m);
	if (is_action(ap, AP_ALLOW))
		check_allow_plain(p, o, &m);
	for (i = 0; i < ap->rules.n && is_action(ap, AP_DENY); i++)
		check_deny_plain(p, o, &m, i);
}

void pit_mtls(struct pit *p)
{
	size_t i;

	for (i = 0; i < p->reg.n_svcs; i++)
		if (!p->reg.svcs[i].se)
			check_service_ports(p, &p->reg.svcs[i]);
	for (i = 0; i < p->c->n; i++) {
		const struct object *o = p->c->objs[i];

		if (o->kind == K_PEER_AUTHENTICATION && o->spec) {
			check_dead_exemptions(p, o);
			check_root_selector(p, o);
		}
	}
	for_each_obj(p->c, o, K_AUTHORIZATION_POLICY)
		check_policy_identity(p, o);
}
