#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mTLS refusals against a running agent (issue 8: "refused, counted by
# reason, the agent unharmed"). examples/mesh as it is, STRICT, both agents
# with --mtls. The attacker is the host outside the mesh (tools/mesh.sh
# ext: its own namespace behind node-a, no cgroup of the mesh), reaching
# vector-retriever-b's <pod ip>:15008 on node-b across the node link, as a
# machine on another node would: the tc guard lets :15008 through, so the
# agent itself must refuse. Certificates come from the mesh's own CA
# (openssl, e2e_cert) unless the case says otherwise. For each case, on
# node-b: the refusal happens (tests/interop/hbone_hostile.py says what
# the agent did), `proxy-config refusals -o json` counts it by its reason
# exactly once more (a count that cannot be read fails), and the agent is
# unharmed: the same pid, its open fds back to their count before the
# case, and orchestrator's call to vector-retriever-b:8080 through both
# agents answered right after.
#   TLS: a client certificate of another CA (other_ca), expired (expired),
#   of another trust domain (trust_domain), without a SPIFFE URI SAN and
#   with a malformed one (no_spiffe_id), TLS 1.2 only (tls_version), no
#   client certificate (no_client_cert); a TCP connect then silence and a
#   ClientHello then silence, both closed by the agent at its handshake
#   bound (HBONE_HANDSHAKE_MS, 10 s, checked on the 1 s tick: timeout);
#   bytes that are no TLS (garbage).
#   After a good handshake (orchestrator's SVID): garbage instead of the
#   HTTP/2 preface and a frame over MAX_FRAME_SIZE (hbone h2_protocol);
#   half a frame, then close (hbone truncated); CONNECT with an :authority
#   no address can be (hbone bad_stream, RST_STREAM); CONNECT to an address
#   that is not a local workload (proxy not_local, 400); to a port nothing
#   listens on (proxy workload_down, 503).
# And the client side, first, while node-b has no agent: a Python HBONE
# server on vector-retriever-b's address with a valid mesh SVID of another
# identity (reranker); orchestrator's call through node-a's agent fails,
# and node-a counts it as tls_out san_mismatch.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
export IMT_MTLS=1	# tools/mesh.sh's agents run --mtls

STATE=/run/$IMT_PREFIX-mesh
VRB=10.10.2.12			# vector-retriever-b, node-b: the target
VRC=10.10.2.22			# vector-retriever-c, node-b too
ORCH=10.10.1.11			# orchestrator, node-a
TD=spiffe://cluster.local
ID=$TD/ns/ai-inference/sa
NOBODY=7			# no server of vector-retriever-b's on it
HOSTILE=tests/interop/hbone_hostile.py

e2e_need_agent
e2e_need "$BIN" proxy-config --help
e2e_need openssl version
PY=
for p in "$E2E_PY" python3 /usr/bin/python3; do
	if "$p" -c 'import h2' 2>/dev/null; then PY=$p; break; fi
done
e2e_need test -n "$PY"	# no python3 with h2 (Debian: python3-h2)


check "mesh up (examples/mesh, STRICT)" timeout 120 "$MESH" up examples/mesh
check "agent node-a --mtls" "$MESH" agent node-a
check "node-a's proxy listens" wait_for 30 e2e_listening node-a

# ---- certificates: the mesh's CA, and one of nobody's ----
CA=$STATE/ca
PKI=$E2E_TMP/pki
mkdir -p "$PKI"
check "the mesh's CA is there" test -s "$CA/ca-key.pem" -a -s "$CA/root-cert.pem"
cp "$CA/root-cert.pem" "$PKI/ca.pem"
check "another CA (infermesh ca init)" "$BIN" ca init "$E2E_TMP/other-ca"
svid() { check "client certificate: $1" e2e_cert "$PKI" "$@"; }
svid orch "$CA" "URI:$ID/orchestrator"
svid otherca "$E2E_TMP/other-ca" "URI:$ID/orchestrator"
svid expired "$CA" "URI:$ID/orchestrator" 20200101000000Z 20200102000000Z
svid othertd "$CA" "URI:spiffe://other.td/ns/ai-inference/sa/orchestrator"
svid nosan "$CA" ""
svid badsan "$CA" "URI:$TD/ns/ai-inference"
svid reranker "$CA" "URI:$ID/reranker"

absent() { ! grep -q "$@"; }
count_is() { # NODE SOURCE REASON WANT (says what it read)
	local got
	got=$(e2e_refusals "$1" "$2" "$3")
	echo "$2 $3 on $1: $got, want $4"
	[ "$got" = "$4" ]
}
# the app's answer to orchestrator through the mesh (both agents, mTLS)
legit() { timeout 20 "$MESH" exec orchestrator curl -s -m 10 "http://$VRB:8080/peer"; }

# ---- the client side: a server proving another identity ----
SRV=$E2E_TMP/srv
mkdir -p "$SRV"
cp "$PKI/ca.pem" "$SRV/ca.pem"
cp "$PKI/reranker.pem" "$SRV/server.pem"
cp "$PKI/reranker.key" "$SRV/server.key"
mkfifo "$E2E_TMP/ctl"
"$MESH" exec vector-retriever-b "$PY" tests/interop/hbone_peer.py serve-at "$SRV" "$VRB" \
	<"$E2E_TMP/ctl" >"$E2E_TMP/pysrv.out" 2>&1 &
pysrv=$!
exec 7>"$E2E_TMP/ctl"
check "a Python HBONE server with reranker's SVID on $VRB:15008 (no agent on node-b)" \
	wait_for 10 grep -qx "port 15008" "$E2E_TMP/pysrv.out"
