#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kernel load balancer on the test mesh, with an agent on each node:
# connect()s from a pod to the model-server VIP land where the kernel
# chose, 90/10 between the canary's subsets over 2,000 connections, each
# subset's endpoints selected by their labels; `infermesh maps dump` shows
# the endpoints with their active connections; the pins outlive the agent.
#
# Until mutual TLS exists no principal can be authenticated, so the traffic
# runs on a copy of examples/mesh made PERMISSIVE and without its
# AuthorizationPolicies (L4 policy has tests of its own). The Services of
# the example have no clusterIP; the copy gives them 10.96.0.1, .2, ... in
# file order, which only the agents' maps ever see.
#
# Tolerance of the split: 5 standard deviations of a binomial. With
# N = 2000 and p = 0.1 that is 200 +- 67 canary answers: a false failure
# has odds below 1 in 1.7 million, and a kernel that ignored the weights
# (50/50 over the two subsets, or 25% per endpoint) still fails at once.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

N=2000
HOLD=20

e2e_need_agent

# The VIP of model-server:8080 once NODE's agent has made it live, by name
# from `maps dump services`: 30 s at most.
wait_vip() { # NODE
	for _ in $(seq 60); do
		if "$MESH" maps "$1" dump services -o json >"$E2E_TMP/svc-$1.json" 2>/dev/null; then
			vip=$(e2e_json "$E2E_TMP/svc-$1.json" '" ".join(r["vip"] for r in j["rows"] if r["port"] == 8080 and (r["service"] or "").startswith("model-server.ai-inference."))')
			[ -n "$vip" ] && { echo "$vip"; return 0; }
		fi
		sleep 0.5
	done
	return 1
}

# Sum of the active connections of model-server's :8080 endpoints on NODE.
active_sum() { # NODE
	"$MESH" maps "$1" dump endpoints -o json >"$E2E_TMP/ep.json" 2>/dev/null || { echo -1; return; }
	e2e_json "$E2E_TMP/ep.json" 'sum(r["active"] for r in j["rows"] if r["endpoint"].endswith(":8080") and (r["workload"] or "").startswith("ai-inference/model-server"))'
}

wait_active() { # NODE WANT: polls 5 s at most, prints the last sum
	local got
	for _ in $(seq 25); do
		got=$(active_sum "$1")
		[ "$got" = "$2" ] && break
		sleep 0.2
	done
	echo "$got"
}

# 2000 connections from POD to VIP:8080 and what answered them.
split_check() { # POD NODE ZONE-WORKLOAD
	local pod=$1 node=$2 local_v1=$3 res=$E2E_TMP/split-$1.json
	timeout 300 "$MESH" exec "$pod" python3 "$CLIENT" count "$vip" 8080 "$N" \
		--deadline 240 >"$res"
	echo "       $pod: $(cat "$res")"
	check_eq "$pod: all $N connections made" "$(e2e_json "$res" 'j["connections"] if j["complete"] else -1')" "$N"
	check_eq "$pod: no connection failed" "$(e2e_json "$res" 'sum(j["errors"].values())')" 0
	check_eq "$pod: only model-server endpoints answer" \
		"$(e2e_json "$res" 'sorted(k for k in j["answers"] if not k.startswith("model-server-"))')" "[]"
	v2=$(e2e_json "$res" 'j["answers"].get("model-server-v2", 0)')
	check "$pod: canary v2 gets 10% of $N ($v2, want 133..267 = 200 +- 5 sigma)" \
		test "$v2" -ge 133 -a "$v2" -le 267
	check_eq "$pod: subset v1-stable is the version=v1 workloads" \
		"$(e2e_json "$res" 'sum(v for k, v in j["answers"].items() if k.startswith("model-server-v1-"))')" \
		"$((N - v2))"
	check_eq "$pod ($node): v1 stays in the client's zone while healthy ($local_v1)" \
		"$(e2e_json "$res" 'j["answers"].get("'"$local_v1"'", 0)')" "$((N - v2))"
}

# The agents watch the config directory: nothing else may be written there.
mkdir "$E2E_TMP/config"
e2e_copy_mesh "$E2E_TMP/config" permissive || fail "test config"
check "mesh up with the PERMISSIVE copy of examples/mesh" timeout 120 "$MESH" up "$E2E_TMP/config"
check "agent node-a started" "$MESH" agent node-a
check "agent node-b started" "$MESH" agent node-b
vip=$(wait_vip node-a) || vip=
check "node-a: model-server:8080 has a VIP in the maps ($vip)" test -n "$vip"
vip_b=$(wait_vip node-b) || vip_b=
check "node-b: the same VIP ($vip_b)" test -n "$vip_b" -a "$vip_b" = "$vip"
[ -n "$vip" ] && [ "$vip" = "$vip_b" ] || exit 1	# the logs follow

split_check api-gateway node-a model-server-v1-a
split_check reranker node-b model-server-v1-b

# Active connections, as sockops counts them and `maps dump` shows them.
timeout 30 "$MESH" exec api-gateway python3 "$CLIENT" hold "$vip" 8080 "$HOLD" \
	--pidfile "$E2E_TMP/hold.pid" --max-seconds 60 >"$E2E_TMP/hold.out" 2>&1 &
for _ in $(seq 50); do
	grep -q "^held" "$E2E_TMP/hold.out" && break
	sleep 0.2
done
check_eq "client holds $HOLD connections" "$(cat "$E2E_TMP/hold.out")" "held $HOLD"
check_eq "maps dump endpoints: $HOLD active on model-server:8080" "$(wait_active node-a "$HOLD")" "$HOLD"
"$MESH" maps node-a dump endpoints >"$E2E_TMP/ep.txt" 2>&1
check "maps dump endpoints (text) names workloads, localities, state" \
	grep -Eq '10\.10\.1\.14:8080 +ai-inference/model-server-v1-a +outbound\|8080\|v1-stable\|model-server.* +us-east-1/us-east-1a .* healthy ' "$E2E_TMP/ep.txt"
[ -s "$E2E_TMP/hold.pid" ] && kill -TERM "$(cat "$E2E_TMP/hold.pid")" 2>/dev/null
wait
check_eq "closed connections leave the active count" "$(wait_active node-a 0)" 0

"$MESH" maps node-b list -o json >"$E2E_TMP/list.json" 2>&1
check_eq "maps list: the dataplane's maps, im_svc with 15 service ports" \
	"$(e2e_json "$E2E_TMP/list.json" '[m["entries"] for m in j["maps"] if m["name"] == "im_svc"]')" "[15]"
"$MESH" maps node-a dump drops -o json >"$E2E_TMP/drops.json" 2>&1
check_eq "maps dump drops: every reason by name" \
	"$(e2e_json "$E2E_TMP/drops.json" '",".join(r["reason"] for r in j["rows"])')" \
	"malformed,strict_plaintext,policy_deny,policy_no_allow,xdp_denied_source,no_healthy_endpoint,no_socket_record,capture_table_full,l7_plaintext"

# The pins outlive the agent: maps still reads them once it is gone.
check "agent node-a stops on SIGTERM" "$MESH" agent-stop node-a
# shellcheck disable=SC2016 # $1 and $2 are the inner shell's
check "maps dump services works with the agent down" \
	bash -c '"$1" maps node-a dump services -o json | grep -q "\"vip\": \"$2\""' _ "$MESH" "$vip"

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
