// SPDX-License-Identifier: Apache-2.0
/* `analyze --explain -o json`: the same content as the text form, as one
 * JSON object {mesh, namespaces, workloads, services}. */
#include <jansson.h>

#include "explain_fmt.h"
#include "explain_int.h"

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jobj_ref(struct arena *a, const struct object *o)
{
	if (!o)
		return json_null();
	return json_pack("{s:s, s:o}", "resource", o->resource, "at",
			 jstr(ex_where(a, o->doc)));
}

static json_t *j_mtls(struct arena *a, const struct mtls_eff *t)
{
	json_t *ports = json_array(), *ign = json_array();
	size_t i;

	for (i = 0; i < t->n_ports; i++)
		json_array_append_new(ports, json_pack("{s:I, s:s, s:b}",
			"port", (json_int_t)t->ports[i].port,
			"mode", mtls_mode_names[t->ports[i].mode],
			"inherited", t->ports[i].inherited));
	for (i = 0; i < t->n_ignored; i++)
		json_array_append_new(ign, jobj_ref(a, t->ignored[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "mode",
			 mtls_mode_names[t->mode], "level",
			 pa_level_names[t->level], "policy",
			 jobj_ref(a, t->decided_by), "ports", ports,
			 "ignored", ign);
}

static json_t *j_rule(struct arena *a, const struct ap_rule_eff *r)
{
	return json_pack("{s:I, s:s, s:s, s:o, s:b, s:o}",
			 "index", (json_int_t)r->index,
			 "rule", ex_ap_rule(a, r->rule),
			 "tcp", l4_fate_names[r->fate],
			 "httpFields", jstr(r->http_fields),
			 "widenedToAll", r->widened_to_all,
			 "tcpRule", r->fate == L4_STRIPPED ?
			 jstr(ex_ap_rule(a, &r->l4)) : json_null());
}

static json_t *j_authz(struct arena *a, const struct authz_eff *z)
{
	json_t *pols = json_array();
	size_t i, j;

	for (i = 0; i < z->n; i++) {
		const struct ap_eff *e = &z->v[i];
		json_t *rules = json_array();

		for (j = 0; j < e->n_rules; j++)
			json_array_append_new(rules, j_rule(a, &e->rules[j]));
		json_array_append_new(pols, json_pack(
			"{s:o, s:s, s:b, s:b, s:b, s:b, s:o}",
			"policy", jobj_ref(a, e->obj),
			"action", ap_action_names[e->action],
			"dryRun", e->dry_run, "meshWide", e->mesh_wide,
			"targetRefs", e->by_target_ref,
			"allowNothing", e->allow_nothing, "rules", rules));
	}
	return json_pack("{s:b, s:o}", "defaultDeny", z->has_allow,
			 "policies", pols);
}

/* The ports of <w> judged per HTTP request: [{port, protocol}]. */
static json_t *j_l7_ports(const struct model *m,
			  const struct model_workload *w)
{
	static const char *const names[] = { "TCP", "HTTP", "HTTP2" };
	struct l7_port_eff v[64];
	size_t i, n = model_l7_ports(m, w, v, 64);
	json_t *arr = json_array();

	for (i = 0; i < n && i < 64; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s}", "port",
						     (json_int_t)v[i].port,
						     "protocol",
						     names[v[i].family]));
	return arr;
}

static json_t *j_workloads(struct arena *a, const struct model *m)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < m->n_wls; i++) {
		const struct model_workload *w = &m->wls[i];

		json_array_append_new(arr, json_pack(
			"{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
			"name", jstr(w->wl->name), "namespace", w->wl->ns,
			"kind", w->wl->obj->kind_name,
			"identity", w->identity,
			"address", jstr(w->wl->address),
			"locality", jstr(w->wl->locality),
			"mtls", j_mtls(a, &w->mtls),
			"authorization", j_authz(a, &w->authz),
			"judgedPerRequest", j_l7_ports(m, w)));
	}
	return arr;
}

static json_t *j_namespaces(struct arena *a, const struct model *m)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < m->n_nss; i++)
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o}",
			"namespace", m->nss[i].ns,
			"mtls", j_mtls(a, &m->nss[i].mtls),
			"authorization", j_authz(a, &m->nss[i].authz)));
	return arr;
}

/* ---- services ---- */

