// SPDX-License-Identifier: Apache-2.0
/*
 * The admin socket's requests and the views they answer with (secrets:
 * admin_secrets.c). Each view reads the agent's own state as it is now,
 * on the loop's thread; what workers share (SVIDs, verdict counts) is
 * read under its lock or atomically.
 */
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "../authz/authz.h"
#include "admin_views.h"
#include "context.h"

static json_t *ca_json(struct agent *a)
{
	char dir[PATH_MAX + 8];
	json_t *o;

	snprintf(dir, sizeof(dir), "%s/" CA_BUILTIN_SUBDIR, a->paths.state_dir);
	o = json_pack("{s:s, s:s}", "source", a->o.ca_dir ? "cacerts" :
		      "built-in", "dir", a->o.ca_dir ? a->o.ca_dir : dir);
	if (o && a->ca_open) {
		json_object_set_new(o, "signing", admin_cert(a->ca.cert));
		json_object_set_new(o, "roots", admin_roots(&a->ca));
	}
	return o;
}

static void count_svid(void *ctx, const struct tls_ident *e)
{
	(*(int *)ctx)++;
	(void)e;
}

static json_t *svids_json(struct agent *a)
{
	time_t next = a->idents_open ? tls_idents_next_renewal(&a->idents) : 0;
	char t[32] = "";
	int n = 0;

	if (!a->idents_open)
		return json_null();
	tls_idents_each(&a->idents, count_svid, &n);
	if (next)
		admin_time(next, t, sizeof(t));
	return json_pack("{s:i, s:i, s:o}", "count", n, "ttl_s",
			 (json_int_t)a->idents.ttl, "next_rotation",
			 next ? json_string(t) : json_null());
}

static json_t *admin_counters_json(const struct admin_counters *n)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
			 "served", (json_int_t)n->served,
			 "bad_request", (json_int_t)n->bad_request,
			 "refused_peer", (json_int_t)n->refused_peer,
			 "busy", (json_int_t)n->busy,
			 "timed_out", (json_int_t)n->timed_out,
			 "too_big", (json_int_t)n->too_big);
}

/* Per tunnel, the crypto path and why (issue 8: which path is live per
 * tunnel), and the proxy's traffic; nothing while it does not run. */
static void proxy_status(struct agent *a, json_t *s)
{
	struct px_counters c;

	json_object_set_new(s, "tunnels", admin_tunnels(a));
	if (!a->px)
		return;
	px_engine_counters(a->px, &c);
	json_object_set_new(s, "proxy", admin_px_traffic(&c));
}

json_t *admin_view_status(struct agent *a)
{
	char started[32];
	json_t *s;

	admin_time(a->admin.started, started, sizeof(started));
	s = json_pack(
		"{s:{s:i, s:s, s:s, s:I}, s:{s:s, s:i, s:I},"
		" s:{s:b, s:b, s:b, s:s, s:s}, s:o, s:o, s:o, s:o}",
		"agent", "pid", (int)getpid(), "node", a->o.node,
		"started", started, "uptime_s",
		(json_int_t)(time(NULL) - a->admin.started),
		"config", "dir", a->o.config_dir ? a->o.config_dir : "",
		"generation", (int)a->live_gen,
		"applies", (json_int_t)a->applies,
		"dataplane", "loaded", a->loaded, "adopted", a->adopted,
		"capture", a->loaded && dp_capture_on(&a->dp),
		"pin_root", a->paths.pin_root,
		"cgroup_root", a->paths.cgroup_root,
		"mtls", admin_mtls(a),
		"ca", ca_json(a),
		"svids", svids_json(a),
		"admin", admin_counters_json(&a->admin.n));
	if (s)
		proxy_status(a, s);
	return s;
}

json_t *admin_view_tunnels(struct agent *a)
{
	return json_pack("{s:o, s:o}", "mtls", admin_mtls(a), "tunnels",
			 admin_tunnels(a));
}

static void add_refusal(json_t *rows, const char *source, const char *reason,
			const char *verdict, uint64_t count)
{
	json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I}",
					      "source", source, "reason",
					      reason, "verdict", verdict,
					      "count", (json_int_t)count));
}

/* Verdicts of AuthorizationPolicy on the connections the agent
 * terminates, by reason (allowing ones too: a deny count means more next
 * to them), the proxy's refusals by reason while it runs, and the admin
 * socket's own. */
json_t *admin_view_refusals(struct agent *a)
{
	const struct admin_counters *n = &a->admin.n;
	json_t *rows = json_array();
	struct px_counters c;
	int r;

	for (r = 0; rows && r < AUTHZ_REASON_MAX; r++)
		add_refusal(rows, "authz", authz_reason_name(r),
			    r <= AUTHZ_ALLOW_RULE ? "allow" : "deny",
			    __atomic_load_n(&a->authz.counts[r],
					    __ATOMIC_RELAXED));
	for (r = 0; rows && r < AUTHZ_REASON_MAX; r++)
		add_refusal(rows, "l7", authz_reason_name(r),
			    r <= AUTHZ_ALLOW_RULE ? "allow" : "deny",
			    __atomic_load_n(&a->l7.counts[r],
					    __ATOMIC_RELAXED));
	if (a->px && rows) {
		px_engine_counters(a->px, &c);
		admin_px_refusals(rows, &c);
	}
	add_refusal(rows, "admin", "bad_request", "deny", n->bad_request);
	add_refusal(rows, "admin", "refused_peer", "deny", n->refused_peer);
	add_refusal(rows, "admin", "busy", "deny", n->busy);
	add_refusal(rows, "admin", "timed_out", "deny", n->timed_out);
	add_refusal(rows, "admin", "too_big", "deny", n->too_big);
	return json_pack("{s:o}", "refusals", rows);
}

static const struct {
	const char *name;
	json_t *(*view)(struct agent *a);
} requests[] = {
	{ "status", admin_view_status },
	{ "secrets", admin_view_secrets },
	{ "tunnels", admin_view_tunnels },
	{ "refusals", admin_view_refusals },
};

#define N_REQUESTS (sizeof(requests) / sizeof(requests[0]))

static json_t *bad(struct admin_counters *n, const char *why, const char *req)
{
	json_t *known = json_array();
	size_t i;

	n->bad_request++;
	for (i = 0; known && i < N_REQUESTS; i++)
		json_array_append_new(known, json_string(requests[i].name));
	return json_pack("{s:s, s:s?, s:o}", "error", why, "request", req,
			 "requests", known);
}

json_t *admin_answer(struct agent *a, const char *req, size_t l,
		     struct admin_counters *n)
{
	char line[ADMIN_REQ_MAX];
	size_t i;

	if (!req || l >= sizeof(line))
		return bad(n, "request line too long", NULL);
	while (l && (req[l - 1] == '\r' || req[l - 1] == ' '))
		l--;
	for (i = 0; i < l; i++)
		if (!isprint((unsigned char)req[i]))	/* NUL included */
			return bad(n, "not a request line", NULL);
	memcpy(line, req, l);
	line[l] = 0;
	for (i = 0; i < N_REQUESTS; i++)
		if (!strcmp(requests[i].name, line))
			return requests[i].view(a);
	return bad(n, "unknown request", line);
}
