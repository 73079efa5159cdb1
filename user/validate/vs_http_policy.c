// SPDX-License-Identifier: Apache-2.0
/* HTTP route policies, after Istio's validateHTTPRetry,
 * validateHTTPFaultInjection, validateHTTPRedirect,
 * validateHTTPDirectResponse, validateHTTPRewrite, validateAuthorityRewrite
 * and validateCORSPolicy. */
#include "networking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const retry_on_policies[] = {
	"5xx", "gateway-error", "reset", "reset-before-request",
	"connect-failure", "retriable-4xx", "refused-stream",
	"retriable-status-codes", "retriable-headers", "envoy-ratelimited",
	"http3-post-connect-failure", "cancelled", "deadline-exceeded",
	"internal", "resource-exhausted", "unavailable", NULL,
};

/* Go's http.StatusText is non-empty for exactly these codes. */
static bool known_status(long s)
{
	static const short codes[] = { 100, 101, 102, 103, 200, 201, 202, 203,
		204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
		308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411,
		412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426,
		428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508,
		510, 511 };
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == s)
			return true;
	return false;
}

/* strconv.Atoi, then StatusText: a status code Envoy can retry on */
static bool retry_status(const char *t)
{
	const char *d = t + (*t == '+' || *t == '-');
	char *end;
	long v;

	if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 18)
		return false;
	v = strtol(t, &end, 10);
	return known_status(v);
}

static bool retry_token_ok(const char *t)
{
	size_t i;

	if (retry_status(t))
		return true;
	for (i = 0; retry_on_policies[i]; i++)
		if (!strcmp(t, retry_on_policies[i]))
			return true;
	return false;
}

/* Split on ',' without trimming, as Istio does: "5xx, reset" has the
 * token " reset", which is not a policy. */
static void retry_on(const struct vctx *x, const struct retries *r,
		     const char *path)
{
	const char *s = r->retry_on, *e;
	char tok[256], q[300];

	for (;; s = e + 1) {
		e = strchr(s, ',');
		if (!e)
			e = s + strlen(s);
		snprintf(tok, sizeof(tok), "%.*s", (int)(e - s), s);
		if (!retry_token_ok(tok))
			v_error(x->c, x->o, vnode(r->at, "retryOn"), path,
				"Use Envoy retry policies (5xx, gateway-error, "
				"reset, connect-failure, retriable-4xx, ...) or "
				"status codes, separated by ',' with no spaces.",
				"%s is not a valid retryOn policy",
				goq(tok, q, sizeof(q)));
		if (!*e)
			break;
	}
}

void vs_retries(const struct vctx *x, const struct retries *r, const char *path)
{
	char p[VP_LEN];

	if (!r->at)
		return;
	if (!v_int32(x, r->at, "attempts", &r->attempts,
		     vp(p, "%s.attempts", path)))
		return;
	if (r->attempts.v < 0)
		v_error(x->c, x->o, vnode(r->at, "attempts"), p,
			"Use 0 to disable retries, or a positive count.",
			"attempts cannot be negative");
	if (r->attempts.v == 0 &&
	    (r->per_try_timeout.set || (r->retry_on && *r->retry_on) ||
	     r->retry_remote_localities.set))
		v_error(x->c, x->o, r->at, path,
			"Set attempts above 0, or remove perTryTimeout, retryOn "
			"and retryRemoteLocalities.",
			"http retry policy configured when attempts are set to 0 "
			"(disabled)");
	v_duration(x, r->at, "perTryTimeout", &r->per_try_timeout,
		   vp(p, "%s.perTryTimeout", path));
	if (r->retry_on && *r->retry_on)
		retry_on(x, r, vp(p, "%s.retryOn", path));
	v_duration(x, r->at, "backoff", &r->backoff, vp(p, "%s.backoff", path));
}

static const char *const grpc_status_names[] = { "OK", "CANCELLED",
	"UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED", NULL };