static json_t *j_dests(const struct dest_eff *d, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack(
			"{s:o, s:o, s:o, s:o, s:f}",
			"host", jstr(d[i].host), "subset", jstr(d[i].subset),
			"port", d[i].port ? json_integer(d[i].port) :
			json_null(), "weight", d[i].weight >= 0 ?
			json_integer(d[i].weight) : json_null(),
			"share", d[i].share));
	return arr;
}

static json_t *j_retries(struct arena *a, const struct retry_eff *r)
{
	json_t *codes = json_array();
	size_t i;

	for (i = 0; i < r->n_codes; i++)
		json_array_append_new(codes, json_integer(r->codes[i]));
	return json_pack("{s:b, s:I, s:o, s:o, s:o}", "default", r->is_default,
			 "attempts", (json_int_t)r->attempts,
			 "retryOn", jstr(r->retry_on), "codes", codes,
			 "perTryTimeout", r->per_try_timeout_ns ?
			 jstr(ex_dur(a, r->per_try_timeout_ns)) : json_null());
}

static json_t *j_http(struct arena *a, const struct http_route_eff *h)
{
	json_t *match = json_array();
	size_t i;

	for (i = 0; h->r && i < h->r->match.n; i++)
		json_array_append_new(match, json_string(
			ex_http_match(a, &h->r->match.v[i])));
	return json_pack("{s:o, s:o, s:s, s:o, s:I, s:o, s:o}",
			 "index", h->r ? json_integer((json_int_t)h->index) :
			 json_null(), "match", match,
			 "action", route_action_names[h->action],
			 "destinations", j_dests(h->dests, h->n_dests),
			 "droppedDestinations", (json_int_t)h->n_dropped,
			 "timeout", h->timeout_ns ?
			 jstr(ex_dur(a, h->timeout_ns)) : json_null(),
			 "retries", j_retries(a, &h->retries));
}

static json_t *j_l4(struct arena *a, const struct l4_route_eff *v, size_t n)
{
	json_t *arr = json_array();
	size_t i, j;

	for (i = 0; i < n; i++) {
		json_t *match = json_array();

		for (j = 0; v[i].r && j < v[i].r->match.n; j++)
			json_array_append_new(match, json_string(
				ex_l4_match(a, &v[i].r->match.v[j])));
		json_array_append_new(arr, json_pack(
			"{s:o, s:o, s:o, s:I}", "index", v[i].r ?
			json_integer((json_int_t)v[i].index) : json_null(),
			"match", match,
			"destinations", j_dests(v[i].dests, v[i].n_dests),
			"droppedDestinations", (json_int_t)v[i].n_dropped));
	}
	return arr;
}

static json_t *j_pool(struct arena *a, const struct pool_eff *p)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s}",
		"from", ex_src(a, &p->src),
		"maxConnections", (json_int_t)p->max_connections,
		"connectTimeout", ex_dur(a, p->connect_timeout_ns),
		"tcpIdleTimeout", ex_dur(a, p->tcp_idle_timeout_ns),
		"http1MaxPendingRequests", (json_int_t)p->http1_max_pending,
		"http2MaxRequests", (json_int_t)p->http2_max_requests,
		"maxRequestsPerConnection",
		(json_int_t)p->max_requests_per_connection,
		"maxRetries", (json_int_t)p->max_retries,
		"httpIdleTimeout", ex_dur(a, p->http_idle_timeout_ns),
		"h2UpgradePolicy", h2_upgrade_names[p->h2_upgrade]);
}

static json_t *j_outlier(struct arena *a, const struct outlier_eff *o)
{
	if (!o->enabled)
		return json_null();
	return json_pack("{s:s, s:I, s:I, s:I, s:b, s:s, s:s, s:I, s:I}",
		"from", ex_src(a, &o->src),
		"consecutive5xxErrors", (json_int_t)o->consecutive_5xx,
		"consecutiveGatewayErrors", (json_int_t)o->consecutive_gateway,
		"consecutiveLocalOriginFailures",
		(json_int_t)o->consecutive_local_origin,
		"splitExternalLocalOriginErrors", o->split_local_origin,
		"interval", ex_dur(a, o->interval_ns),
		"baseEjectionTime", ex_dur(a, o->base_ejection_ns),
		"maxEjectionPercent", (json_int_t)o->max_ejection_percent,
		"minHealthPercent", (json_int_t)o->min_health_percent);
}

