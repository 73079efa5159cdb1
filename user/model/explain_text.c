// SPDX-License-Identifier: Apache-2.0
/* `analyze --explain` as text: per namespace and workload what mTLS and
 * which authorization policies apply, per service the routes, subsets,
 * effective policies and endpoints, each with where it came from. */
#include "explain_fmt.h"
#include "explain_int.h"

static const char *fate_text(const struct ap_rule_eff *r)
{
	switch (r->fate) {
	case L4_DROPPED:
		return "dropped on TCP ports (an ALLOW rule with HTTP-only "
		       "fields never matches plain TCP)";
	case L4_STRIPPED:
		return r->widened_to_all ?
		       "HTTP-only fields removed on TCP ports: a clause made "
		       "only of them now matches every TCP connection "
		       "(ztunnel would skip it instead)" :
		       "HTTP-only fields removed on TCP ports: the rule "
		       "matches more there";
	default:
		return NULL;
	}
}

/* <l7>: the workload's ports judged per HTTP request ("8080, 8081"), or
 * NULL: there a rule's HTTP fields apply as written. */
static void text_rule(struct arena *a, FILE *out, const struct ap_rule_eff *r,
		      const char *ind, const char *l7)
{
	const char *fate = fate_text(r);

	fprintf(out, "%srule %zu: %s\n", ind, r->index,
		ex_ap_rule(a, r->rule));
	if (!fate)
		return;
	if (l7)
		fprintf(out, "%s  ports %s: judged per request by the "
			"destination agent, as written\n", ind, l7);
	fprintf(out, "%s  %s: %s [%s]\n", ind, l7 ? "other ports" : "TCP",
		fate, r->http_fields);
	if (r->fate == L4_STRIPPED)
		fprintf(out, "%s  TCP form: %s\n", ind, ex_ap_rule(a, &r->l4));
}

static void text_ap(struct arena *a, FILE *out, const struct ap_eff *e,
		    size_t i, const char *l7)
{
	size_t j;

	fprintf(out, "      %zu. %-6s %s%s%s%s\n", i + 1,
		ap_action_names[e->action], ex_obj(a, e->obj, NULL),
		e->mesh_wide ? " [mesh-wide]" : "",
		e->by_target_ref ? " [targetRefs]" : "",
		e->dry_run ? " [dry-run: logged, not enforced]" : "");
	if (e->allow_nothing)
		fputs("         no rules: matches nothing (allow-nothing)\n",
		      out);
	for (j = 0; j < e->n_rules; j++)
		text_rule(a, out, &e->rules[j], "         ", l7);
}

static void text_authz(struct arena *a, FILE *out, const struct authz_eff *z,
		       const char *l7)
{
	size_t i;

	if (!z->n) {
		fputs("    authorization: no policy applies: all traffic "
		      "allowed\n", out);
		return;
	}
	fputs("    authorization (evaluated CUSTOM, DENY, ALLOW, AUDIT):\n",
	      out);
	for (i = 0; i < z->n; i++)
		text_ap(a, out, &z->v[i], i, l7);
	fputs(z->has_allow ?
	      "      => default deny: a request must match an ALLOW rule\n" :
	      "      => no enforced ALLOW policy: allowed unless denied\n",
	      out);
}

static void text_mtls(struct arena *a, FILE *out, const struct mtls_eff *t)
{
	size_t i;

	fprintf(out, "    mTLS: %s", mtls_mode_names[t->mode]);
	if (t->decided_by)
		fprintf(out, " from the %s policy %s\n",
			pa_level_names[t->level],
			ex_obj(a, t->decided_by, NULL));
	else
		fputs(" (Istio default: no PeerAuthentication sets a mode)\n",
		      out);
	for (i = 0; i < t->n_ports; i++)
		fprintf(out, "      port %u: %s%s\n", t->ports[i].port,
			mtls_mode_names[t->ports[i].mode],
			t->ports[i].inherited ? " (UNSET: inherited)" : "");
	for (i = 0; i < t->n_ignored; i++)
		fprintf(out, "      ignored: %s\n", ex_obj(a, t->ignored[i],
							  NULL));
}

static void text_namespaces(struct arena *a, const struct model *m,
			    FILE *out)
{
	size_t i;

	if (!m->n_nss)
		return;
	fputs("\nNamespaces (a workload matching no selector):\n", out);
	for (i = 0; i < m->n_nss; i++) {
		fprintf(out, "  %s\n", m->nss[i].ns);
		text_mtls(a, out, &m->nss[i].mtls);
		text_authz(a, out, &m->nss[i].authz, NULL);
	}
}

/* "8080, 8081" for the ports of <w> judged per request, or NULL. */
static const char *l7_list(struct arena *a, const struct model *m,
			   const struct model_workload *w)
{
	struct l7_port_eff v[16];
	size_t i, n = model_l7_ports(m, w, v, 16);
	const char *s = NULL;

	for (i = 0; i < n && i < 16; i++)
		s = s ? arena_printf(a, "%s, %u", s, v[i].port)
		      : arena_printf(a, "%u", v[i].port);
	return n > 16 ? arena_printf(a, "%s, ...", s) : s;
}

static void text_workloads(struct arena *a, const struct model *m, FILE *out)
{
	size_t i;

	fputs("\nWorkloads:\n", out);
	if (!m->n_wls)
		fputs("  (none loaded: add Pods or WorkloadEntries to see "
		      "per-workload results)\n", out);
	for (i = 0; i < m->n_wls; i++) {
		const struct model_workload *w = &m->wls[i];

		fprintf(out, "  %s/%s (%s)\n", w->wl->ns,
			w->wl->name ? w->wl->name : "?",
			w->wl->obj->kind_name);
		fprintf(out, "    identity: %s\n", w->identity);
		if (w->wl->address)
			fprintf(out, "    address: %s\n", w->wl->address);
		text_mtls(a, out, &w->mtls);
		text_authz(a, out, &w->authz, l7_list(a, m, w));
	}
}

void explain_text(const struct model *m, struct arena *a, FILE *out)
{
	fprintf(out, "Mesh: trust domain %s, root namespace %s, auto-mTLS "
		"%s\n", m->trust_domain, m->root_ns,
		m->c->mesh.enable_auto_mtls.v ? "on" : "off");
	text_namespaces(a, m, out);
	text_workloads(a, m, out);
	explain_text_services(m, a, out);
}
