// SPDX-License-Identifier: Apache-2.0
/*
 * The mTLS proxy as the admin views show it (user/proxy/engine.h): on or
 * off and why, its tunnels with their crypto path and why, and its
 * refusals by reason (the proxy's own, the TLS handshakes it served, the
 * HBONE layer). The engine's walks run on its workers one at a time
 * (bounded: PX_CMD_WAIT_S each), so the callbacks need no lock.
 */
#include <arpa/inet.h>
#include <string.h>

#include "admin_views.h"
#include "context.h"

json_t *admin_mtls(struct agent *a)
{
	char why[160];

	if (!a->px)
		return json_pack("{s:b, s:s}", "enabled", 0, "why",
				 a->o.mtls ? "the mTLS proxy is not running" :
				 "the agent runs without --mtls: nothing is "
				 "captured, plain L4 paths only");
	snprintf(why, sizeof(why), "--mtls: captured calls are carried over "
		 "HBONE; %d local workloads listening on :15001 and :15008",
		 a->mtls_listening);
	return json_pack("{s:b, s:s, s:i}", "enabled", 1, "why", why,
			 "listening", a->mtls_listening);
}

static const char *crypto_name(enum px_crypto c)
{
	return c == PX_CRYPTO_KTLS ? "ktls" : "openssl";
}

static json_t *ip_json(uint32_t ip)
{
	char s[INET_ADDRSTRLEN];

	return json_string(inet_ntop(AF_INET, &ip, s, sizeof(s)) ? s : "?");
}

json_t *admin_tunnel(const struct px_tunnel *t)
{
	return json_pack("{s:s, s:o, s:o, s:s, s:s, s:i, s:I, s:I, s:I, s:s,"
			 " s:s}",
			 "direction", t->outbound ? "outbound" : "inbound",
			 "local_ip", ip_json(t->local_ip),
			 "peer_ip", ip_json(t->peer_ip),
			 "local_id", t->local_id, "peer_id", t->peer_id,
			 "streams", (int)t->streams,
			 "streams_total", (json_int_t)t->streams_total,
			 "bytes_tx", (json_int_t)t->bytes_tx,
			 "bytes_rx", (json_int_t)t->bytes_rx,
			 "crypto", crypto_name(t->crypto),
			 "crypto_why", t->crypto_why ? t->crypto_why : "");
}

static void add_tunnel(void *ctx, const struct px_tunnel *t)
{
	json_array_append_new(ctx, admin_tunnel(t));
}

json_t *admin_tunnels(struct agent *a)
{
	json_t *rows = json_array();

	if (a->px && rows)
		px_engine_tunnels(a->px, add_tunnel, rows);
	return rows;
}

static void row(json_t *rows, const char *source, const char *reason,
		uint64_t count)
{
	json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:I}",
					      "source", source, "reason",
					      reason, "verdict", "deny",
					      "count", (json_int_t)count));
}

void admin_px_refusals(json_t *rows, const struct px_counters *c)
{
	int r;

	for (r = 0; r < PX_R_MAX; r++)
		row(rows, "proxy", px_refuse_name(r), c->refused[r]);
	for (r = TLS_R_NONE + 1; r < TLS_R__COUNT; r++)
		row(rows, "tls", tls_refusal_name(r), c->tls_refused[r]);
	for (r = TLS_R_NONE + 1; r < TLS_R__COUNT; r++)
		row(rows, "tls_out", tls_refusal_name(r), c->tls_out_refused[r]);
	for (r = 0; r < HBONE_R_MAX; r++)
		row(rows, "hbone", hbone_refuse_name(r), c->hbone.refused[r]);
}

json_t *admin_px_traffic(const struct px_counters *c)
{
	/* outcomes: what the captured calls charged to their hosts'
	 * outlier state (user/proxy/px_charge.h) */
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, "
			 "s:I, s:I}}",
			 "out_accepted", (json_int_t)c->out_accepted,
			 "out_streams", (json_int_t)c->out_streams,
			 "in_tunnels", (json_int_t)c->in_tunnels,
			 "in_streams", (json_int_t)c->in_streams,
			 "bytes_out", (json_int_t)c->bytes_out,
			 "bytes_in", (json_int_t)c->bytes_in, "outcomes",
			 "success", (json_int_t)c->charged_ok,
			 "failure", (json_int_t)c->charged_fail,
			 "ejections", (json_int_t)c->ejections,
			 "stale", (json_int_t)c->charge_stale,
			 "errors", (json_int_t)c->charge_errors);
}
