// SPDX-License-Identifier: Apache-2.0
/* Routes of one host (semantics section 3): the VirtualService that wins
 * the host on the mesh gateway, its routes in match order with relative
 * weights, and the timeout and retry values Envoy will actually use. */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "objindex.h"

const char *const route_action_names[] = { "route", "redirect",
					   "directResponse", "delegate",
					   NULL };

/* Istio's built-in retry policy (no meshConfig.defaultHttpRetryPolicy). */
#define DEFAULT_ATTEMPTS 2
#define DEFAULT_RETRY_ON \
	"connect-failure,refused-stream,unavailable,cancelled," \
	"retriable-status-codes"

/* ---- which VirtualService ---- */

static bool vs_on_mesh(const struct vs_spec *v)
{
	size_t i;

	if (!v->gateways.n)
		return true;
	for (i = 0; i < v->gateways.n; i++)
		if (!strcmp(v->gateways.v[i], "mesh"))
			return true;
	return false;
}

/* 2: the VS names <host> exactly; 1: through a wildcard; 0: not at all.
 * *len is the matched wildcard's length (longer = more specific). */
static int vs_host_match(struct arena *a, const struct registry *r,
			 const struct object *o, const char *host, size_t *len)
{
	const struct vs_spec *v = obj_vs(o);
	int best = 0;
	size_t i;

	for (i = 0; i < v->hosts.n; i++) {
		const char *h = registry_fqdn(a, r, v->hosts.v[i], o->ns);
		size_t hl = strlen(h), l = strlen(host);

		if (!strcmp(h, host))
			return 2;
		if (h[0] == '*' && l >= hl - 1 &&
		    !strcmp(host + l - (hl - 1), h + 1) && hl > *len) {
			*len = hl;
			best = 1;
		}
	}
	return best;
}

static void push_obj(struct arena *a, const struct object ***v, size_t *n,
		     const struct object *o)
{
	const struct object **nv = arena_alloc(a, (*n + 1) * sizeof(*nv));

	if (*n)
		memcpy(nv, *v, *n * sizeof(*nv));
	nv[(*n)++] = o;
	*v = nv;
}

/* Two mesh VSs for one host are not merged: the oldest keeps it. */
const struct object *resolve_vs(const struct config *c,
				const struct registry *r, struct arena *a,
				const char *host, const struct object ***ignored,
				size_t *n_ignored)
{
	const struct object *exact = NULL, *wild = NULL, *o;
	size_t wild_len = 0;
	struct obj_iter it;

	/* only these can match; the others would leave everything as is */
	obj_iter_host(&it, c, K_VIRTUAL_SERVICE, host);
	while ((o = obj_iter_next(&it))) {
		size_t len = 0;
		int m;

		if (o->invalid || !vs_on_mesh(obj_vs(o)))
			continue;
		m = vs_host_match(a, r, o, host, &len);
		if (m == 2 && exact && ignored) {
			const struct object *loser = model_older(o, exact) ?
						     exact : o;

			push_obj(a, ignored, n_ignored, loser);
		}
		if (m == 2 && (!exact || model_older(o, exact)))
			exact = o;
		if (m == 1 && (len > wild_len ||
			       (len == wild_len && model_older(o, wild)))) {
			wild = o;
			wild_len = len;
		}
	}
	return exact ? exact : wild;
}

/* ---- weights, timeouts, retries ---- */

void resolve_weights(struct dest_eff *d, size_t n, size_t *n_kept,
		     size_t *n_dropped)
{
	int64_t sum = 0;
	size_t i, k = 0;

	*n_dropped = 0;
	if (n == 1) {
		d[0].share = 1.0;
		*n_kept = 1;
		return;
	}
	/* with several destinations, weight 0 and unset both mean "none" */
	for (i = 0; i < n; i++) {
		if (d[i].weight <= 0) {
			(*n_dropped)++;
			continue;
		}
		sum += d[i].weight;
		d[k++] = d[i];
	}
	for (i = 0; i < k; i++)
		d[i].share = (double)d[i].weight / (double)sum;
	*n_kept = k;
}

static void parse_retry_on(struct arena *a, const char *in,
			   struct retry_eff *out)
{
	size_t len = strlen(in), n = 0;
	char *buf = arena_alloc(a, len + sizeof(",retriable-status-codes"));
	char *tmp = arena_strdup(a, in), *save = NULL, *tok;
	bool has_rsc = false;

	out->codes = arena_alloc(a, (len / 2 + 1) * sizeof(*out->codes));
	for (tok = strtok_r(tmp, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long code = strtoul(tok, &end, 10);

		if (*tok && !*end && *tok != '-') {
			out->codes[out->n_codes++] = (uint32_t)code;
			continue;
		}
		has_rsc |= !strcmp(tok, "retriable-status-codes");
		n += (size_t)sprintf(buf + n, "%s%s", n ? "," : "", tok);
	}
	/* Istio adds the condition that makes the listed codes count */
	if (out->n_codes && !has_rsc)
		sprintf(buf + n, "%sretriable-status-codes", n ? "," : "");
	out->retry_on = buf;
}

void resolve_retries(const struct retries *in, struct arena *a,
		     struct retry_eff *out)
{
	memset(out, 0, sizeof(*out));
	out->at = in ? in->at : NULL;
	if (!in || !in->at) {
		out->is_default = true;
		out->attempts = DEFAULT_ATTEMPTS;
		out->retry_on = DEFAULT_RETRY_ON;
		return;
	}
	/* a retries block without a positive attempts disables retries */
	if (!in->attempts.set || in->attempts.v <= 0)
		return;
	out->attempts = (uint32_t)in->attempts.v;
	if (in->retry_on && *in->retry_on)
		parse_retry_on(a, in->retry_on, out);
	else
		out->retry_on = DEFAULT_RETRY_ON;
	if (in->per_try_timeout.set)
		out->per_try_timeout_ns = in->per_try_timeout.ns;
}

/* ---- routes ---- */

static void fill_dest(struct arena *a, const struct registry *r,
		      const struct object *vs, const struct destination *d,
		      const struct opt_i64 *w, const struct ynode *at,
		      struct dest_eff *out)
{
	out->host = d->host ? registry_fqdn(a, r, d->host, vs->ns) : NULL;
	out->subset = d->subset;
	out->port = d->port.number.set ? (uint32_t)d->port.number.v : 0;
	out->weight = w->set ? w->v : -1;
	out->at = at;
}

static enum route_action http_action(const struct http_route *h)
{
	if (h->redirect.at)
		return RA_REDIRECT;
	if (h->direct_response.at)
		return RA_DIRECT_RESPONSE;
	if (h->delegate.at)
		return RA_DELEGATE;
	return RA_ROUTE;
}

static void fill_http(struct arena *a, const struct registry *r,
		      const struct object *vs, const struct http_route *h,
		      struct http_route_eff *out)
{
	size_t i;

