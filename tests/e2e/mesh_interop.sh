#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HBONE interop against a running agent (issue 8): the independent Python
# peer (tests/interop/hbone_peer.py: Python's ssl and h2, written from
# hbone-facts.md) as a client of node-b's `infermesh agent --mtls`, with
# SVIDs it got from the mesh's own CA (openssl signs them with ca-key.pem,
# as another Istio-compatible node would be issued them):
#   - it runs in orchestrator's network namespace but outside the mesh's
#     cgroups, so nothing of node-a captures it: its tunnel leaves from
#     orchestrator's address, straight to vector-retriever-b's :15008, and
#     checks that the agent proves vector-retriever's SPIFFE ID;
#   - as orchestrator: CONNECT to vector-retriever-b:8080 -> 200, and the
#     real app answers a GET sent through the stream, seeing orchestrator's
#     address; CONNECT to another pod's address (vector-retriever-c, same
#     node) -> 400; to a port of the pod where nothing listens -> 503;
#   - as api-gateway (an SVID of the same CA that vector-retriever's policy
#     does not allow on 8080) -> 401;
#   - node-b's `proxy-config refusals` counts each refusal by its reason
#     (proxy not_local, denied, workload_down), exactly once.
# And the other way, first (node-b has no agent yet): the Python peer is
# vector-retriever-b's HBONE server on its <podIP>:15008, with an SVID for
# vector-retriever from the same CA, relaying to the pod's app; orchestrator
# calls vector-retriever-b:8080 with curl, node-a's agent carries it: the
# Python server sees a CONNECT for <podIP>:8080 from orchestrator's SPIFFE
# ID, curl gets the app's answer, and node-a's tunnel shows the identity the
# Python server proved.
# The loopback variant against the proxy objects: tests/cli/hbone_interop.sh.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
export IMT_MTLS=1	# tools/mesh.sh's agents run --mtls

STATE=/run/$IMT_PREFIX-mesh
VRB=10.10.2.12			# vector-retriever-b, node-b
VRC=10.10.2.22			# vector-retriever-c, node-b too
ORCH=10.10.1.11			# orchestrator, node-a
ID=spiffe://cluster.local/ns/ai-inference/sa
NOBODY=7			# no server of vector-retriever-b's on it
PEER=tests/interop/hbone_peer.py

e2e_need_agent
e2e_need "$BIN" proxy-config --help
e2e_need openssl version
e2e_need_h2py


check "mesh up (examples/mesh, STRICT)" timeout 120 "$MESH" up examples/mesh
eval "$("$MESH" env)"	# IMT_CGROOT: the outside host's cgroup
check "agent node-a --mtls" "$MESH" agent node-a
check "node-a's proxy listens" wait_for 30 e2e_listening node-a

# ---- SVIDs from the mesh's CA, issued outside the agent ----

CA=$STATE/ca
PKI=$E2E_TMP/pki
mkdir -p "$PKI"
check "the mesh's CA (cacerts layout) is there" test -s "$CA/ca-key.pem" -a -s "$CA/root-cert.pem"
cp "$CA/root-cert.pem" "$PKI/ca.pem"
check "orchestrator's SVID issued by the mesh CA" e2e_svid "$PKI" orch orchestrator
check "api-gateway's SVID issued by the mesh CA" e2e_svid "$PKI" gw api-gateway
check "both verify against the mesh's root" \
	openssl verify -CAfile "$PKI/ca.pem" -untrusted "$CA/ca-cert.pem" "$PKI/orch.pem" "$PKI/gw.pem"

# ---- node-a's agent -> the Python server, vector-retriever-b's HBONE ----

SRV=$E2E_TMP/srv
mkdir -p "$SRV"
cp "$PKI/ca.pem" "$SRV/ca.pem"
check "vector-retriever's SVID for the Python server" e2e_svid "$SRV" server vector-retriever
mkfifo "$E2E_TMP/ctl"
# its stdin is a FIFO we hold open: it stops when we close it (and `down`
# ends whatever is left in the pods' cgroups)
"$MESH" exec vector-retriever-b "$PY" "$PEER" serve-at "$SRV" "$VRB" \
	<"$E2E_TMP/ctl" >"$E2E_TMP/pysrv.out" 2>&1 &
