// SPDX-License-Identifier: Apache-2.0
/* The per-service part of the text explain: routes in match order, then
 * each subset with its effective policy per port and its endpoints. */
#include <stdlib.h>
#include <string.h>

#include "explain_fmt.h"
#include "explain_int.h"

static void text_dests(struct arena *a, FILE *out, const struct dest_eff *d,
		       size_t n, size_t dropped)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(out, "          -> %s  %.1f%%\n", ex_dest(a, &d[i]),
			d[i].share * 100.0);
	if (dropped)
		fprintf(out, "          (%zu destination%s with weight 0 or no "
			"weight dropped: with several destinations they get "
			"no traffic)\n", dropped, dropped > 1 ? "s" : "");
}

static void text_retries(struct arena *a, FILE *out, const struct retry_eff *r)
{
	size_t i;

	if (!r->attempts) {
		fputs("        retries: none\n", out);
		return;
	}
	fprintf(out, "        retries: %u attempts on %s", r->attempts,
		r->retry_on);
	for (i = 0; i < r->n_codes; i++)
		fprintf(out, "%s%u", i ? "," : " (codes ", r->codes[i]);
	if (r->n_codes)
		fputc(')', out);
	if (r->per_try_timeout_ns)
		fprintf(out, ", per try %s", ex_dur(a, r->per_try_timeout_ns));
	fputs(r->is_default ? " (Istio default: no retries written)\n" : "\n",
	      out);
}

static void text_http(struct arena *a, FILE *out, const struct http_route_eff *h)
{
	size_t i;

	if (!h->r) {
		fputs("      http (no VirtualService: default route)\n", out);
	} else {
		fprintf(out, "      http[%zu]%s%s:", h->index,
			h->r->name ? " " : "", h->r->name ? h->r->name : "");
		for (i = 0; i < h->r->match.n; i++)
			fprintf(out, "%s%s", i ? " OR " : " ",
				ex_http_match(a, &h->r->match.v[i]));
		fputs(h->r->match.n ? "\n" : " any request\n", out);
	}
	if (h->action != RA_ROUTE)
		fprintf(out, "          -> %s\n", route_action_names[h->action]);
	text_dests(a, out, h->dests, h->n_dests, h->n_dropped);
	fprintf(out, "        timeout: %s\n",
		h->timeout_ns ? ex_dur(a, h->timeout_ns) : "none");
	text_retries(a, out, &h->retries);
}

static void text_l4(struct arena *a, FILE *out, const char *kind,
		    const struct l4_route_eff *l)
{
	size_t i;

	if (!l->r) {
		fprintf(out, "      %s (no VirtualService: default route)\n",
			kind);
		text_dests(a, out, l->dests, l->n_dests, l->n_dropped);
		return;
	}
	fprintf(out, "      %s[%zu]:", kind, l->index);
	for (i = 0; i < l->r->match.n; i++)
		fprintf(out, "%s%s", i ? " OR " : " ",
			ex_l4_match(a, &l->r->match.v[i]));
	fputs(l->r->match.n ? "\n" : " any connection\n", out);
	text_dests(a, out, l->dests, l->n_dests, l->n_dropped);
}

static void text_routes(struct arena *a, FILE *out,
			const struct model_service *s)
{
	size_t i;

	if (s->vs)
		fprintf(out, "    routes from %s (first match wins):\n",
			ex_obj(a, s->vs, NULL));
	else
		fputs("    routes:\n", out);
	for (i = 0; i < s->n_vs_ignored; i++)
		fprintf(out, "    ignored: %s (an older VirtualService holds "
			"this host)\n", ex_obj(a, s->vs_ignored[i], NULL));
	for (i = 0; i < s->n_http; i++)
		text_http(a, out, &s->http[i]);
	for (i = 0; i < s->n_tls; i++)
		text_l4(a, out, "tls", &s->tls[i]);
	for (i = 0; i < s->n_tcp; i++)
		text_l4(a, out, "tcp", &s->tcp[i]);
}

