#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# LEAST_REQUEST favours the idle endpoint under skewed load, on the test
# mesh with an agent on each node. Four services of two endpoints each,
# laid out alike (endpoint -1 on the client's node, -2 on the other, one
# locality), differing only in their DestinationRule:
#   lr  simple: LEAST_REQUEST
#   df  no DestinationRule: Istio's default, LEAST_REQUEST too
#   rr  simple: ROUND_ROBIN, a control
#   rd  simple: RANDOM, the other control
# For each, the client pod holds K long-lived connections through the
# service's VIP, keeping only those the kernel gave to endpoint -1 (the
# others close at once): -1 is busy, -2 idle, and `maps dump endpoints`
# shows the kernel's active counts as K and 0. Then N new connections,
# one after the other, through the same VIP; then the K close and both
# counts return to 0.
# Every call is mTLS (agents with --mtls): connect4 chooses the endpoint,
# the caller's socket goes to node-a's agent, which carries it over HBONE;
# the kernel counts the caller's socket active for its life, so the counts
# are the same as on the direct path (the test checks the calls went
# through the agent).
#
# Bounds. LEAST_REQUEST draws two hosts at random (with replacement, as
# Envoy's power of two choices does) and keeps the one with fewer active
# connections: with -1 busier than -2 only the draw busy-busy goes to -1,
# so -2 gets p = 3/4. With N = 1000, that is 750 +- 13.7 (one standard
# deviation of the binomial): the test wants at least 682 (5 sigma under;
# a false failure below 1 in 3 million). RANDOM (p = 1/2, 500 +- 15.8)
# would need 11 sigma to get there, ROUND_ROBIN (500 exactly) never. The
# control wants 421..579 for -2 (500 +- 5 sigma of the binomial, which
# RANDOM meets as well and ROUND_ROBIN more tightly), where LEAST_REQUEST
# would land 12 sigma away.
# No timing decides a check: only counts.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

N=1000
K=20
LR_MIN=682		# 3/4 N - 5 sigma
CTL_MIN=421 CTL_MAX=579	# 1/2 N +- 5 sigma
NS=lbtest
FQ=$NS.svc.cluster.local

e2e_need_agent

# The four services, their endpoints and the client: a config of its own
# (nine pods start faster than the example mesh's).
pools_config() { # FILE
	"$E2E_PY" - "$1" <<'PY'
import sys, yaml
LOC = "us-east-1/us-east-1a"
POOLS = {  # name: clusterIP, DestinationRule loadBalancer (None: no rule)
    "lr": ("10.96.2.1", {"simple": "LEAST_REQUEST"}),
    "df": ("10.96.2.2", None),
    "rr": ("10.96.2.3", {"simple": "ROUND_ROBIN"}),
    "rd": ("10.96.2.4", {"simple": "RANDOM"}),
}
PODS = {"lb-client": ("node-a", "10.10.1.60")}
for i, pool in enumerate(POOLS):
    PODS[f"{pool}-1"] = ("node-a", f"10.10.1.{61 + i}")
    PODS[f"{pool}-2"] = ("node-b", f"10.10.2.{61 + i}")
docs = []
for pool, (vip, lb) in POOLS.items():
    docs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": pool, "namespace": "lbtest"},
                 "spec": {"clusterIP": vip, "selector": {"app": pool},
                          "ports": [{"name": "http", "port": 8080}]}})
    if lb:
        docs.append({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
                     "metadata": {"name": pool, "namespace": "lbtest"},
                     "spec": {"host": pool, "trafficPolicy": {"loadBalancer": lb}}})
for name, (node, addr) in PODS.items():
    docs.append({"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry",
                 "metadata": {"name": name, "namespace": "lbtest", "annotations": {
                     "infermesh.io/node": node,
                     "infermesh.io/cgroup": f"infermesh/lbtest/{name}"}},
                 "spec": {"address": addr, "labels": {"app": name.split("-")[0]},
                          "locality": LOC, "ports": {"http": 8080}}})
yaml.safe_dump_all(docs, open(sys.argv[1], "w"), sort_keys=False)
PY
}

# addr POD: its endpoint, IP:8080.
addr() {
	echo "$("$MESH" pods | awk -v p="$1" '$1 == p { print $3 }'):8080"
}