static void fault_abort(const struct vctx *x, const struct fault_abort *a,
			const char *path)
{
	int kinds = a->http_status.set + !!a->grpc_status + !!a->http2_error;

	if (!a->at)
		return;
	v_percentage(x, &a->percentage, path);
	if (kinds > 1) {
		v_error(x->c, x->o, a->at, path, "Keep one of httpStatus, "
			"grpcStatus or http2Error.", "only one of httpStatus, "
			"grpcStatus or http2Error can be set");
	} else if (a->grpc_status) {
		if (enum_index(grpc_status_names, a->grpc_status) < 0)
			v_error(x->c, x->o, vnode(a->at, "grpcStatus"), path,
				"Use a gRPC status name such as UNAVAILABLE.",
				"gRPC status \"%s\" is not supported. See "
				"https://github.com/grpc/grpc/blob/master/doc/"
				"statuscodes.md for a list of supported codes, "
				"for example 'NOT_FOUND'", a->grpc_status);
	} else if (a->http2_error) {
		v_error(x->c, x->o, vnode(a->at, "http2Error"), path,
			"Use httpStatus or grpcStatus.",
			"HTTP/2 abort fault injection not supported yet");
	} else if (a->http_status.set) {
		if (!v_http_status(a->http_status.v))
			v_error(x->c, x->o, vnode(a->at, "httpStatus"), path,
				"Use an HTTP status from 200 to 599.",
				"HTTP status %lld is not in range 200-599",
				(long long)a->http_status.v);
	} else {
		v_warn(x->c, x->o, a->at, path, "Set httpStatus or grpcStatus.",
		       "abort configured, but error type not set");
	}
}

static void fault_delay(const struct vctx *x, const struct fault_delay *d,
			const char *path)
{
	char p[VP_LEN];

	if (!d->at)
		return;
	v_percentage(x, &d->percentage, path);
	if (d->fixed_delay.set && d->exponential_delay.set)
		v_error(x->c, x->o, d->at, path, "Keep fixedDelay only.",
			"only one of fixedDelay or exponentialDelay can be set");
	v_duration(x, d->at, "fixedDelay", &d->fixed_delay,
		   vp(p, "%s.fixedDelay", path));
	if (d->exponential_delay.set) {
		v_duration(x, d->at, "exponentialDelay", &d->exponential_delay,
			   vp(p, "%s.exponentialDelay", path));
		v_error(x->c, x->o, vnode(d->at, "exponentialDelay"), p,
			"Use fixedDelay.", "exponentialDelay not supported yet");
	}
}

void vs_fault(const struct vctx *x, const struct fault *f, const char *path)
{
	char p[VP_LEN];

	if (!f->at)
		return;
	if (!f->abort.at && !f->delay.at)
		v_error(x->c, x->o, f->at, path, "Add fault.abort or fault.delay, "
			"or remove fault.",
			"HTTP fault injection must have an abort and/or a delay");
	fault_abort(x, &f->abort, vp(p, "%s.abort", path));
	fault_delay(x, &f->delay, vp(p, "%s.delay", path));
}

/* Like Istio, reports the first problem only. */
void vs_redirect(const struct vctx *x, const struct http_redirect *r,
		 const char *path)
{
	bool port = r->port.set || r->derive_port.set;

	if (!r->at)
		return;
	if ((!r->uri || !*r->uri) && (!r->authority || !*r->authority) &&
	    !port && (!r->scheme || !*r->scheme)) {
		v_error(x->c, x->o, r->at, path, "Set uri, authority, scheme or "
			"port.", "redirect must specify URI, authority, scheme, "
			"or port");
	} else if (r->redirect_code.set && r->redirect_code.v &&
		   (r->redirect_code.v < 300 || r->redirect_code.v > 399)) {
		v_error(x->c, x->o, vnode(r->at, "redirectCode"), path,
			"Use a 3xx code such as 301 or 302.",
			"%lld is not a valid redirect code, must be 3xx",
			(long long)r->redirect_code.v);
	} else if (r->scheme && *r->scheme && strcmp(r->scheme, "http") &&
		   strcmp(r->scheme, "https")) {
		v_error(x->c, x->o, vnode(r->at, "scheme"), path,
			"Use http or https.",
			"invalid redirect scheme, must be \"http\" or \"https\"");
	} else if (r->port.set && r->port.v > 0 && !v_port_ok(r->port.v)) {
		v_error(x->c, x->o, vnode(r->at, "port"), path,
			"Use a port number from 1 to 65535.",
			"port number %lld must be in the range 1..65535",
			(long long)r->port.v);
	}
}