static void text_pool(struct arena *a, FILE *out, const struct pool_eff *p)
{
	fprintf(out, "          connectionPool: %s\n", ex_src(a, &p->src));
	fprintf(out, "            tcp: maxConnections %s, connectTimeout %s, "
		"idleTimeout %s\n", ex_limit(a, p->max_connections),
		ex_dur(a, p->connect_timeout_ns),
		ex_dur(a, p->tcp_idle_timeout_ns));
	fprintf(out, "            http: http1MaxPendingRequests %s, "
		"http2MaxRequests %s, maxRequestsPerConnection %s, "
		"maxRetries %s, h2UpgradePolicy %s\n",
		ex_limit(a, p->http1_max_pending),
		ex_limit(a, p->http2_max_requests),
		p->max_requests_per_connection ?
		ex_limit(a, p->max_requests_per_connection) : "unlimited",
		ex_limit(a, p->max_retries), h2_upgrade_names[p->h2_upgrade]);
}

static void text_outlier(struct arena *a, FILE *out,
			 const struct outlier_eff *o)
{
	if (!o->enabled) {
		fputs("          outlierDetection: off\n", out);
		return;
	}
	fprintf(out, "          outlierDetection: %s\n", ex_src(a, &o->src));
	fprintf(out, "            eject after %u consecutive 5xx%s, every %s "
		"for %s x ejections, at most %u%% ejected, panic below %u%% "
		"healthy\n", o->consecutive_5xx,
		o->split_local_origin ? " (local-origin failures counted "
		"apart)" : "", ex_dur(a, o->interval_ns),
		ex_dur(a, o->base_ejection_ns), o->max_ejection_percent,
		o->min_health_percent);
	if (o->consecutive_gateway)
		fprintf(out, "            or %u consecutive gateway errors\n",
			o->consecutive_gateway);
}

static void text_locality(struct arena *a, FILE *out,
			  const struct locality_eff *l)
{
	size_t i;

	fprintf(out, "          locality: %s%s\n",
		l->enabled ? "enabled" : "disabled",
		!l->enabled ? "" : l->failover_active ?
		", fails over by proximity (outlierDetection present)" :
		", no failover (needs outlierDetection)");
	if (!l->setting)
		return;
	for (i = 0; i < l->setting->distribute.n; i++)
		fprintf(out, "            distribute %s\n",
			ex_distribute(a, &l->setting->distribute.v[i]));
	for (i = 0; i < l->setting->failover.n; i++)
		fprintf(out, "            failover %s -> %s%s\n",
			l->setting->failover.v[i].from,
			l->setting->failover.v[i].to,
			l->failover_active ? "" : " (inactive)");
}

static void text_policy(struct arena *a, FILE *out, const struct policy_eff *p)
{
	fprintf(out, "          loadBalancer: %s, %s\n",
		p->lb.hash ? "consistentHash" : lb_simple_names[p->lb.simple],
		ex_src(a, &p->lb.src));
	text_locality(a, out, &p->locality);
	text_pool(a, out, &p->pool);
	text_outlier(a, out, &p->outlier);
	if (p->tls.set)
		fprintf(out, "          tls: %s, %s\n",
			tls_mode_names[p->tls.mode], ex_src(a, &p->tls.src));
	else
		fprintf(out, "          tls: %s\n", p->tls.auto_mtls ?
			"auto (Istio mTLS when the destination accepts it)" :
			"none (plaintext)");
}

static char *policy_text(struct arena *a, const struct policy_eff *p)
{
	char *buf = NULL, *s;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return arena_strdup(a, "");
	text_policy(a, f, p);
	fclose(f);
	s = arena_strdup(a, buf ? buf : "");
	free(buf);
	return s;
}

