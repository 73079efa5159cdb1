// SPDX-License-Identifier: Apache-2.0
/* infermesh status: what the running agent holds, from its admin socket.
 * Exit status: 0, 1 when the agent cannot be asked, 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include "admin_client.h"
#include "admin_text.h"
#include "cli.h"

static const char usage_text[] =
	"usage: infermesh status [--node NAME | --state-dir DIR] [-o json]\n"
	"  The running agent of node NAME (its state dir, default "
	"/run/infermesh/NAME;\n  without either: the one agent on this "
	"machine): its pid, config\n  generation, dataplane, capture and "
	"mTLS, CA and SVIDs, admin counters.\n";

static const struct column tunnel_cols[] = {
	{ "TUNNEL", "direction", NULL },
	{ "PEER", "peer_ip", NULL },
	{ "PEER IDENTITY", "peer_id", NULL },
	{ "STREAMS", "streams", NULL },
	{ "CRYPTO", "crypto", NULL },
	{ "WHY", "crypto_why", NULL },
	{ NULL, NULL, NULL },
};

/* Per tunnel, the crypto path and why. */
static void tunnels_text(const json_t *s)
{
	const json_t *t = json_object_get(s, "tunnels");

	if (json_array_size(t)) {
		fputc('\n', stdout);
		rows_print(stdout, tunnel_cols, t);
	}
}

#define KV(i, k, ...) \
	(kv[i].key = (k), snprintf(kv[i].val, sizeof(kv[i].val), __VA_ARGS__))

static void text(const json_t *s)
{
	const json_t *ag = json_object_get(s, "agent");
	const json_t *cf = json_object_get(s, "config");
	const json_t *dp = json_object_get(s, "dataplane");
	const json_t *mt = json_object_get(s, "mtls");
	const json_t *ca = json_object_get(s, "ca");
	const json_t *sv = json_object_get(s, "svids");
	const json_t *ad = json_object_get(s, "admin");
	const json_t *root = json_array_get(json_object_get(ca, "roots"), 0);
	const json_t *px = json_object_get(s, "proxy");
	struct kv kv[11];
	size_t n = 10;

	KV(0, "NODE", "%s", js(ag, "node"));
	KV(1, "AGENT", "pid %lld, up %llds (since %s)", ji(ag, "pid"),
	   ji(ag, "uptime_s"), js(ag, "started"));
	KV(2, "CONFIG", "generation %lld live, %lld applies, from %s",
	   ji(cf, "generation"), ji(cf, "applies"), js(cf, "dir"));
	KV(3, "DATAPLANE", "%s, %s", jb(dp, "loaded", "loaded", "not loaded"),
	   jb(dp, "adopted", "adopted the pinned state", "fresh state"));
	KV(4, "CAPTURE", "%s", jb(dp, "capture", "on", "off"));
	KV(5, "MTLS", "%s: %s", jb(mt, "enabled", "on", "off"), js(mt, "why"));
	KV(6, "CA", "%s, %s", js(ca, "source"), js(ca, "dir"));
	KV(7, "ROOT", "%s, not after %s", js(root, "subject"),
	   js(root, "not_after"));
	KV(8, "SVIDS", "%lld, lifetime %llds, next rotation %s",
	   ji(sv, "count"), ji(sv, "ttl_s"), js(sv, "next_rotation"));
	KV(9, "ADMIN", "%lld served, %lld bad requests, %lld peers refused, "
	   "%lld timed out", ji(ad, "served"), ji(ad, "bad_request"),
	   ji(ad, "refused_peer"), ji(ad, "timed_out"));
	if (json_is_object(px)) {
		KV(n, "PROXY", "%lld calls out (%lld streams), %lld tunnels "
		   "in (%lld streams), %lld bytes out, %lld bytes in",
		   ji(px, "out_accepted"), ji(px, "out_streams"),
		   ji(px, "in_tunnels"), ji(px, "in_streams"),
		   ji(px, "bytes_out"), ji(px, "bytes_in"));
		n++;
	}
	kv_print(stdout, kv, n);
	tunnels_text(s);
}

int cmd_status(int argc, char **argv, struct cli_opts *o)
{
	struct admin_target t;
	json_t *j;
	int r = admin_cmd_args(argc, argv, 1, &t, o);

	if (r == -2 || r == -3) {
		fputs(usage_text, r == -3 ? stdout : stderr);
		return r == -3 ? 0 : 2;
	}
	if (r || admin_ask(&t, "status", o, &j))
		return 1;
	if (o->out == OUT_JSON)
		admin_json_out(j);
	else
		text(j);
	json_decref(j);
	return 0;
}