	out->r = h;
	out->action = http_action(h);
	out->dests = arena_alloc(a, (h->route.n + 1) * sizeof(*out->dests));
	for (i = 0; i < h->route.n; i++)
		fill_dest(a, r, vs, &h->route.v[i].destination,
			  &h->route.v[i].weight, h->route.v[i].at,
			  &out->dests[i]);
	if (h->route.n)
		resolve_weights(out->dests, h->route.n, &out->n_dests,
				&out->n_dropped);
	out->timeout_ns = h->timeout.set ? h->timeout.ns : 0;
	resolve_retries(&h->retries, a, &out->retries);
}

static void fill_l4(struct arena *a, const struct registry *r,
		    const struct object *vs, const struct l4_route *l,
		    struct l4_route_eff *out)
{
	size_t i;

	out->r = l;
	out->dests = arena_alloc(a, (l->route.n + 1) * sizeof(*out->dests));
	for (i = 0; i < l->route.n; i++)
		fill_dest(a, r, vs, &l->route.v[i].destination,
			  &l->route.v[i].weight, l->route.v[i].at,
			  &out->dests[i]);
	if (l->route.n)
		resolve_weights(out->dests, l->route.n, &out->n_dests,
				&out->n_dropped);
}

static bool is_http_protocol(const char *p)
{
	return !p || !strcmp(p, "HTTP") || !strcmp(p, "HTTP2") ||
	       !strcmp(p, "GRPC") || !strcmp(p, "GRPC-WEB") ||
	       !strcmp(p, "UNSUPPORTED"); /* sniffed: may be HTTP */
}

/* Whether a host without a VS gets an HTTP route (else TCP proxying). */
static bool serves_http(const struct model_service *s)
{
	size_t i;

	if (!s->svc || !s->svc->n_ports)
		return true;
	for (i = 0; i < s->svc->n_ports; i++)
		if (is_http_protocol(s->svc->ports[i].protocol))
			return true;
	return false;
}

static void implicit_tcp_route(struct arena *a, struct model_service *s)
{
	struct l4_route_eff *l = arena_alloc(a, sizeof(*l));

	l->dests = arena_alloc(a, sizeof(*l->dests));
	l->dests[0] = (struct dest_eff){ .host = s->host, .weight = -1,
					 .share = 1.0 };
	l->n_dests = 1;
	s->tcp = l;
	s->n_tcp = 1;
}

/* Without a VirtualService the host gets one catch-all route to itself,
 * with Istio's default retries and no timeout. */
static void implicit_route(struct arena *a, struct model_service *s)
{
	struct http_route_eff *h;

	if (!serves_http(s)) {
		implicit_tcp_route(a, s);
		return;
	}
	h = arena_alloc(a, sizeof(*h));
	h->action = RA_ROUTE;
	h->dests = arena_alloc(a, sizeof(*h->dests));
	h->dests[0] = (struct dest_eff){ .host = s->host, .weight = -1,
					 .share = 1.0 };
	h->n_dests = 1;
	resolve_retries(NULL, a, &h->retries);
	s->http = h;
	s->n_http = 1;
}

static void fill_l4_list(struct arena *a, const struct registry *r,
			 const struct object *vs, const struct l4_route *v,
			 size_t n, struct l4_route_eff **out, size_t *n_out)
{
	size_t i;

	*out = arena_alloc(a, (n + 1) * sizeof(**out));
	for (i = 0; i < n; i++) {
		fill_l4(a, r, vs, &v[i], &(*out)[i]);
		(*out)[i].index = i;
	}
	*n_out = n;
}

void resolve_routes(const struct config *c, const struct registry *r,
		    struct arena *a, struct model_service *s)
{
	const struct vs_spec *v;
	size_t i;

	s->vs = resolve_vs(c, r, a, s->host, &s->vs_ignored,
			   &s->n_vs_ignored);
	if (!s->vs) {
		implicit_route(a, s);
		return;
	}
	v = obj_vs(s->vs);
	s->http = arena_alloc(a, (v->http.n + 1) * sizeof(*s->http));
	for (i = 0; i < v->http.n; i++) {
		fill_http(a, r, s->vs, &v->http.v[i], &s->http[i]);
		s->http[i].index = i;
	}
	s->n_http = v->http.n;
	fill_l4_list(a, r, s->vs, v->tcp.v, v->tcp.n, &s->tcp, &s->n_tcp);
	fill_l4_list(a, r, s->vs, v->tls.v, v->tls.n, &s->tls, &s->n_tls);
}