/* Ports whose effective policy reads the same are printed once. */
static void text_policies(struct arena *a, FILE *out,
			  const struct subset_eff *e)
{
	char **body = arena_alloc(a, (e->n_policies + 1) * sizeof(*body));
	bool *done = arena_alloc(a, e->n_policies + 1);
	size_t i, j;

	for (i = 0; i < e->n_policies; i++)
		body[i] = policy_text(a, &e->policies[i]);
	for (i = 0; i < e->n_policies; i++) {
		if (done[i])
			continue;
		fputs(e->policies[i].port ? "        port" : "        any port",
		      out);
		for (j = i; j < e->n_policies; j++) {
			if (done[j] || strcmp(body[i], body[j]))
				continue;
			done[j] = true;
			if (e->policies[j].port)
				fprintf(out, "%s %u", j > i ? "," : "",
					e->policies[j].port);
			else if (j > i)
				fputs(", any other port", out);
		}
		fprintf(out, ":\n%s", body[i]);
	}
}

static void text_subset(struct arena *a, FILE *out,
			const struct model_service *s,
			const struct subset_eff *e)
{
	size_t i;

	if (e->name)
		fprintf(out, "    subset %s from %s\n", e->name,
			ex_obj(a, e->dr, e->subset->at));
	else
		fputs("    the service as a whole (no subset)\n", out);
	text_policies(a, out, e);
	if (!s->svc)
		return;
	if (!e->n_eps && s->svc->se && s->svc->se->resolution.set &&
	    s->svc->se->resolution.v == RES_DNS && !s->svc->se->endpoints.n) {
		fputs("        endpoints: the host's DNS records, resolved at "
		      "run time\n", out);
		return;
	}
	fprintf(out, "        endpoints: %zu\n", e->n_eps);
	for (i = 0; i < e->n_eps; i++)
		fprintf(out, "          %s/%s %s%s%s weight %u\n",
			e->eps[i].wl->ns, e->eps[i].wl->name,
			e->eps[i].address ? e->eps[i].address : "(no address)",
			e->eps[i].locality ? " locality " : "",
			e->eps[i].locality ? e->eps[i].locality : "",
			e->eps[i].weight);
}

static void text_drs(struct arena *a, FILE *out, const struct model_service *s)
{
	size_t i;

	for (i = 0; i < s->n_drs; i++)
		fprintf(out, "    destination rule %zu: %s%s\n", i + 1,
			ex_obj(a, s->drs[i], NULL),
			s->drs[i] == s->tp_dr ? " (its trafficPolicy applies)" :
			obj_dr(s->drs[i])->traffic_policy.at ?
			" (trafficPolicy ignored: an older DR's applies)" : "");
	for (i = 0; i < s->n_drs_other; i++)
		fprintf(out, "    not merged: %s (another namespace, or a "
			"workloadSelector: only some clients use it)\n",
			ex_obj(a, s->drs_other[i], NULL));
	for (i = 0; i < s->n_subsets_dropped; i++)
		fprintf(out, "    ignored subset %s at %s (name already "
			"defined)\n", s->subsets_dropped[i]->name,
			ex_where(a, s->subsets_dropped[i]->at));
}

static void text_service(struct arena *a, FILE *out,
			 const struct model_service *s)
{
	size_t i;

	fprintf(out, "  %s\n", s->host);
	if (s->svc) {
		fprintf(out, "    from %s, ports:", s->svc->obj->resource);
		for (i = 0; i < s->svc->n_ports; i++)
			fprintf(out, " %u/%s", s->svc->ports[i].port,
				s->svc->ports[i].protocol ?
				s->svc->ports[i].protocol : "?");
		fputs(s->svc->n_ports ? "\n" : " none\n", out);
	} else {
		fputs("    not in the registry (no Service or ServiceEntry "
		      "loaded for it): shown as written\n", out);
	}
	text_routes(a, out, s);
	text_drs(a, out, s);
	for (i = 0; i < s->n_subsets; i++)
		text_subset(a, out, s, &s->subsets[i]);
}

void explain_text_services(const struct model *m, struct arena *a, FILE *out)
{
	size_t i;

	fputs("\nServices:\n", out);
	if (!m->n_svcs)
		fputs("  (none)\n", out);
	for (i = 0; i < m->n_svcs; i++)
		text_service(a, out, &m->svcs[i]);
}
