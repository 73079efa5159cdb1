#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# L4 policy on the test mesh, with examples/mesh as written (STRICT mTLS,
# its AuthorizationPolicies) and the guards attached: the tc guard at the
# node side of every pod's veth (egress: towards the pod) and the XDP guard
# on the node interfaces. The agents run --mtls (tools/mesh.sh): a mesh
# workload's calls carry its authenticated identity, so, as Istio would:
#   - a mesh workload outside ai-inference (a workload "outsider" in
#     namespace tenant-x, added to the copy) fails at once with EPERM on
#     8080 (STRICT) and 8081 (made PERMISSIVE in the copy), decided at the
#     source from its cgroup by the DENY policy for callers outside
#     ai-inference (notNamespaces matches tenant-x; counted as policy_deny);
#   - orchestrator, inside it, reaches vector-retriever's 8080 (its
#     principal is allowed) and 8081 over mTLS, nothing dropped or denied;
#   - the same calls from a host outside the mesh (10.10.3.10, no cgroup of
#     the mesh) are dropped by the destination's guard and counted;
#   - the PERMISSIVE metrics port 9090 passes, from anywhere;
#   - a DENY `when destination.ip` (an address and a prefix) on 9090
#     refuses the vector-retriever endpoints it names, at the source
#     (connect4 judges the endpoint chosen) and at the destination's guard
#     (the packet's destination), and lets the third one through;
#   - a node-wide ipBlocks DENY makes the XDP guard drop that host early.
# "At once": EPERM comes from connect() itself; a drop at the destination
# shows as a timeout. Counts are exact where the source decides (one
# connect, one count) and at least one where the guard drops (SYN
# retransmits are counted too).
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

VR_A=10.10.1.12	# vector-retriever-a, on node-a
EXT=10.10.3.10

e2e_need_agent

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

sa=$(e2e_drops node-a strict_plaintext) pb=$(e2e_drops node-b policy_deny)
r=$(call outsider "$vip" 8080 3)
check "outsider (tenant-x) -> vector-retriever:8080 (STRICT): EPERM at once ($r)" at_once "$r" EPERM
r=$(call outsider "$VR_A" 8080 2)
check "outsider -> vector-retriever-a's address:8080 on the other node: EPERM at once ($r)" at_once "$r" EPERM
check_eq "counted once per connect at the source (node-b policy_deny +5: DENY notNamespaces on its mTLS namespace)" \
	"$(($(e2e_drops node-b policy_deny) - pb))" 5
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

sa=$(e2e_drops node-a strict_plaintext) pa=$(e2e_drops node-a policy_deny)
r=$(call orchestrator "$VR_A" 8080 2)
check_eq "orchestrator (ai-inference) -> vector-retriever-a:8080 (STRICT) over mTLS: its principal is allowed" \
	"${r% *}" vector-retriever-a
r=$(call orchestrator "$VR_A" 8081)
check_eq "orchestrator -> vector-retriever-a:8081 over mTLS: its namespace is ai-inference, DENY notNamespaces does not match" \
	"${r% *}" vector-retriever-a
check_eq "nothing dropped or denied for them (node-a strict_plaintext, policy_deny +0)" \
	"$(($(e2e_drops node-a strict_plaintext) - sa)),$(($(e2e_drops node-a policy_deny) - pa))" "0,0"
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

# ---- destination.ip: the address the connection reaches ----

log_a="$("$MESH" env | sed -n 's/^IMT_STATE=//p')/log/agent-node-a.log"
log_b=${log_a%-node-a.log}-node-b.log
lives() { cat "$log_a" "$log_b" | grep -c "generation . live"; }
# applied N: both agents have made a new generation live since N
applied() {
	local i
	for i in $(seq 100); do
		[ "$(lives)" -ge $(($1 + 2)) ] && return 0
		sleep 0.1
	done
	return 1
}
VR_B=10.10.2.12 VR_C=10.10.2.22
n=$(lives)
cat >"$E2E_TMP/config/55-deny-dip.yaml" <<EOF
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: deny-dip
  namespace: ai-inference
spec:
  selector:
    matchLabels:
      app: vector-retriever
  action: DENY
  rules:
  - to:
    - operation:
        ports: ["9090"]
    when:
    - key: destination.ip
      values: ["$VR_A", "10.10.2.20/30"]
EOF
check "both agents applied deny-dip" applied "$n"
pa=$(e2e_drops node-a policy_deny)
r=$(call orchestrator "$VR_A" 9090)
check "orchestrator -> vector-retriever-a:9090 (destination.ip, the /32): EPERM at once ($r)" \
	at_once "$r" EPERM
r=$(call orchestrator "$VR_C" 9090)
check "orchestrator -> vector-retriever-c:9090 (destination.ip, in the /30): EPERM at once ($r)" \
	at_once "$r" EPERM
check_eq "counted as policy_deny at the source (node-a +2)" "$(($(e2e_drops node-a policy_deny) - pa))" 2
r=$(call orchestrator "$VR_B" 9090)
check_eq "orchestrator -> vector-retriever-b:9090 (not named): passes" "${r% *}" vector-retriever-b
pb=$(e2e_drops node-b policy_deny)
r=$(call ext "$VR_C" 9090)
check_eq "outside host -> vector-retriever-c:9090: dropped by its guard" "${r% *}" TIMEOUT
check "counted as policy_deny at the destination (node-b +$(($(e2e_drops node-b policy_deny) - pb)))" \
	test "$(($(e2e_drops node-b policy_deny) - pb))" -ge 1
r=$(call ext "$VR_B" 9090)
check_eq "outside host -> vector-retriever-b:9090: passes" "${r% *}" vector-retriever-b

# ---- the XDP guard: a node-wide ipBlocks DENY ----

n=$(lives)
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
check "both agents applied the new policy" applied "$n"
xa=$(e2e_drops node-a xdp_denied_source)
r=$(call ext "$VR_A" 9090)
check_eq "outside host -> vector-retriever-a:9090 now: dropped" "${r% *}" TIMEOUT
check "by the XDP guard, counted (node-a xdp_denied_source +$(($(e2e_drops node-a xdp_denied_source) - xa)))" \
	test "$(($(e2e_drops node-a xdp_denied_source) - xa))" -ge 1
# (model-server-v1-a: deny-dip refuses vector-retriever-a:9090)
r=$(call orchestrator 10.10.1.14 9090)
check_eq "mesh workloads on node-a still reach 9090" "${r% *}" model-server-v1-a

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
