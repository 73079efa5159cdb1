// SPDX-License-Identifier: Apache-2.0
/* DestinationRules of one host and the effective traffic policy of every
 * (subset, port) (semantics section 4). Istio replaces whole sections, it
 * never deep-merges: a port-level setting replaces loadBalancer,
 * connectionPool, outlierDetection and tls together (omitted ones fall back
 * to defaults), and each section a subset sets replaces the DR's. */
#include <string.h>

#include "model.h"

const char *const tp_origin_names[] = { "default", "trafficPolicy",
					"portLevelSettings",
					"subset trafficPolicy",
					"subset portLevelSettings", NULL };

#define SEC 1000000000LL
#define DEFAULT_CONNECT_TIMEOUT (10 * SEC)
#define DEFAULT_IDLE_TIMEOUT (3600 * SEC)

/* The sections of a traffic policy in force, before defaults. */
struct tp_view {
	const struct load_balancer *lb;
	const struct connection_pool *cp;
	const struct outlier_detection *od;
	const struct client_tls *tls;
	struct tp_src lb_src, cp_src, od_src, tls_src;
	const struct tunnel *tunnel;
	const struct proxy_protocol *proxy;
	const struct retry_budget *budget;
};

#define SECTION(p) ((p)->at ? (p) : NULL)

static struct tp_src src_of(enum tp_origin from, const struct object *o,
			    const struct ynode *at)
{
	return (struct tp_src){ at ? from : TPO_DEFAULT, o, at };
}

static void view_top(struct tp_view *v, const struct traffic_policy *tp,
		     const struct object *o, enum tp_origin from)
{
	memset(v, 0, sizeof(*v));
	if (!tp || !tp->at)
		return;
	v->lb = SECTION(&tp->load_balancer);
	v->cp = SECTION(&tp->connection_pool);
	v->od = SECTION(&tp->outlier_detection);
	v->tls = SECTION(&tp->tls);
	v->lb_src = src_of(from, o, tp->load_balancer.at);
	v->cp_src = src_of(from, o, tp->connection_pool.at);
	v->od_src = src_of(from, o, tp->outlier_detection.at);
	v->tls_src = src_of(from, o, tp->tls.at);
	v->tunnel = SECTION(&tp->tunnel);
	v->proxy = SECTION(&tp->proxy_protocol);
	v->budget = SECTION(&tp->retry_budget);
}

static const struct port_traffic_policy *
port_entry(const struct traffic_policy *tp, uint32_t port)
{
	size_t i;

	if (!tp || !port)
		return NULL;
	for (i = 0; i < tp->port_level_settings.n; i++) {
		const struct port_traffic_policy *p =
			&tp->port_level_settings.v[i];

		if (p->port.number.set && (uint32_t)p->port.number.v == port)
			return p;
	}
	return NULL;
}

/* A port entry stands for the whole policy: the four sections it can
 * hold are taken as they are (absent = default), the rest is lost. The
 * source keeps the entry's node so explain can say who reset a section. */
static void view_port(struct tp_view *v, const struct port_traffic_policy *p,
		      const struct object *o, enum tp_origin from)
{
	memset(v, 0, sizeof(*v));
	v->lb = SECTION(&p->load_balancer);
	v->cp = SECTION(&p->connection_pool);
	v->od = SECTION(&p->outlier_detection);
	v->tls = SECTION(&p->tls);
	v->lb_src = (struct tp_src){ from, o, p->load_balancer.at };
	v->cp_src = (struct tp_src){ from, o, p->connection_pool.at };
	v->od_src = (struct tp_src){ from, o, p->outlier_detection.at };
	v->tls_src = (struct tp_src){ from, o, p->tls.at };
}

/* Istio's MergeSubsetTrafficPolicy for one port. */
static void merge_views(struct tp_view *v, const struct tp_view *sub,
			bool sub_port)
{
	if (sub->lb || sub_port) {
		v->lb = sub->lb;
		v->lb_src = sub->lb_src;
	}
	if (sub->cp || sub_port) {
		v->cp = sub->cp;
		v->cp_src = sub->cp_src;
	}
	if (sub->od || sub_port) {
		v->od = sub->od;
		v->od_src = sub->od_src;
	}
	if (sub->tls || sub_port) {
		v->tls = sub->tls;
		v->tls_src = sub->tls_src;
	}
	if (sub->tunnel)
		v->tunnel = sub->tunnel;
	if (sub->proxy)
		v->proxy = sub->proxy;
	if (sub->budget)
		v->budget = sub->budget;
}

/* ---- defaults ---- */

static uint32_t u32_or(const struct opt_i64 *o, uint32_t def)
{
	return o->set && o->v >= 0 ? (uint32_t)o->v : def;
}

static int64_t dur_or(const struct opt_dur *o, int64_t def)
{
	return o->set ? o->ns : def;
}

static void fill_lb(const struct tp_view *v, struct lb_eff *e)
{
	const struct load_balancer *lb = v->lb;

	e->src = v->lb_src;
	e->lb = lb;
	e->simple = LB_LEAST_REQUEST;
	if (lb && lb->consistent_hash.at)
		e->hash = &lb->consistent_hash;
	/* LEAST_CONN is a deprecated alias; UNSPECIFIED is Istio's default */
	if (lb && lb->simple.set && lb->simple.v != LB_UNSPECIFIED &&
	    lb->simple.v != LB_LEAST_CONN)
		e->simple = (enum lb_simple)lb->simple.v;
}