static json_t *j_locality(struct arena *a, const struct locality_eff *l)
{
	json_t *dist = json_array(), *fo = json_array();
	size_t i;

	for (i = 0; l->setting && i < l->setting->distribute.n; i++)
		json_array_append_new(dist, json_string(ex_distribute(
			a, &l->setting->distribute.v[i])));
	for (i = 0; l->setting && i < l->setting->failover.n; i++)
		json_array_append_new(fo, json_pack("{s:o, s:o}",
			"from", jstr(l->setting->failover.v[i].from),
			"to", jstr(l->setting->failover.v[i].to)));
	return json_pack("{s:b, s:b, s:o, s:o}", "enabled", l->enabled,
			 "failoverActive", l->failover_active,
			 "distribute", dist, "failover", fo);
}

static json_t *j_policy(struct arena *a, const struct policy_eff *p)
{
	json_t *tls = json_pack("{s:o, s:b, s:o}",
		"mode", p->tls.set ? json_string(tls_mode_names[p->tls.mode]) :
		json_null(), "autoMtls", p->tls.auto_mtls,
		"from", p->tls.set ? jstr(ex_src(a, &p->tls.src)) : json_null());

	return json_pack("{s:o, s:{s:s, s:s}, s:o, s:o, s:o, s:o}",
		"port", p->port ? json_integer(p->port) : json_null(),
		"loadBalancer", "simple", p->lb.hash ? "CONSISTENT_HASH" :
		lb_simple_names[p->lb.simple], "from", ex_src(a, &p->lb.src),
		"locality", j_locality(a, &p->locality),
		"connectionPool", j_pool(a, &p->pool),
		"outlierDetection", j_outlier(a, &p->outlier), "tls", tls);
}

static json_t *j_subset(struct arena *a, const struct subset_eff *e)
{
	json_t *pols = json_array(), *eps = json_array();
	size_t i;

	for (i = 0; i < e->n_policies; i++)
		json_array_append_new(pols, j_policy(a, &e->policies[i]));
	for (i = 0; i < e->n_eps; i++)
		json_array_append_new(eps, json_pack("{s:o, s:s, s:o, s:o, s:I}",
			"workload", jstr(e->eps[i].wl->name),
			"namespace", e->eps[i].wl->ns,
			"address", jstr(e->eps[i].address),
			"locality", jstr(e->eps[i].locality),
			"weight", (json_int_t)e->eps[i].weight));
	return json_pack("{s:o, s:o, s:o, s:o}", "name", jstr(e->name),
			 "destinationRule", jobj_ref(a, e->dr),
			 "policies", pols, "endpoints", eps);
}

static json_t *j_objs(struct arena *a, const struct object *const *v,
		      size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, jobj_ref(a, v[i]));
	return arr;
}

static json_t *j_service(struct arena *a, const struct model_service *s)
{
	json_t *http = json_array(), *subs = json_array();
	size_t i;

	for (i = 0; i < s->n_http; i++)
		json_array_append_new(http, j_http(a, &s->http[i]));
	for (i = 0; i < s->n_subsets; i++)
		json_array_append_new(subs, j_subset(a, &s->subsets[i]));
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
			 "s:o, s:o, s:o}",
		"host", s->host, "namespace", jstr(s->ns),
		"registry", s->svc ? jstr(s->svc->obj->resource) : json_null(),
		"virtualService", jobj_ref(a, s->vs),
		"ignoredVirtualServices", j_objs(a, s->vs_ignored,
						 s->n_vs_ignored),
		"http", http, "tcp", j_l4(a, s->tcp, s->n_tcp),
		"tls", j_l4(a, s->tls, s->n_tls),
		"destinationRules", j_objs(a, s->drs, s->n_drs),
		"otherDestinationRules", j_objs(a, s->drs_other,
						s->n_drs_other),
		"trafficPolicyFrom", jobj_ref(a, s->tp_dr),
		"subsets", subs);
}

int explain_json(const struct model *m, struct arena *a, FILE *out)
{
	json_t *svcs = json_array(), *root;
	size_t i;
	int rc;

	for (i = 0; i < m->n_svcs; i++)
		json_array_append_new(svcs, j_service(a, &m->svcs[i]));
	root = json_pack("{s:{s:s, s:s, s:b}, s:o, s:o, s:o}",
		"mesh", "trustDomain", m->trust_domain,
		"rootNamespace", m->root_ns,
		"autoMtls", m->c->mesh.enable_auto_mtls.v,
		"namespaces", j_namespaces(a, m),
		"workloads", j_workloads(a, m), "services", svcs);
	if (!root)
		return -1;
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc;
}