before=$(e2e_refusals node-a tls_out san_mismatch)
check "node-a's refusals read" test "$before" -ge 0
got=$(legit)
check_eq "orchestrator -> vector-retriever-b:8080: no answer from the wrong identity" "$got" ""
check "node-a counts it once as tls_out san_mismatch" \
	wait_for 5 count_is node-a tls_out san_mismatch "$((before + 1))"
check "the server never got a CONNECT (no stream before the identity is proven)" \
	absent "^connect" "$E2E_TMP/pysrv.out"
exec 7>&-
gone() { ! kill -0 "$pysrv" 2>/dev/null; }
check "the Python server stopped" wait_for 10 gone

# ---- node-b's agent, the target ----
check "agent node-b --mtls" "$MESH" agent node-b
check "node-b's proxy listens" wait_for 30 e2e_listening node-b
AGENT=$(cat "$STATE/agent-node-b.pid")
# the same agent: still running, and still the one the mesh started
alive() { kill -0 "$AGENT" && [ "$(cat "$STATE/agent-node-b.pid")" = "$AGENT" ]; }
fds() { find "/proc/$AGENT/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
check_eq "orchestrator -> vector-retriever-b:8080 over mTLS (warm: the tunnel is pooled)" \
	"$(legit)" "vector-retriever-b $ORCH"
# The count at rest: no stream open on node-b (that call's leg to the app
# closed). Taken mid-close, under load, it would hold a leg's fd and no
# later count could match it.
idle() {
	"$BIN" proxy-config tunnels --state-dir "$STATE/state/node-b" -o json \
		>"$E2E_TMP/tunnels.json" 2>/dev/null &&
	[ "$(e2e_json "$E2E_TMP/tunnels.json" 'sum(t["streams"] for t in j["tunnels"])')" = 0 ]
}
check "node-b has no stream open" wait_for 15 idle
base=$(fds)
check "node-b's agent has open fds ($base)" test "$base" -gt 0
fds_back() { [ "$(fds)" = "$base" ]; }

# refused SOURCE REASON WANT LABEL CMD...: CMD (run on the outside host)
# prints WANT (an extended regex) and exits 0; node-b counts SOURCE REASON
# exactly once more; the agent is unharmed. What CMD printed: $said.
said=
refused() {
	local src=$1 reason=$2 want=$3 label=$4 before
	shift 4
	before=$(e2e_refusals node-b "$src" "$reason")
	said=$("$MESH" ext "$@" 2>&1)
	check "$label: refused ($said)" grep -Eq "^($want)" <<<"$said"
	check "$label: counted once as $src $reason" \
		wait_for 15 count_is node-b "$src" "$reason" "$((before + 1))"
	check "$label: the agent is unharmed (pid $AGENT alive)" alive
	check "$label: its open fds back to $base" wait_for 15 fds_back
	check_eq "$label: a legitimate call right after" "$(legit)" "vector-retriever-b $ORCH"
}
T=$VRB:15008
HOST=("$PY" "$HOSTILE")
TLS=("${HOST[@]}" tls "$PKI")
H2=("${HOST[@]}" h2 "$PKI" orch "$T" "$ID/vector-retriever")
CALL=("$PY" tests/interop/hbone_peer.py call "$PKI" orch "$T")
BOUND="bound: 10 s + the 1 s tick"

check "node-b's refusals read" test "$(e2e_refusals node-b tls other_ca)" -ge 0
refused tls other_ca refused "a client certificate of another CA" "${TLS[@]}" otherca "$T"
refused tls expired refused "an expired client certificate (mesh CA)" "${TLS[@]}" expired "$T"
refused tls trust_domain refused "a client certificate of trust domain other.td (mesh CA)" \
	"${TLS[@]}" othertd "$T"
refused tls no_spiffe_id refused "a client certificate without a URI SAN" "${TLS[@]}" nosan "$T"
refused tls no_spiffe_id refused "a client certificate with a malformed SPIFFE ID" \
	"${TLS[@]}" badsan "$T"
refused tls tls_version refused "TLS 1.2 only" "${TLS[@]}" orch "$T" tls12
refused tls no_client_cert refused "no client certificate" "${TLS[@]}" - "$T"
refused tls timeout "closed after" "a TCP connect, then silence" "${HOST[@]}" silent "$T"
echo "       measured: $said ($BOUND)"
refused tls timeout "closed after" "a ClientHello, then silence" "${HOST[@]}" hello "$T"
echo "       measured: $said ($BOUND)"
refused tls garbage "closed after" "bytes that are no TLS" "${HOST[@]}" garbage "$T"
refused hbone h2_protocol "closed after" "garbage instead of the HTTP/2 preface" "${H2[@]}" preface
refused hbone h2_protocol "closed after" "a frame over MAX_FRAME_SIZE" "${H2[@]}" oversize
refused hbone truncated "closed after" "half a frame, then close" "${H2[@]}" truncated
refused hbone bad_stream "reset 1" "CONNECT with a bad :authority" "${H2[@]}" authority
refused proxy not_local "status 400" "CONNECT to $ORCH:8080, not a workload of node-b" \
	"${CALL[@]}" "$ORCH:8080" "$ID/vector-retriever"
refused proxy not_local "status 400" "CONNECT to $VRC:8080, another pod of node-b" \
	"${CALL[@]}" "$VRC:8080" "$ID/vector-retriever"
refused proxy workload_down "status 503" "CONNECT to $VRB:$NOBODY, nothing listens" \
	"${CALL[@]}" "$VRB:$NOBODY" "$ID/vector-retriever"

check "agent node-b stopped" "$MESH" agent-stop node-b
check "agent node-a stopped" "$MESH" agent-stop node-a