static void fill_pool(const struct config *c, const struct tp_view *v,
		      struct pool_eff *e)
{
	static const struct connection_pool none;
	const struct connection_pool *cp = v->cp ? v->cp : &none;
	const struct tcp_pool *t = &cp->tcp;
	const struct http_pool *h = &cp->http;
	int64_t ct = c->mesh.connect_timeout.set ? c->mesh.connect_timeout.ns :
						   DEFAULT_CONNECT_TIMEOUT;

	e->src = v->cp_src;
	e->cp = v->cp;
	e->max_connections = u32_or(&t->max_connections, POOL_UNLIMITED);
	e->connect_timeout_ns = dur_or(&t->connect_timeout, ct);
	e->tcp_idle_timeout_ns = dur_or(&t->idle_timeout, DEFAULT_IDLE_TIMEOUT);
	e->max_conn_duration_ns = dur_or(&t->max_connection_duration, 0);
	e->http1_max_pending = u32_or(&h->http1_max_pending_requests,
				      POOL_UNLIMITED);
	e->http2_max_requests = u32_or(&h->http2_max_requests, POOL_UNLIMITED);
	e->max_requests_per_connection =
		u32_or(&h->max_requests_per_connection, 0);
	e->max_retries = u32_or(&h->max_retries, POOL_UNLIMITED);
	e->http_idle_timeout_ns = dur_or(&h->idle_timeout,
					 DEFAULT_IDLE_TIMEOUT);
	/* DEFAULT means the mesh's h2UpgradePolicy, DO_NOT_UPGRADE */
	e->h2_upgrade = h->h2_upgrade_policy.set &&
			h->h2_upgrade_policy.v != H2_DEFAULT ?
			(enum h2_upgrade)h->h2_upgrade_policy.v :
			H2_DO_NOT_UPGRADE;
	e->use_client_protocol = h->use_client_protocol.set &&
				 h->use_client_protocol.v;
}

static void fill_outlier(const struct tp_view *v, struct outlier_eff *e)
{
	const struct outlier_detection *od = v->od;

	e->src = v->od_src;
	e->enabled = od != NULL;
	if (!od)
		return;
	e->consecutive_5xx = u32_or(&od->consecutive_5xx_errors, 5);
	e->consecutive_gateway = u32_or(&od->consecutive_gateway_errors, 0);
	/* deprecated consecutiveErrors counts gateway errors only */
	if (od->consecutive_errors.set && od->consecutive_errors.v > 0) {
		if (!od->consecutive_gateway_errors.set)
			e->consecutive_gateway =
				(uint32_t)od->consecutive_errors.v;
		if (!od->consecutive_5xx_errors.set)
			e->consecutive_5xx = 0;
	}
	e->split_local_origin = od->split_external_local_origin_errors.set &&
				od->split_external_local_origin_errors.v;
	e->consecutive_local_origin =
		u32_or(&od->consecutive_local_origin_failures, 5);
	e->interval_ns = dur_or(&od->interval, 10 * SEC);
	e->base_ejection_ns = dur_or(&od->base_ejection_time, 30 * SEC);
	/* Istio writes max_ejection_percent only when > 0 */
	e->max_ejection_percent = od->max_ejection_percent.set &&
				  od->max_ejection_percent.v > 0 ?
				  (uint32_t)od->max_ejection_percent.v : 10;
	e->min_health_percent = u32_or(&od->min_health_percent, 0);
}

static void fill_locality(const struct policy_eff *p, struct locality_eff *e)
{
	const struct load_balancer *lb = p->lb.lb;

	e->setting = lb && lb->locality_lb_setting.at ?
		     &lb->locality_lb_setting : NULL;
	e->enabled = !e->setting || !e->setting->enabled.set ||
		     e->setting->enabled.v;
	/* istiod sets locality priorities only with outlier detection;
	 * distribute is a weighting, not a failover */
	e->failover_active = e->enabled && p->outlier.enabled &&
			     !(e->setting && e->setting->distribute.n);
}

static void fill_tls(const struct config *c, const struct tp_view *v,
		     struct tls_eff *e)
{
	e->src = v->tls_src;
	e->tls = v->tls;
	e->set = v->tls != NULL;
	e->mode = e->set && v->tls->mode.set ? (enum tls_mode)v->tls->mode.v :
					       TLS_DISABLE;
	e->auto_mtls = !e->set && (!c->mesh.enable_auto_mtls.set ||
				   c->mesh.enable_auto_mtls.v);
}

void resolve_traffic_policy(const struct config *c,
			    const struct object *dr_obj,
			    const struct traffic_policy *dr,
			    const struct object *sub_obj,
			    const struct traffic_policy *sub, uint32_t port,
			    struct policy_eff *out)
{
	const struct port_traffic_policy *pe = port_entry(dr, port);
	struct tp_view v, sv;

	memset(out, 0, sizeof(*out));
	out->port = port;
	if (pe)
		view_port(&v, pe, dr_obj, TPO_DR_PORT);
	else
		view_top(&v, dr, dr_obj, TPO_DR);
	if (sub && sub->at) {
		const struct port_traffic_policy *spe = port_entry(sub, port);

		if (spe)
			view_port(&sv, spe, sub_obj, TPO_SUBSET_PORT);
		else
			view_top(&sv, sub, sub_obj, TPO_SUBSET);
		merge_views(&v, &sv, spe != NULL);
	}
	fill_lb(&v, &out->lb);
	fill_pool(c, &v, &out->pool);
	fill_outlier(&v, &out->outlier);
	fill_locality(out, &out->locality);
	fill_tls(c, &v, &out->tls);
	out->tunnel = v.tunnel;
	out->proxy_protocol = v.proxy;
	out->retry_budget = v.budget;
}
