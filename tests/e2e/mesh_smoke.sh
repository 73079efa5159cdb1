#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test mesh itself, without agents: it comes up (twice in a row), pods
# on the two nodes reach each other by their WorkloadEntry addresses, each
# pod's processes sit in the cgroup its annotation names, the addresses
# exist only inside the mesh, and `down` leaves nothing, also after an `up`
# killed halfway.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

CURL=(curl -s --max-time 5)

check "mesh up" timeout 120 "$MESH" up
check "mesh up again (idempotent)" timeout 120 "$MESH" up
"$MESH" pods >"$E2E_TMP/pods" || fail "mesh pods"
check_eq "10 pods from the example mesh" "$(wc -l <"$E2E_TMP/pods")" 10
check_eq "13 namespaces (2 nodes, 10 pods, 1 outside host)" \
	"$(ip netns list | grep -c "^$IMT_PREFIX-")" 13

# Each pod is called from a pod on the other node, and answers with its
# own name: the address is really that pod's.
mapfile -t pods <"$E2E_TMP/pods"
for line in "${pods[@]}"; do
	read -r name node ip _ <<<"$line"
	caller=$(printf '%s\n' "${pods[@]}" | awk -v n="$node" '$2 != n { print $1; exit }')
	got=$(timeout 10 "$MESH" exec "$caller" "${CURL[@]}" "http://$ip:8080/")
	check_eq "$caller ($([ "$node" = node-a ] && echo node-b || echo node-a)) -> $name ($node) $ip:8080" \
		"$got" "$name"
done
got=$(timeout 10 "$MESH" exec api-gateway "${CURL[@]}" http://10.10.1.15:9090/)
check_eq "same node: api-gateway -> model-server-v2:9090" "$got" model-server-v2
got=$(timeout 10 "$MESH" ext "${CURL[@]}" http://10.10.2.13:8081/)
check_eq "outside host -> reranker:8081 (node-b)" "$got" reranker

# cgroup and network namespace of every server process, and of `exec`.
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
while read -r name node ip netns _ cgdir; do
	want="0::${cgdir#"$cg2"}"
	pid=$(head -1 "$cgdir/cgroup.procs" 2>/dev/null)
	if [ -z "$pid" ]; then
		fail "$name: no process in $cgdir"
		continue
	fi
	check_eq "$name: server in its cgroup" "$(grep '^0::' "/proc/$pid/cgroup")" "$want"
	check_eq "$name: server in its netns" "$(ip netns identify "$pid")" "$netns"
	check_eq "$name: cgroup path is the annotation under the node's root" \
		"${cgdir#"$cg2/$IMT_PREFIX"-mesh/}" "$node/infermesh/ai-inference/$name"
done <"$E2E_TMP/pods"
got=$(timeout 10 "$MESH" exec reranker cat /proc/self/cgroup | grep '^0::')
check_eq "exec runs in the pod's cgroup" "$got" \
	"0::/$IMT_PREFIX-mesh/node-b/infermesh/ai-inference/reranker"

check_eq "no mesh address in the host namespace" \
	"$(ip -4 -o addr | grep -c ' 10\.10\.')" 0

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
check "down again is harmless" timeout 60 "$MESH" down

# An `up` killed halfway (a failed run) is still cleaned up.
"$MESH" up >/dev/null 2>&1 &
up_pid=$!
sleep 4
kill -KILL "$up_pid" 2>/dev/null
wait "$up_pid" 2>/dev/null
check "down after an up killed halfway" timeout 60 "$MESH" down
check "nothing left after the killed run" mesh_gone
