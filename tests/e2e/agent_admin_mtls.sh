#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The admin views of the mTLS proxy, against two real agents with --mtls
# on the test mesh (examples/mesh as it is, STRICT):
# - orchestrator (node-a) calls vector-retriever-b (node-b) three times
#   with curl: node-a shows one outbound tunnel to it (pooled: 3 streams
#   on it), node-b the inbound one from orchestrator's address, both with
#   the identities each side proved, bytes, and the crypto path with why
#   (on a kernel without kTLS: openssl, "kernel has no kTLS ...");
# - the certificate node-b presents on vector-retriever's :15008 (read by
#   openssl s_client) has the serial `proxy-config secrets` shows for that
#   identity;
# - that s_client, having no client certificate, is refused: node-b's
#   refusals count it as tls no_client_cert, exactly once;
# - status says capture and mTLS on, the proxy's calls, and each tunnel's
#   crypto path.
# The socket itself and the non-proxy views: tests/e2e/agent_admin.sh.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
export IMT_MTLS=1	# tools/mesh.sh's agents run --mtls

STATE=/run/$IMT_PREFIX-mesh
ORCH=10.10.1.11			# orchestrator, node-a
VRB=10.10.2.12			# vector-retriever-b, node-b
ID=spiffe://cluster.local/ns/ai-inference/sa
CALLS=3

e2e_need "$BIN" status --help
e2e_need openssl version

view() { # NODE ARGS...: the view as JSON in $E2E_TMP/NODE.json
	local node=$1
	shift
	"$BIN" "$@" --state-dir "$STATE/state/$node" -o json >"$E2E_TMP/$node.json"
}
j() { e2e_json "$E2E_TMP/$1.json" "$2"; }

check "mesh up" timeout 120 "$MESH" up examples/mesh
check "agent node-a --mtls" "$MESH" agent node-a
check "agent node-b --mtls" "$MESH" agent node-b
check "node-a's proxy listens" wait_for 30 e2e_listening node-a
check "node-b's proxy listens" wait_for 30 e2e_listening node-b

for i in $(seq $CALLS); do
	check_eq "call $i: orchestrator -> vector-retriever-b:8080" \
		"$("$MESH" exec orchestrator curl -s -m 10 -o /dev/null -w '%{http_code}' "http://$VRB:8080/")" 200
done

# ---- tunnels ----
check "node-a: proxy-config tunnels" view node-a proxy-config tunnels
out="[t for t in j['tunnels'] if t['peer_ip'] == '$VRB']"
check_eq "node-a: one outbound tunnel to vector-retriever-b (pooled)" \
	"$(j node-a "[(t['direction'], t['local_ip']) for t in $out]")" "[('outbound', '$ORCH')]"
check_eq "node-a: its identities, as each side proved" \
	"$(j node-a "[(t['local_id'], t['peer_id']) for t in $out]")" \
	"[('$ID/orchestrator', '$ID/vector-retriever')]"
check_eq "node-a: the $CALLS calls were its streams" "$(j node-a "[t['streams_total'] for t in $out]")" "[$CALLS]"
check_eq "node-a: bytes both ways" "$(j node-a "[t['bytes_tx'] > 0 and t['bytes_rx'] > 0 for t in $out]")" "[True]"
"$BIN" features -o json >"$E2E_TMP/features.json"
if [ "$(j features 'j["features"]["ktls"]["state"]')" = absent ]; then
	check_eq "node-a: crypto path and why (no kTLS in this kernel)" \
		"$(j node-a "[(t['crypto'], t['crypto_why'].startswith('kernel has no kTLS')) for t in $out]")" \
		"[('openssl', True)]"
else
	check_eq "node-a: crypto path (kTLS in this kernel)" \
		"$(j node-a "[t['crypto'] for t in $out]")" "['ktls']"
fi
crypto=$(j node-a "[(t['crypto'], t['crypto_why']) for t in $out]")
check "node-b: proxy-config tunnels" view node-b proxy-config tunnels
in="[t for t in j['tunnels'] if t['peer_ip'] == '$ORCH']"
check_eq "node-b: the inbound tunnel, from orchestrator's own address to vector-retriever-b" \
	"$(j node-b "[(t['direction'], t['local_ip'], t['local_id'], t['peer_id']) for t in $in]")" \
	"[('inbound', '$VRB', '$ID/vector-retriever', '$ID/orchestrator')]"
check_eq "node-b: the $CALLS calls were its streams" "$(j node-b "[t['streams_total'] for t in $in]")" "[$CALLS]"
check_eq "node-b: bytes mirror node-a's" \
	"$(j node-b "[(t['bytes_rx'], t['bytes_tx']) for t in $in]")" \
	"$(j node-a "[(t['bytes_tx'], t['bytes_rx']) for t in $out]")"
check_eq "node-b: the same crypto path" "$(j node-b "[(t['crypto'], t['crypto_why']) for t in $in]")" "$crypto"

# ---- the SVID on the wire is the one secrets shows; a refusal counted ----
timeout 20 "$MESH" exec orchestrator openssl s_client -connect "$VRB:15008" -alpn h2 \
	-tls1_3 -showcerts </dev/null >"$E2E_TMP/sclient.txt" 2>&1
# the first certificate s_client shows is the leaf
sed -n '/BEGIN CERT/,/END CERT/{p;/END CERT/q}' "$E2E_TMP/sclient.txt" >"$E2E_TMP/leaf.pem"
wire=$(openssl x509 -in "$E2E_TMP/leaf.pem" -noout -serial | cut -d= -f2)
check "node-b: proxy-config secrets" view node-b proxy-config secrets
check_eq "the serial presented on vector-retriever-b:15008 is the one secrets shows" \
	"$(j node-b "[s['serial'] for s in j['secrets'] if s['identity'] == '$ID/vector-retriever']")" "['$wire']"
check "node-b: proxy-config refusals" view node-b proxy-config refusals
check_eq "node-b: the client without a certificate refused, counted once as tls no_client_cert" \
	"$(j node-b "[r['count'] for r in j['refusals'] if (r['source'], r['reason']) == ('tls', 'no_client_cert')]")" "[1]"
check_eq "node-b: the $CALLS calls allowed by a rule" \
	"$(j node-b "[r['count'] for r in j['refusals'] if (r['source'], r['reason']) == ('authz', 'allow_rule')]")" "[$CALLS]"

# ---- status ----
check "node-a: status" view node-a status
check_eq "node-a: capture and mTLS on" "$(j node-a "j['dataplane']['capture'], j['mtls']['enabled']")" "(True, True)"
check_eq "node-a: the proxy carried the calls" "$(j node-a "j['proxy']['out_streams']")" "$CALLS"
check_eq "node-a: status names the tunnel's crypto path and why" \
	"$(j node-a "[(t['crypto'], t['crypto_why']) for t in $out]")" "$crypto"
check "node-a: status text" "$BIN" status --state-dir "$STATE/state/node-a"
cp "$E2E_TMP/out" "$E2E_TMP/status.txt"
check "node-a: status text has the tunnel table with its crypto path" \
	grep -Eq "^outbound +$VRB +$ID/vector-retriever +[0-9]+ +$(j node-a "[t['crypto'] for t in $out][0]")" "$E2E_TMP/status.txt"

check "agent node-a stopped" "$MESH" agent-stop node-a
check "agent node-b stopped" "$MESH" agent-stop node-b