pysrv=$!
exec 7>"$E2E_TMP/ctl"
check "the Python server listens on vector-retriever-b's $VRB:15008 (no agent on node-b)" \
	wait_for 10 grep -qx "port 15008" "$E2E_TMP/pysrv.out"
got=$(timeout 20 "$MESH" exec orchestrator curl -s -m 10 "http://$VRB:8080/peer")
check_eq "orchestrator -> vector-retriever-b:8080 through node-a's agent and the Python server: the app answers" \
	"$got" "vector-retriever-b $VRB"
check "the Python server saw CONNECT $VRB:8080 from orchestrator's SPIFFE ID" \
	grep -qx "connect $VRB:8080 $ID/orchestrator" "$E2E_TMP/pysrv.out"
"$BIN" proxy-config tunnels --state-dir "$STATE/state/node-a" -o json >"$E2E_TMP/tun.json"
check_eq "node-a: its outbound tunnel to $VRB, the identity the Python server proved" \
	"$(e2e_json "$E2E_TMP/tun.json" "[(t['direction'], t['peer_id']) for t in j['tunnels'] if t['peer_ip'] == '$VRB']")" \
	"[('outbound', '$ID/vector-retriever')]"
exec 7>&-
gone() { ! kill -0 "$pysrv" 2>/dev/null; }
check "the Python server stopped (stdin closed)" wait_for 10 gone
wait "$pysrv"
check_eq "the Python server exited cleanly" "$?" 0
[ "$fails" -eq 0 ] || sed 's/^/       /' "$E2E_TMP/pysrv.out"

# ---- the Python client, from orchestrator's address, outside the mesh ----

check "agent node-b --mtls" "$MESH" agent node-b
check "node-b's proxy listens" wait_for 30 e2e_listening node-b

# call NAME AUTHORITY: the Python peer's one CONNECT through
# vector-retriever-b's :15008, from orchestrator's address, outside the mesh
call() {
	e2e_hbone_call orchestrator "$PKI" "$1" "$VRB:15008" "$2" "$ID/vector-retriever"
}
refusals() { e2e_refusals node-b proxy "$1"; }
# refused NAME AUTHORITY STATUS REASON WHY: the answer is STATUS and node-b
# counts REASON once more
refused() {
	local before got
	before=$(refusals "$4")
	got=$(call "$1" "$2" 2>&1)
	check_eq "$5: $2 -> $3" "$got" "status $3"
	check_eq "$5: counted once as proxy $4 on node-b" "$(refusals "$4")" "$((before + 1))"
}

check "node-b's refusals read before any call" test "$(refusals not_local)" -ge 0
got=$(call orch "$VRB:8080" 2>&1)
check_eq "orchestrator -> $VRB:8080: 200" "$(head -1 <<<"$got")" "status 200"
check "the real app answers through the stream, and sees orchestrator's address" \
	grep -qx "vector-retriever-b $ORCH" <<<"$got"
[ "$fails" -eq 0 ] || printf '       %s\n' "$got"
refused orch "$VRC:8080" 400 not_local "another pod's address (vector-retriever-c, node-b)"
refused gw "$VRB:8080" 401 denied "api-gateway, not allowed by vector-retriever-access"
# (the kernel's RST from the closed port carries the leg's mark
# (fwmark_reflect, user/proxy/tleg.c), so it reaches the leg and the 503
# comes at once, not at the leg's connect timeout; the time is printed,
# not judged)
t0=$(date +%s%N)
refused orch "$VRB:$NOBODY" 503 workload_down "orchestrator, a port of vector-retriever-b nobody listens on"
echo "       measured: the 503 came $((($(date +%s%N) - t0) / 1000000)) ms after the CONNECT (with two refusals reads)"
got=$(call orch "$VRB:8080" 2>&1)
check_eq "after the refusals, orchestrator -> $VRB:8080 still 200" "$(head -1 <<<"$got")" "status 200"

check "agent node-b stopped" "$MESH" agent-stop node-b
check "agent node-a stopped" "$MESH" agent-stop node-a