# skewed POOL LO HI WHAT: K connections held on POOL-1, N new ones counted,
# POOL-2's share checked against LO..HI; the kernel's counts all along.
skewed() {
	local pool=$1 lo=$2 hi=$3 what=$4 busy idle pid res held n2 carried
	busy=$(addr "$pool-1") idle=$(addr "$pool-2")
	res=$E2E_TMP/count-$pool.json held=$E2E_TMP/hold-$pool.out
	: >"$held"
	timeout 60 "$MESH" exec lb-client "$E2E_PY" "$CLIENT" hold "${vip[$pool]}" 8080 "$K" \
		--only "$pool-1" --pidfile "$E2E_TMP/hold-$pool.pid" --max-seconds 45 \
		>"$held" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q "^held" "$held" && break
		sleep 0.1
	done
	echo "       $pool: $(cat "$held")"
	check "$pool: $K connections through the VIP held on $pool-1" \
		grep -q "^held $K of $pool-1 after" "$held"
	check_eq "$pool: the kernel counts them on $pool-1 ($busy active)" \
		"$(e2e_wait_ep_active node-a "$busy" "$K")" "$K"
	check_eq "$pool: and none on $pool-2 ($idle active)" \
		"$(e2e_wait_ep_active node-a "$idle" 0)" 0

	carried=$(e2e_proxy node-a 'p["out_streams"]')
	timeout 120 "$MESH" exec lb-client "$E2E_PY" "$CLIENT" count "${vip[$pool]}" 8080 "$N" \
		--deadline 90 >"$res"
	echo "       $pool: $(cat "$res")"
	check_eq "$pool: $N new connections, none failed" \
		"$(e2e_json "$res" '(j["connections"] if j["complete"] else -1, sum(j["errors"].values()))')" \
		"($N, 0)"
	check_eq "$pool: each carried over mTLS by node-a's agent (streams answered 200)" \
		"$(e2e_delta "$carried" "$(e2e_proxy node-a 'p["out_streams"]')")" "$N"
	check_eq "$pool: only $pool-1 and $pool-2 answer" \
		"$(e2e_json "$res" 'sorted(j["answers"])')" "['$pool-1', '$pool-2']"
	n2=$(e2e_json "$res" 'j["answers"].get("'"$pool-2"'", 0)')
	check "$pool: $what: idle $pool-2 gets $n2 of $N, want $lo..$hi" \
		test "$n2" -ge "$lo" -a "$n2" -le "$hi"
	check_eq "$pool: the skew outlives the count: $K still active on $pool-1" \
		"$(e2e_ep_active node-a "$busy")" "$K"
	check_eq "$pool: the counted connections closed: 0 active on $pool-2" \
		"$(e2e_wait_ep_active node-a "$idle" 0)" 0

	[ -s "$E2E_TMP/hold-$pool.pid" ] && kill -TERM "$(cat "$E2E_TMP/hold-$pool.pid")" 2>/dev/null
	wait "$pid"
	check_eq "$pool: closing the held ones returns $pool-1 to 0 active" \
		"$(e2e_wait_ep_active node-a "$busy" 0)" 0
}

mkdir "$E2E_TMP/config"
pools_config "$E2E_TMP/config/lb.yaml" || fail "test config"
check "mesh up: four two-endpoint services and a client" \
	timeout 120 "$MESH" up "$E2E_TMP/config"
check "agent node-a started" "$MESH" agent node-a
check "agent node-b started" "$MESH" agent node-b
declare -A vip
for pool in lr df rr rd; do
	vip[$pool]=$(e2e_wait_live node-a "$pool.$FQ:8080") || vip[$pool]=
	check "node-a: $pool has a VIP (${vip[$pool]})" test -n "${vip[$pool]}"
done
[ -n "${vip[rd]}" ] || exit 1	# the logs follow

"$MESH" maps node-a dump subsets -o json >"$E2E_TMP/subsets.json" 2>&1
check_eq "the kernel's policies: lr and df LEAST_REQUEST, rr ROUND_ROBIN, rd RANDOM" \
	"$(e2e_json "$E2E_TMP/subsets.json" '[str(next((r.get("lb") for r in j["rows"] if "|" + p + "." in str(r.get("name"))), None)).upper() for p in ("lr", "df", "rr", "rd")]')" \
	"['LEAST_REQUEST', 'LEAST_REQUEST', 'ROUND_ROBIN', 'RANDOM']"

skewed lr "$LR_MIN" "$N" "LEAST_REQUEST favours the idle endpoint"
skewed df "$LR_MIN" "$N" "Istio's default (no DestinationRule) is LEAST_REQUEST"
skewed rr "$CTL_MIN" "$CTL_MAX" "control: ROUND_ROBIN ignores the skew"
skewed rd "$CTL_MIN" "$CTL_MAX" "control: RANDOM ignores the skew"

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone

