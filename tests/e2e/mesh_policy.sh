#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# L4 policy on the test mesh, with examples/mesh as written (STRICT mTLS,
# its AuthorizationPolicies) and the guards attached: the tc guard at the
# node side of every pod's veth (egress: towards the pod) and the XDP guard
# on the node interfaces. Until mutual TLS exists every connection is
# plaintext, so, as Istio would:
#   - a mesh workload's plaintext connect() to a STRICT port fails at once
#     with EPERM, decided at the source from its cgroup: from outside
#     ai-inference (a workload "outsider" in namespace tenant-x, added to
#     the copy) and from inside it (orchestrator) alike;
#   - where the port lets plaintext in (8081 made PERMISSIVE in the copy),
#     the DENY policy for callers outside ai-inference decides: a plaintext
#     peer has no namespace, so notNamespaces matches it (EPERM, counted as
#     policy_deny at the source);
#   - the same calls from a host outside the mesh (10.10.3.10, no cgroup of
#     the mesh) are dropped by the destination's guard and counted;
#   - the PERMISSIVE metrics port 9090 passes, from anywhere;
#   - a node-wide ipBlocks DENY makes the XDP guard drop that host early.
# "At once": EPERM comes from connect() itself; a drop at the destination
# shows as a timeout. Counts are exact where the source decides (one
# connect, one count) and at least one where the guard drops (SYN
# retransmits are counted too).
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.bash
e2e_need_root

BIN=$OUT/infermesh
CLIENT=tools/mesh-client.py
VR_A=10.10.1.12	# vector-retriever-a, on node-a
EXT=10.10.3.10

if ! "$BIN" agent --help >/dev/null 2>&1; then
	echo "*** SKIP: $BIN has no agent command ***" >&2
	exit 0
fi

# The copy's additions: the outsider, and port 8081 PERMISSIVE for the
# workloads metrics-plaintext selects (vector-retriever among them).
policy_config() { # DIR
	"$E2E_PY" - "$1" <<'PY'
import os, sys, yaml
d = sys.argv[1]
f = os.path.join(d, "03-peer-authentication.yaml")
docs = list(yaml.safe_load_all(open(f)))
for x in docs:
    if x["metadata"]["name"] == "metrics-plaintext":
        x["spec"]["portLevelMtls"][8081] = {"mode": "PERMISSIVE"}
yaml.safe_dump_all(docs, open(f, "w"), sort_keys=False)
yaml.safe_dump({"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry",
                "metadata": {"name": "outsider", "namespace": "tenant-x", "annotations": {
                    "infermesh.io/node": "node-b",
                    "infermesh.io/cgroup": "infermesh/tenant-x/outsider"}},
                "spec": {"address": "10.10.2.60", "labels": {"app": "outsider"},
                         "serviceAccount": "outsider", "ports": {"http": 8080}}},
               open(os.path.join(d, "50-outsider.yaml"), "w"), sort_keys=False)
PY
}

# call WHO HOST PORT [N]: N (default 1) connections from WHO (a pod, or
# "ext" for the outside host), one after the other, 1 s timeout; prints
# the distinct results (answer or errno name) and the slowest in ms.
call() {
	local who=$1 res=$E2E_TMP/call.json
	shift
	if [ "$who" = ext ]; then
		timeout 30 "$MESH" ext "$E2E_PY" "$CLIENT" probe "$1" "$2" "${3:-1}" --timeout 1 >"$res"
	else
		timeout 30 "$MESH" exec "$who" "$E2E_PY" "$CLIENT" probe "$1" "$2" "${3:-1}" --timeout 1 >"$res"
	fi
	e2e_json "$res" '",".join(sorted(set(j["results"]))) + " " + str(max(j["ms"]))'
}

