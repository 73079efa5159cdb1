#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Pods that come and go after the agent started (the guard follower,
# user/dataplane/links.c). node-a's agent runs with no interface named but
# one that does not exist yet (--guard-egress-if vpl-late): it starts
# anyway, and the route rule puts the tc guard at the node side of every
# local pod's veth. Then, on examples/mesh as written (STRICT):
#   - pod "newpod" (10.10.1.40): its WorkloadEntry first, then its netns
#     and veth: guarded within a second of the veth and its route;
#   - pod "newpod2" (10.10.1.41): netns and veth first (outside the mesh:
#     not touched, the outside host reaches it), then its WorkloadEntry:
#     guarded within a second of the config;
#   - from the host outside the mesh (10.10.3.10, no cgroup of the mesh),
#     each new pod's STRICT port 8080 drops the plaintext (counted as
#     strict_plaintext), the PERMISSIVE port 9090 a DENY ipBlocks refuses
#     (counted as policy_deny), the PERMISSIVE port 9091 answers;
#   - newpod's WorkloadEntry removed: its veth loses the guard, its
#     entries leave the maps; newpod2's namespace deleted: the agent
#     forgets its veth, then its config goes: nothing of it is left;
#   - the listed vpl-late appears: guarded; the agent never stopped.
# Drops show as client timeouts (1 s); the guard's counters say who.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

EXT=10.10.3.10
GW=169.254.1.1
GUARD_MS=1000	# the issue's bound: guarded within a second

e2e_need_agent

mkdir "$E2E_TMP/config"
e2e_copy_mesh "$E2E_TMP/config" || fail "test config"
check "mesh up: examples/mesh (STRICT)" timeout 120 "$MESH" up "$E2E_TMP/config"
eval "$("$MESH" env)"
NS_A=$IMT_PREFIX-node-a
LOG=$IMT_STATE/log/agent-node-a.log
CFG=$E2E_TMP/config
agent_pid=$("$MESH" agent node-a --guard-egress-if vpl-late)
check "node-a agent started with a listed interface that does not exist" \
	e2e_wait_live node-a vector-retriever.ai-inference.svc.cluster.local:8080
check "the agent is running" kill -0 "$agent_pid"

# guarded IF: our tc filter sits at egress of IF on node-a.
guarded() { tc -n "$NS_A" filter show dev "$1" egress 2>/dev/null | grep -q " bpf "; }
unguarded() { ! guarded "$1"; }
# has_clsact IF: the clsact qdisc (ours) is still on IF.
has_clsact() { tc -n "$NS_A" qdisc show dev "$1" 2>/dev/null | grep -q clsact; }

# ms_until BOUND_MS CMD...: polls CMD every 20 ms; prints the ms it took,
# or "never" after BOUND_MS.
ms_until() {
	local bound=$1 t0 now
	shift
	t0=$(date +%s%N)
	while :; do
		now=$(date +%s%N)
		if "$@"; then
			echo $(((now - t0) / 1000000))
			return 0
		fi
		[ $(((now - t0) / 1000000)) -ge "$bound" ] && { echo never; return 1; }
		sleep 0.02
	done
}

for ifc in $("$MESH" pods | awk '$2 == "node-a" { print $5 }'); do
	check "pods there at start: $ifc guarded by the route rule" wait_for 5 guarded "$ifc"
done

# ---- building pods by hand, as tools/mesh.sh does ----

pod_config() { # NAME IP
	cat >"$E2E_TMP/$1.yaml" <<EOF
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: $1
  namespace: ai-inference
  annotations:
    infermesh.io/node: node-a
    infermesh.io/cgroup: newpods/$1
spec:
  address: $2
  labels: {app: $1}
  serviceAccount: $1
  ports: {http: 8080, metrics: 9090, open: 9091}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: $1-ports
  namespace: ai-inference
spec:
  selector:
    matchLabels: {app: $1}
  mtls: {mode: STRICT}
  portLevelMtls:
    9090: {mode: PERMISSIVE}
    9091: {mode: PERMISSIVE}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: $1-deny-ext
  namespace: ai-inference
spec:
  selector:
    matchLabels: {app: $1}
  action: DENY
  rules:
  - from:
    - source:
        ipBlocks: ["$EXT/32"]
    to:
    - operation:
        ports: ["9090"]
EOF
	mv "$E2E_TMP/$1.yaml" "$CFG/70-$1.yaml"	# one event, whole file
}

