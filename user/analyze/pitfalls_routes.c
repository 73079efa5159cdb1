// SPDX-License-Identifier: Apache-2.0
/* Route pitfalls (IM1001..IM1009): timeouts that cut model responses short,
 * retries that repeat expensive generation calls, and routes that never
 * apply because another VirtualService owns the host. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pitfalls.h"

#define SEC 1000000000LL
#define STREAM_MIN (300 * SEC)
#define ISTIO_DEFAULT_ATTEMPTS 2

static bool vs_on_mesh(const struct vs_spec *vs)
{
	size_t i;

	for (i = 0; i < vs->gateways.n; i++)
		if (!strcmp(vs->gateways.v[i], "mesh"))
			return true;
	return vs->gateways.n == 0;
}

static const char *uri_of(const struct http_match *m)
{
	return m->uri.prefix ? m->uri.prefix :
	       m->uri.exact ? m->uri.exact : m->uri.regex;
}

/* Server-sent events are asked for with Accept: text/event-stream. */
static bool match_wants_sse(const struct http_match *m)
{
	size_t i;

	for (i = 0; i < m->headers.n; i++) {
		const struct string_match *h = &m->headers.v[i];
		const char *v = h->exact ? h->exact : h->prefix ? h->prefix :
				h->regex;

		if (h->key && !strcasecmp(h->key, "accept") && v &&
		    strstr(v, "event-stream"))
			return true;
	}
	return false;
}

static bool route_streams(const struct http_route *r)
{
	size_t i;

	for (i = 0; i < r->match.n; i++)
		if (pit_streaming_path(uri_of(&r->match.v[i])) ||
		    match_wants_sse(&r->match.v[i]))
			return true;
	return false;
}

/* A route carries inference calls when its uri says so, or when it does
 * not look at the uri at all and its destination serves inference. */
static bool route_infers(struct pit *p, const struct object *o,
			 const struct http_route *r)
{
	bool any_uri = false;
	size_t i;

	for (i = 0; i < r->match.n; i++) {
		const char *u = uri_of(&r->match.v[i]);

		if (pit_inference_path(u))
			return true;
		any_uri |= u != NULL;
	}
	for (i = 0; !any_uri && i < r->route.n; i++) {
		const char *h = r->route.v[i].destination.host;

		if (h && pit_inference_host(p, registry_fqdn(&p->c->arena,
							     &p->reg, h, o->ns)))
			return true;
	}
	return false;
}

/* Whether every comma-separated token of a non-empty retryOn is in <set>. */
static bool retry_on_all_in(const char *retry_on, const char *const *set)
{
	const char *s = retry_on, *e;

	for (; *s; s = *e ? e + 1 : e) {
		size_t len, i;
		bool ok = false;

		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		len = (size_t)(e - s);
		for (i = 0; set[i]; i++)
			ok |= strlen(set[i]) == len && !strncmp(s, set[i], len);
		if (!ok)
			return false;
	}
	return true;
}

/* Conditions that can fire after the model has started on the request;
 * connect-failure, refused-stream, reset-before-request and
 * envoy-ratelimited all fail before the upstream sees it. */
static bool retry_on_unsafe(const char *retry_on)
{
	static const char *const safe[] = { "connect-failure", "refused-stream",
					    "reset-before-request",
					    "envoy-ratelimited", NULL };

	if (!retry_on || !*retry_on)
		return true; /* the default includes unavailable and cancelled */
	return !retry_on_all_in(retry_on, safe);
}

/* gRPC status conditions only match a status sent in response headers. */
static bool retry_on_grpc_only(const char *retry_on)
{
	static const char *const grpc[] = { "cancelled", "deadline-exceeded",
					    "internal", "resource-exhausted",
					    "unavailable", NULL };

	return retry_on && *retry_on && retry_on_all_in(retry_on, grpc);
}

static int64_t route_attempts(const struct http_route *r)
{
	if (!r->retries.at)
		return ISTIO_DEFAULT_ATTEMPTS;
	return r->retries.attempts.set ? r->retries.attempts.v : 0;
}

static void check_stream_timeout(struct pit *p, const struct object *o,
				 const struct http_route *r, size_t i)
{
	char path[64];

	if (!route_streams(r) || !r->timeout.set || !r->timeout.ns ||
	    r->timeout.ns >= STREAM_MIN)
		return;
	snprintf(path, sizeof(path), "spec.http[%zu].timeout", i);
	diag_add(&p->c->diag, "IM1001", SEV_WARNING, o, pit_at(r->at, "timeout"),
		 path, "set timeout: 300s or more on streaming and generation "
		 "routes (or remove it: unset means no route timeout)",
		 "a streaming/generation route times out after %s: any "
		 "response still streaming tokens then is cut with 504 (UT)",
		 pit_dur(p, r->timeout.ns));
}

