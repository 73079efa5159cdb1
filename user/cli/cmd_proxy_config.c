// SPDX-License-Identifier: Apache-2.0
/* infermesh proxy-config secrets|tunnels|refusals: the running agent's
 * mTLS state, from its admin socket, in the shape of `istioctl
 * proxy-config`. Exit status: 0, 1 when the agent cannot be asked, 2 bad
 * usage. */
#include <stdio.h>
#include <string.h>

#include "admin_client.h"
#include "admin_text.h"
#include "cli.h"

static const char usage_text[] =
	"usage: infermesh proxy-config secrets|tunnels|refusals "
	"[--node NAME | --state-dir DIR] [-o json]\n"
	"  secrets   per local workload identity: the SVID (SPIFFE ID, SAN, "
	"serial,\n            validity, next rotation, chain), then the trust "
	"anchors (ROOTCA)\n"
	"  tunnels   open HBONE tunnels: direction, peer, identities, "
	"streams, bytes,\n            crypto path and why\n"
	"  refusals  connections refused, by source and reason "
	"(authorization,\n            proxy, TLS, HBONE, the admin socket "
	"itself)\n";

static void chain_cell(const json_t *row, char *buf, size_t n)
{
	snprintf(buf, n, "%zu", json_array_size(json_object_get(row, "chain")));
}

static const struct column secret_cols[] = {
	{ "RESOURCE NAME", "identity", NULL },
	{ "TYPE", "type", NULL },
	{ "VALID CERT", "valid", NULL },
	{ "SERIAL NUMBER", "serial", NULL },
	{ "NOT AFTER", "not_after", NULL },
	{ "NOT BEFORE", "not_before", NULL },
	{ "NEXT ROTATION", "next_rotation", NULL },
	{ "CHAIN", NULL, chain_cell },
	{ NULL, NULL, NULL },
};

/* istioctl's table: one row per SVID ("Cert Chain"), then the roots. */
static void secrets_text(const json_t *j)
{
	json_t *rows = json_array(), *r, *x;
	size_t i;

	json_array_foreach(json_object_get(j, "secrets"), i, x) {
		r = json_deep_copy(x);
		json_object_set_new(r, "type", json_string("Cert Chain"));
		json_array_append_new(rows, r);
	}
	json_array_foreach(json_object_get(j, "roots"), i, x) {
		r = json_deep_copy(x);
		json_object_set_new(r, "identity", json_string("ROOTCA"));
		json_object_set_new(r, "type", json_string("CA"));
		json_object_set_new(r, "valid", json_true());
		json_array_append_new(rows, r);
	}
	rows_print(stdout, secret_cols, rows);
	json_decref(rows);
}

static void bytes_cell(const json_t *row, char *buf, size_t n)
{
	snprintf(buf, n, "%lld/%lld", ji(row, "bytes_tx"), ji(row, "bytes_rx"));
}

static const struct column tunnel_cols[] = {
	{ "DIRECTION", "direction", NULL },
	{ "LOCAL", "local_ip", NULL },
	{ "PEER", "peer_ip", NULL },
	{ "LOCAL IDENTITY", "local_id", NULL },
	{ "PEER IDENTITY", "peer_id", NULL },
	{ "STREAMS", "streams", NULL },
	{ "TOTAL", "streams_total", NULL },
	{ "BYTES TX/RX", NULL, bytes_cell },
	{ "CRYPTO", "crypto", NULL },
	{ "WHY", "crypto_why", NULL },
	{ NULL, NULL, NULL },
};

static void tunnels_text(const json_t *j)
{
	const json_t *t = json_object_get(j, "tunnels");
	const json_t *m = json_object_get(j, "mtls");

	rows_print(stdout, tunnel_cols, t);
	if (!json_array_size(t))
		printf("(no tunnels; mTLS %s: %s)\n",
		       jb(m, "enabled", "on", "off"), js(m, "why"));
}

static const struct column refusal_cols[] = {
	{ "SOURCE", "source", NULL },
	{ "REASON", "reason", NULL },
	{ "VERDICT", "verdict", NULL },
	{ "COUNT", "count", NULL },
	{ NULL, NULL, NULL },
};

static void refusals_text(const json_t *j)
{
	rows_print(stdout, refusal_cols, json_object_get(j, "refusals"));
}

static const struct {
	const char *verb;
	void (*text)(const json_t *j);
} verbs[] = {
	{ "secrets", secrets_text },
	{ "tunnels", tunnels_text },
	{ "refusals", refusals_text },
};

int cmd_proxy_config(int argc, char **argv, struct cli_opts *o)
{
	struct admin_target t;
	size_t i, hit = sizeof(verbs) / sizeof(verbs[0]);
	json_t *j;
	int r;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return 0;
	}
	/* "secret" and "tunnel" as istioctl spells them work too */
	for (i = 0; argc > 1 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (is_prefix(argv[1], verbs[i].verb))
			hit = i;
	if (hit == sizeof(verbs) / sizeof(verbs[0])) {
		fputs(usage_text, stderr);
		return 2;
	}
	r = admin_cmd_args(argc, argv, 2, &t, o);
	if (r == -2 || r == -3) {
		fputs(usage_text, r == -3 ? stdout : stderr);
		return r == -3 ? 0 : 2;
	}
	if (r || admin_ask(&t, verbs[hit].verb, o, &j))
		return 1;
	if (o->out == OUT_JSON)
		admin_json_out(j);
	else
		verbs[hit].text(j);
	json_decref(j);
	return 0;
}