# pod_up NAME IP IF: the pod's netns behind veth IF on node-a, the pod's
# side configured; the node's side stays down until pod_link.
pod_up() {
	local ns=$IMT_PREFIX-pod-$1
	ip netns add "$ns" &&
	ip -n "$NS_A" link add "$3" type veth peer name eth0 netns "$ns" &&
	ip -n "$ns" -batch - <<-EOF
		link set lo up
		addr add $2/32 dev eth0
		link set eth0 up
		route add $GW dev eth0 scope link
		route add default via $GW dev eth0
	EOF
}

# pod_link NAME IP IF: the node's side: up, with the route to the pod.
pod_link() {
	ip -n "$NS_A" -batch - <<-EOF
		addr add $GW/32 dev $3
		link set $3 up
		route add $2/32 dev $3
	EOF
}

# pod_serve NAME IP: tools/mesh-server.py, in a cgroup of the mesh so that
# `down` ends it too; its pid in $E2E_TMP/NAME.pid. Python's HTTP server
# looks its own address up in DNS when it binds, which from a pod of the
# test mesh takes seconds to fail: that lookup is skipped.
SERVE='import runpy, socket, sys
socket.getfqdn = lambda name="": name
sys.argv = ["mesh-server.py"] + sys.argv[1:]
runpy.run_path("tools/mesh-server.py", run_name="__main__")'
pod_serve() {
	local cg=$IMT_CGROOT/node-a/newpods/$1
	mkdir -p "$cg" || return 1
	(echo "$BASHPID" >"$cg/cgroup.procs" &&
	 exec nsenter --net="/run/netns/$IMT_PREFIX-pod-$1" "$E2E_PY" -c "$SERVE" "$1" "$2" 8080,9090,9091) \
		>"$E2E_TMP/$1.log" 2>&1 </dev/null &
	echo $! >"$E2E_TMP/$1.pid"
	wait_for 10 grep -q "serving on" "$E2E_TMP/$1.log"
}

pod_down() { # NAME
	kill -TERM "$(cat "$E2E_TMP/$1.pid")" 2>/dev/null
	wait "$(cat "$E2E_TMP/$1.pid")" 2>/dev/null
	ip netns del "$IMT_PREFIX-pod-$1"
}

# call HOST PORT: one connection from the outside host, 1 s timeout;
# prints the answer (the pod's name) or the error (TIMEOUT, ...).
call() {
	timeout 30 "$MESH" ext "$E2E_PY" "$CLIENT" probe "$1" "$2" 1 --timeout 1 >"$E2E_TMP/call.json"
	e2e_json "$E2E_TMP/call.json" '",".join(sorted(set(j["results"])))'
}

# live_rows IP: rows of IP in node-a's live policy entries.
live_rows() {
	"$MESH" maps node-a dump policy -o json >"$E2E_TMP/pol.json" 2>/dev/null || { echo -1; return; }
	e2e_json "$E2E_TMP/pol.json" 'sum(1 for r in j["rows"] if r["address"] == "'"$1"'")'
}
is_live() { [ "$(live_rows "$1")" -gt 0 ]; }
is_gone() { [ "$(live_rows "$1")" = 0 ]; }

# judged NAME IP: the outside host's plaintext, as the new pod's config says.
judged() {
	local s p r
	s=$(e2e_drops node-a strict_plaintext) p=$(e2e_drops node-a policy_deny)
	r=$(call "$2" 8080)
	check_eq "$1: outside host -> :8080 (STRICT): dropped" "$r" TIMEOUT
	check "$1: counted as strict_plaintext (+$(($(e2e_drops node-a strict_plaintext) - s)))" \
		test "$(($(e2e_drops node-a strict_plaintext) - s))" -ge 1 -a "$s" -ge 0
	r=$(call "$2" 9090)
	check_eq "$1: outside host -> :9090 (PERMISSIVE, DENY ipBlocks): refused" "$r" TIMEOUT
	check "$1: counted as policy_deny (+$(($(e2e_drops node-a policy_deny) - p)))" \
		test "$(($(e2e_drops node-a policy_deny) - p))" -ge 1 -a "$p" -ge 0
	r=$(call "$2" 9091)
	check_eq "$1: outside host -> :9091 (PERMISSIVE): answered" "$r" "$1"
}