static void check_retry_budget(struct pit *p, const struct object *o,
			       const struct http_route *r, size_t i)
{
	int64_t n = route_attempts(r), per = r->retries.per_try_timeout.ns;
	char path[80];

	if (!r->timeout.set || !r->timeout.ns || n <= 0 ||
	    !r->retries.per_try_timeout.set || !per)
		return;
	if (per >= r->timeout.ns) {
		snprintf(path, sizeof(path), "spec.http[%zu].retries.perTryTimeout", i);
		diag_add(&p->c->diag, "IM1003", SEV_WARNING, o,
			 pit_at(r->retries.at, "perTryTimeout"), path,
			 "make perTryTimeout shorter than the route timeout, or "
			 "drop the retries",
			 "perTryTimeout %s is not shorter than the route timeout "
			 "%s: the route times out during the first try, so "
			 "these retries never happen",
			 pit_dur(p, per), pit_dur(p, r->timeout.ns));
		return;
	}
	if ((n + 1) * per <= r->timeout.ns)
		return;
	snprintf(path, sizeof(path), "spec.http[%zu].timeout", i);
	diag_add(&p->c->diag, "IM1002", SEV_WARNING, o, pit_at(r->at, "timeout"),
		 path, arena_printf(&p->c->arena, "raise timeout to at least "
				    "%s, or lower attempts or perTryTimeout",
				    pit_dur(p, (n + 1) * per)),
		 "timeout %s is shorter than the %lld tries the retries allow "
		 "(1 + %lld attempts x perTryTimeout %s = %s): the route "
		 "timeout ends the request before the last retries run",
		 pit_dur(p, r->timeout.ns), (long long)(n + 1), (long long)n,
		 pit_dur(p, per), pit_dur(p, (n + 1) * per));
}

static void check_inference_retries(struct pit *p, const struct object *o,
				    const struct http_route *r, size_t i)
{
	char path[80];

	if (!r->route.n || !route_infers(p, o, r))
		return;
	if (!r->retries.at) {
		snprintf(path, sizeof(path), "spec.http[%zu]", i);
		diag_add(&p->c->diag, "IM1004", SEV_WARNING, o, r->at, path,
			 "add `retries: {attempts: 0}` to this route, or retry "
			 "only failures before the request is sent "
			 "(retryOn: connect-failure,refused-stream)",
			 "this route carries inference requests and sets no "
			 "retries, so Istio's default applies: up to 2 retries "
			 "on connect-failure,refused-stream,unavailable,"
			 "cancelled; a failed or cancelled generation is run "
			 "again on the GPU up to 3 times");
		return;
	}
	if (route_attempts(r) <= 0 || !retry_on_unsafe(r->retries.retry_on))
		return;
	snprintf(path, sizeof(path), "spec.http[%zu].retries", i);
	diag_add(&p->c->diag, "IM1005", SEV_WARNING, o,
		 pit_at(r->retries.at, "attempts"), path,
		 "set `retries: {attempts: 0}` on generation/predict routes, "
		 "or keep retryOn to connect-failure,refused-stream",
		 "this route retries inference requests (%lld attempts on %s): "
		 "a request the model already started is sent again, "
		 "multiplying GPU work exactly when the backend is overloaded",
		 (long long)route_attempts(r),
		 r->retries.retry_on ? r->retries.retry_on : "Istio's default");
}

static void check_retry_on(struct pit *p, const struct object *o,
			   const struct http_route *r, size_t i)
{
	const char *ro = r->retries.retry_on;
	char path[80];

	if (!ro || route_attempts(r) <= 0)
		return;
	snprintf(path, sizeof(path), "spec.http[%zu].retries.retryOn", i);
	/* spaces in retryOn are IST0106 (the VirtualService validator) */
	if (retry_on_grpc_only(ro))
		diag_add(&p->c->diag, "IM1006", SEV_INFO, o,
			 pit_at(r->retries.at, "retryOn"), path,
			 "add HTTP conditions (e.g. connect-failure,refused-"
			 "stream) if this route also carries HTTP/REST calls",
			 "retryOn \"%s\" names only gRPC statuses, which match "
			 "only a status sent in response headers: HTTP/1.1 "
			 "(REST) requests on this route are never retried", ro);
}

/* ---- IM1007: routes of a VirtualService that loses its host ---- */

static bool str_starts(const char *s, const char *pre)
{
	return s && pre && !strncmp(s, pre, strlen(pre));
}

static const char *hdr_val(const struct http_match *m, const char *key)
{
	size_t i;

	for (i = 0; m && i < m->headers.n; i++)
		if (m->headers.v[i].key && !strcmp(m->headers.v[i].key, key))
			return m->headers.v[i].exact ? m->headers.v[i].exact : "";
	return NULL;
}

/* Whether match entry <e> takes a request shaped like match <q> (NULL: a
 * request with nothing special). Undecidable fields count as "no". */