# at_once RESULT WANT: RESULT ("what ms") is WANT within 100 ms.
at_once() {
	[ "${1% *}" = "$2" ] && [ "$(printf '%.0f' "${1#* }")" -lt 100 ]
}

# The guards: the node side of each pod's veth, and the node interfaces.
guard_flags() { # NODE
	"$MESH" pods | awk -v n="$1" '$2 == n { printf " --guard-egress-if %s", $5 }'
	printf ' --xdp-if node0'
	[ "$1" = node-a ] && printf ' --xdp-if vext'
}

mkdir "$E2E_TMP/config"
e2e_copy_mesh "$E2E_TMP/config" || fail "test config"
policy_config "$E2E_TMP/config" || fail "policy config"
check "mesh up: examples/mesh (STRICT, its policies) and an outsider" \
	timeout 120 "$MESH" up "$E2E_TMP/config"
for node in node-a node-b; do
	# shellcheck disable=SC2046 # one flag a word
	check "agent $node started with the guards" "$MESH" agent "$node" $(guard_flags "$node")
done
vip=$(e2e_wait_live node-b vector-retriever.ai-inference.svc.cluster.local:8080) || vip=
check "node-b: vector-retriever has a VIP ($vip)" test -n "$vip"
check "node-a: its policies are live" e2e_wait_live node-a vector-retriever.ai-inference.svc.cluster.local:8080
# guards_on NODE: a tc filter at egress of each pod veth, XDP on node0.
guards_on() {
	local ifc
	for ifc in $("$MESH" pods | awk -v n="$1" '$2 == n { print $5 }'); do
		"$MESH" node "$1" tc filter show dev "$ifc" egress | grep -q bpf || return 1
	done
	"$MESH" node "$1" ip link show node0 | grep -q xdp
}
for node in node-a node-b; do
	check "$node: the guards are attached" guards_on "$node"
done
[ -n "$vip" ] || exit 1	# the logs follow

# ---- the source decides: EPERM at connect() ----

sa=$(e2e_drops node-a strict_plaintext) sb=$(e2e_drops node-b strict_plaintext)
r=$(call outsider "$vip" 8080 3)
check "outsider (tenant-x) -> vector-retriever:8080 (STRICT): EPERM at once ($r)" at_once "$r" EPERM
r=$(call outsider "$VR_A" 8080 2)
check "outsider -> vector-retriever-a's address:8080 on the other node: EPERM at once ($r)" at_once "$r" EPERM
check_eq "counted once per connect at the source (node-b strict_plaintext +5)" \
	"$(($(e2e_drops node-b strict_plaintext) - sb))" 5
check_eq "no SYN reached the destination's guard (node-a strict_plaintext +0)" \
	"$(($(e2e_drops node-a strict_plaintext) - sa))" 0

pb=$(e2e_drops node-b policy_deny) pa=$(e2e_drops node-a policy_deny)
r=$(call outsider "$VR_A" 8081 2)
check "outsider -> vector-retriever-a:8081 (PERMISSIVE): DENY notNamespaces, EPERM at once ($r)" \
	at_once "$r" EPERM
check_eq "counted as policy_deny at the source (node-b +2, node-a +0)" \
	"$(($(e2e_drops node-b policy_deny) - pb)),$(($(e2e_drops node-a policy_deny) - pa))" "2,0"
r=$(call outsider "$vip" 9090 4)
check "outsider -> vector-retriever:9090 (PERMISSIVE metrics): passes ($r)" \
	test "$(echo "${r% *}" | tr , '\n' | grep -cv '^vector-retriever-')" -eq 0

sa=$(e2e_drops node-a strict_plaintext)
r=$(call orchestrator "$VR_A" 8080 2)
check "orchestrator (ai-inference) -> vector-retriever-a:8080 in plaintext: EPERM at once ($r)" \
	at_once "$r" EPERM
check_eq "counted at the source (node-a strict_plaintext +2)" \
	"$(($(e2e_drops node-a strict_plaintext) - sa))" 2
pa=$(e2e_drops node-a policy_deny)
r=$(call orchestrator "$VR_A" 8081)
check "orchestrator -> vector-retriever-a:8081 in plaintext: EPERM too, no namespace without mTLS ($r)" \
	at_once "$r" EPERM
check_eq "counted as policy_deny at the source (node-a +1)" "$(($(e2e_drops node-a policy_deny) - pa))" 1
r=$(call orchestrator "$VR_A" 9090)
check_eq "orchestrator -> vector-retriever-a:9090: passes" "${r% *}" vector-retriever-a

# ---- the destination's guard: a host outside the mesh ----

sa=$(e2e_drops node-a strict_plaintext)
r=$(call ext "$VR_A" 8080)
check_eq "outside host -> vector-retriever-a:8080 (STRICT): dropped, the client times out" "${r% *}" TIMEOUT
check "dropped at the destination and counted (node-a strict_plaintext +$(($(e2e_drops node-a strict_plaintext) - sa)))" \
	test "$(($(e2e_drops node-a strict_plaintext) - sa))" -ge 1
pa=$(e2e_drops node-a policy_deny)
r=$(call ext "$VR_A" 8081)
check_eq "outside host -> vector-retriever-a:8081 (PERMISSIVE, DENY notNamespaces): dropped" "${r% *}" TIMEOUT
check "counted as policy_deny at the destination (node-a +$(($(e2e_drops node-a policy_deny) - pa)))" \
	test "$(($(e2e_drops node-a policy_deny) - pa))" -ge 1
r=$(call ext "$VR_A" 9090 3)
check_eq "outside host -> vector-retriever-a:9090 (PERMISSIVE metrics): passes" "${r% *}" vector-retriever-a
r=$(call ext 10.10.1.14 9090)
check_eq "outside host -> model-server-v1-a:9090: passes" "${r% *}" model-server-v1-a

# ---- the XDP guard: a node-wide ipBlocks DENY ----

cat >"$E2E_TMP/config/60-deny-host.yaml" <<EOF
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-host
  namespace: istio-system
spec:
  action: DENY
  rules:
  - from:
    - source:
        ipBlocks: ["$EXT/32"]
EOF
log_a="$("$MESH" env | sed -n 's/^IMT_STATE=//p')/log/agent-node-a.log"
for _ in $(seq 100); do
	[ "$(grep -c "generation . live" "$log_a")" -ge 2 ] && break
	sleep 0.1
done
check "node-a applied the new policy" test "$(grep -c "generation . live" "$log_a")" -ge 2
xa=$(e2e_drops node-a xdp_denied_source)
r=$(call ext "$VR_A" 9090)
check_eq "outside host -> vector-retriever-a:9090 now: dropped" "${r% *}" TIMEOUT
check "by the XDP guard, counted (node-a xdp_denied_source +$(($(e2e_drops node-a xdp_denied_source) - xa)))" \
	test "$(($(e2e_drops node-a xdp_denied_source) - xa))" -ge 1
r=$(call orchestrator "$VR_A" 9090)
check_eq "mesh workloads still reach 9090" "${r% *}" vector-retriever-a

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