# ---- newpod: the config first, then the interface ----

pod_config newpod 10.10.1.40
check "newpod's config is live" wait_for 10 is_live 10.10.1.40
check "newpod: netns, veth vpl-new0 (its node side down) and server" \
	eval 'pod_up newpod 10.10.1.40 vpl-new0 && pod_serve newpod 10.10.1.40'
check "newpod: node side up, the route to it" pod_link newpod 10.10.1.40 vpl-new0
ms=$(ms_until "$GUARD_MS" guarded vpl-new0)
check "newpod: guarded within $GUARD_MS ms of its veth and route ($ms ms)" test "$ms" != never
judged newpod 10.10.1.40

# ---- newpod2: the interface first, then the config ----

check "newpod2: netns, veth vpl-new1, server and route" eval \
	'pod_up newpod2 10.10.1.41 vpl-new1 && pod_serve newpod2 10.10.1.41 && pod_link newpod2 10.10.1.41 vpl-new1'
check "newpod2, not in the config: its veth is not touched" unguarded vpl-new1
check_eq "newpod2, not in the config: the outside host reaches :8080" "$(call 10.10.1.41 8080)" newpod2
pod_config newpod2 10.10.1.41
ms=$(ms_until "$GUARD_MS" guarded vpl-new1)
check "newpod2: guarded within $GUARD_MS ms of its config ($ms ms)" test "$ms" != never
check "newpod2's entries are live" wait_for 5 is_live 10.10.1.41
judged newpod2 10.10.1.41

# ---- pods that go ----

rm "$CFG/70-newpod.yaml"
check "newpod's config removed: its veth loses the guard" wait_for 5 unguarded vpl-new0
check "and the clsact qdisc the agent made there" wait_for 5 eval '! has_clsact vpl-new0'
check "newpod's entries leave the maps" wait_for 5 is_gone 10.10.1.40
check_eq "newpod, outside the mesh again: the outside host reaches :8080" "$(call 10.10.1.40 8080)" newpod
pod_down newpod

pod_down newpod2
# the kernel tears a namespace down in the background
check "newpod2's namespace deleted: its veth goes" \
	wait_for 10 eval "! ip -n $NS_A link show vpl-new1 >/dev/null 2>&1"
# its route goes first (the link goes down), so the guard is removed
# just before the link vanishes, or the kernel takes it with the link
last_word() { grep vpl-new1 "$LOG" | tail -n 1 | grep -Eq "is gone|removed from"; }
wait_for 2 last_word
check "the agent let go of its guard ($(grep vpl-new1 "$LOG" | tail -n 1 | sed 's/^[^:]*: //'))" last_word
rm "$CFG/70-newpod2.yaml"
check "newpod2's config removed: its entries leave the maps" wait_for 5 is_gone 10.10.1.41
check "no veth of the new pods is left on node-a" \
	sh -c "! ip -n $NS_A -o link | grep -q vpl-new"

# ---- the listed interface that was missing ----

ip -n "$NS_A" link add vpl-late type veth peer name vpl-late-p
ms=$(ms_until "$GUARD_MS" guarded vpl-late)
check "vpl-late (listed, missing at start) appears: guarded ($ms ms)" test "$ms" != never
ip -n "$NS_A" link del vpl-late
check "vpl-late vanishes: the agent forgets it, and its guard with it" \
	wait_for 2 grep -q "vpl-late (ifindex [0-9]*) is gone, and its guards with it" "$LOG"
check "the agent ran throughout" kill -0 "$agent_pid"
check "no guard failed" sh -c "! grep -q 'guard .* failed' '$LOG'"

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