void vs_direct_response(const struct vctx *x,
			const struct http_direct_response *d, const char *path)
{
	size_t size = 0;

	if (!d->at)
		return;
	if (d->body.string)
		size = strlen(d->body.string);
	else if (d->body.bytes) /* base64 in YAML: the decoded size */
		size = strlen(d->body.bytes) / 4 * 3;
	if (size > 1024 * 1024)
		v_error(x->c, x->o, d->body.at, path, "Serve large bodies from a "
			"service instead.", "large direct_responses may impact "
			"control plane performance, must be less than 1MB");
	else if (size > 100 * 1024)
		v_warn(x->c, x->o, d->body.at, path, "Serve large bodies from a "
		       "service instead.", "large direct_responses may impact "
		       "control plane performance");
	if (!v_http_status(d->status.v))
		v_error(x->c, x->o, vnode(d->at, "status"), path,
			"Set status to an HTTP status from 200 to 599.",
			"HTTP status %lld is not in range 200-599",
			(long long)d->status.v);
}

static void uri_rewrite(const struct vctx *x, const struct http_rewrite *w,
			const char *path)
{
	const struct regex_rewrite *rr = &w->uri_regex_rewrite;
	bool uri = w->uri && *w->uri;
	char why[1400];
	const char *err;

	if (uri && rr->at) {
		v_error(x->c, x->o, w->at, path, "Keep uri or uriRegexRewrite.",
			"rewrite may only contain one of URI or UriRegexRewrite");
	} else if (!uri && !rr->at && (!w->authority || !*w->authority)) {
		v_error(x->c, x->o, w->at, path, "Set uri, uriRegexRewrite or "
			"authority, or remove rewrite.", "rewrite must specify "
			"at least one of URI, UriRegexRewrite, or authority. "
			"Only one of URI or UriRegexRewrite may be specified");
	} else if (rr->at && (!rr->match || !*rr->match || !rr->rewrite ||
			      !*rr->rewrite)) {
		v_error(x->c, x->o, rr->at, path, "Set both match and rewrite.",
			"UriRegexRewrite has errors: UriRegexRewrite requires "
			"both Rewrite and Match fields to be specified");
	} else if (rr->at && (err = v_regex(rr->match,
			"HTTPRewrite.UriRegexRewrite.Match", why, sizeof(why)))) {
		v_error(x->c, x->o, vnode(rr->at, "match"), path,
			"Fix the expression; it must be RE2 syntax.",
			"UriRegexRewrite has errors: %s", err);
	}
}

/* validateAuthorityRewrite: one place only may set the authority. */
static void authority_once(const struct vctx *x, const struct http_route *r,
			   const char *path)
{
	const struct kvs *lists[2] = { &r->headers.request.set,
				       &r->headers.request.add };
	const char *cur = r->rewrite.authority ? r->rewrite.authority : "";
	size_t l, i;

	for (l = 0; l < 2; l++) {
		for (i = 0; i < lists[l]->n; i++) {
			const struct kv *e = &lists[l]->v[i];
			const char *v = e->val ? e->val : "";

			if (!e->key || (strcasecmp(e->key, ":authority") &&
					strcasecmp(e->key, "host")))
				continue;
			if (*cur) {
				v_error(x->c, x->o, e->at, path, "Set the "
					"authority in one place only.",
					"authority header cannot be set multiple "
					"times: have \"%s\", attempting to set "
					"\"%s\"", cur, v);
				return;
			}
			cur = v;
		}
	}
}

void vs_rewrite(const struct vctx *x, const struct http_route *r,
		const char *path)
{
	char p[VP_LEN];

	if (r->rewrite.at)
		uri_rewrite(x, &r->rewrite, vp(p, "%s.rewrite", path));
	authority_once(x, r, path);
}