static bool entry_takes(const struct http_match *e, const struct http_match *q)
{
	const char *qu = q ? (q->uri.prefix ? q->uri.prefix : q->uri.exact) : NULL;
	size_t i;

	if (e->authority.at || e->scheme.at || e->query_params.n ||
	    e->without_headers.n || e->port.set || e->uri.regex)
		return false;
	if (e->uri.prefix && !str_starts(qu, e->uri.prefix))
		return false;
	if (e->uri.exact && (!q || !q->uri.exact || strcmp(q->uri.exact, e->uri.exact)))
		return false;
	if (e->method.at && (!q || !q->method.exact || !e->method.exact ||
			     strcmp(q->method.exact, e->method.exact)))
		return false;
	for (i = 0; i < e->headers.n; i++) {
		const struct string_match *h = &e->headers.v[i];
		const char *v = hdr_val(q, h->key);

		if (!v || (h->exact && strcmp(v, h->exact)) ||
		    (h->prefix && !str_starts(v, h->prefix)) || h->regex)
			return false;
	}
	return true;
}

static const struct http_route *taker(const struct vs_spec *w,
				      const struct http_match *q, size_t *idx)
{
	size_t i, j;

	for (i = 0; i < w->http.n; i++) {
		const struct http_route *r = &w->http.v[i];

		for (j = 0; j < r->match.n; j++)
			if (entry_takes(&r->match.v[j], q))
				break;
		if (!r->match.n || j < r->match.n) {
			*idx = i;
			return r;
		}
	}
	return NULL;
}

static const char *route_summary(struct pit *p, const struct http_route *r)
{
	const char *t = r->timeout.set && r->timeout.ns ?
			arena_printf(&p->c->arena, "timeout %s",
				     pit_dur(p, r->timeout.ns)) : "no timeout";
	int64_t n = route_attempts(r);

	if (!r->retries.at)
		return arena_printf(&p->c->arena, "%s, Istio's default 2 "
				    "retries", t);
	if (n <= 0)
		return arena_printf(&p->c->arena, "%s, no retries", t);
	return arena_printf(&p->c->arena, "%s, %lld retries", t, (long long)n);
}

static void report_dropped_route(struct pit *p, const struct object *o,
				 const struct object *w, const char *host,
				 size_t i)
{
	const struct http_route *r = &obj_vs(o)->http.v[i];
	const struct http_match *q = r->match.n ? &r->match.v[0] : NULL;
	const struct http_route *t;
	size_t ti = 0;
	char path[48];
	const char *instead;

	t = taker(obj_vs(w), q, &ti);
	instead = t ? arena_printf(&p->c->arena, "take http[%zu] of %s "
				   "instead (%s)", ti, w->resource,
				   route_summary(p, t)) :
		      "match no route of the owning VirtualService and get "
		      "404 (NR)";
	snprintf(path, sizeof(path), "spec.http[%zu]", i);
	diag_add(&p->c->diag, "IM1007", SEV_WARNING, o, r->at, path,
		 arena_printf(&p->c->arena, "move this route into %s, above "
			      "its catch-all route, and delete this "
			      "VirtualService's host %s", w->resource, host),
		 "this route never applies: %s is older and owns host %s, so "
		 "Istio drops this VirtualService for it; the requests it "
		 "describes (%s) %s rather than this route's %s",
		 w->resource, host,
		 q && uri_of(q) ? uri_of(q) : "any request", instead,
		 route_summary(p, r));
}

/* The oldest mesh VirtualService of every host, in one pass. */
static void index_owners(struct pit *p)
{
	size_t i;

	hmap_init(&p->vs_owners, &p->c->arena);
	for_each_obj(p->c, o, K_VIRTUAL_SERVICE) {
		const struct vs_spec *vs = obj_vs(o);

		if (!vs_on_mesh(vs))
			continue;
		for (i = 0; i < vs->hosts.n; i++) {
			const char *fq = registry_fqdn(&p->c->arena, &p->reg,
						       vs->hosts.v[i], o->ns);
			void **best = fq ? hmap_slot(&p->vs_owners, fq) : NULL;

			if (best && (!*best || model_older(o, *best)))
				*best = o;
		}
	}
}

static const struct object *vs_owner(struct pit *p, const char *fqdn)
{
	return hmap_get(&p->vs_owners, fqdn);
}

static void check_dropped_vs(struct pit *p, const struct object *o)
{
	const struct vs_spec *vs = obj_vs(o);
	size_t h, i;

	if (!vs_on_mesh(vs))
		return;
	for (h = 0; h < vs->hosts.n; h++) {
		const char *fq = registry_fqdn(&p->c->arena, &p->reg,
					       vs->hosts.v[h], o->ns);
		const struct object *w = vs_owner(p, fq);

		if (!w || w == o)
			continue;
		for (i = 0; i < vs->http.n; i++)
			report_dropped_route(p, o, w, vs->hosts.v[h], i);
	}
}

void pit_routes(struct pit *p)
{
	size_t i;

	index_owners(p);
	for_each_obj(p->c, o, K_VIRTUAL_SERVICE) {
		const struct vs_spec *vs = obj_vs(o);

		for (i = 0; i < vs->http.n; i++) {
			const struct http_route *r = &vs->http.v[i];

			check_stream_timeout(p, o, r, i);
			check_retry_budget(p, o, r, i);
			check_inference_retries(p, o, r, i);
			check_retry_on(p, o, r, i);
		}
		check_dropped_vs(p, o);
	}
}
