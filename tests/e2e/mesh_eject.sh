#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Outlier ejection and locality on the test mesh, with an agent (--mtls)
# on each node and the client api-gateway (node-a, us-east-1/us-east-1a).
# Every call is mTLS: connect4 chooses the endpoint, node-a's agent carries
# the call over HBONE to the endpoint's :15008, and an endpoint whose
# server is stopped answers the CONNECT 503 (its node's agent finds nothing
# listening): node-a's agent charges that to the endpoint in the kernel's
# outlier state, as sockops charges a refused direct connect, and resets
# the caller's connection (the client sees ECONNRESET, not ECONNREFUSED);
#   - an endpoint whose server is stopped fails the calls sent to it
#     until `consecutiveLocalOriginFailures` (2) of them eject it; then
#     traffic goes to the others without a failure, and the endpoint comes
#     back after baseEjectionTime (5 s) to take its share again;
#   - maxEjectionPercent 50 on a pool of two ejects one, never both;
#   - everything ejected: with minHealthPercent 0 a connect() fails at once
#     with ECONNREFUSED at the source (connect4 refuses before capturing:
#     no SYN leaves, not even to the agent; the drop is counted);
#     with minHealthPercent 50 the pool panics and spreads over all;
#   - locality `distribute` 80/20 from us-east-1a; failover to us-west-2
#     once every us-east-1 endpoint is ejected (a second pool: Istio makes
#     distribute and failover exclusive).
# Each scenario has its own small service and pods next to the example
# mesh (made PERMISSIVE, without AuthorizationPolicies, as in mesh_lb.sh;
# PERMISSIVE ports are captured and carried over mTLS like STRICT ones),
# so that ejections of one never leak into another: the kernel keeps the
# outlier state by endpoint address.
#
# Determinism: one client, connections one after the other, ROUND_ROBIN
# where a sequence is asserted, and a failed call is accounted in the
# kernel before the client sees it end (the agent charges the 503, then
# resets the caller): the failure counts and orders below are exact. The 80/20 split is binomial: N = 2000, p = 0.8 gives
# 1600 +- 89 at 5 standard deviations (false failure below 1 in 1.7
# million; 2/3 vs 1/3 or 50/50 still fails).
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

FQ=ai-inference.svc.cluster.local

e2e_need_agent

# The scenario pools: a Service, a DestinationRule and WorkloadEntries each.
pools_config() { # FILE
	"$E2E_PY" - "$1" <<'PY'
import sys, yaml
PODS = {  # name: node, address, locality
    "ej-1": ("node-a", "10.10.1.41", "us-east-1/us-east-1a"),
    "ej-2": ("node-b", "10.10.2.41", "us-east-1/us-east-1b"),
    "ej-3": ("node-b", "10.10.2.42", "us-west-2/us-west-2a"),
    "half-1": ("node-a", "10.10.1.43", "us-east-1/us-east-1a"),
    "half-2": ("node-b", "10.10.2.43", "us-east-1/us-east-1b"),
    "pan-1": ("node-a", "10.10.1.44", "us-east-1/us-east-1a"),
    "pan-2": ("node-b", "10.10.2.44", "us-east-1/us-east-1b"),
    "loc-a": ("node-a", "10.10.1.45", "us-east-1/us-east-1a"),
    "loc-b": ("node-b", "10.10.2.45", "us-east-1/us-east-1b"),
    "loc-w": ("node-b", "10.10.2.46", "us-west-2/us-west-2a"),
    "fo-a": ("node-a", "10.10.1.47", "us-east-1/us-east-1a"),
    "fo-b": ("node-b", "10.10.2.47", "us-east-1/us-east-1b"),
    "fo-w": ("node-b", "10.10.2.48", "us-west-2/us-west-2a"),
}
def od(max_pct, min_health=0, base="5s"):
    return {"splitExternalLocalOriginErrors": True,
            "consecutiveLocalOriginFailures": 2, "interval": "1s",
            "baseEjectionTime": base, "maxEjectionPercent": max_pct,
            "minHealthPercent": min_health}
RR = {"simple": "ROUND_ROBIN", "localityLbSetting": {"enabled": False}}
POOLS = {
    "ej": {"loadBalancer": RR, "outlierDetection": od(100)},
    "half": {"loadBalancer": RR, "outlierDetection": od(50)},
    # a long ejection: the servers restart while both are still ejected
    "pan": {"loadBalancer": RR, "outlierDetection": od(100, 50, "60s")},
    "loc": {"loadBalancer": {"simple": "RANDOM", "localityLbSetting": {
        "enabled": True, "distribute": [{"from": "us-east-1/us-east-1a/*", "to": {
            "us-east-1/us-east-1a/*": 80, "us-east-1/us-east-1b/*": 20}}]}}},
    "fo": {"loadBalancer": {"simple": "RANDOM", "localityLbSetting": {
        "enabled": True, "failover": [{"from": "us-east-1", "to": "us-west-2"}]}},
           "outlierDetection": od(100, 0, "60s")},
}
docs = []
for i, pool in enumerate(POOLS, 1):
    docs.append({"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": pool, "namespace": "ai-inference"},
                 "spec": {"clusterIP": f"10.96.1.{i}", "selector": {"app": pool},
                          "ports": [{"name": "http", "port": 8080}]}})
    docs.append({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
                 "metadata": {"name": pool, "namespace": "ai-inference"},
                 "spec": {"host": pool, "trafficPolicy": POOLS[pool]}})
for name, (node, addr, loc) in PODS.items():
    docs.append({"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry",
                 "metadata": {"name": name, "namespace": "ai-inference", "annotations": {
                     "infermesh.io/node": node,
                     "infermesh.io/cgroup": f"infermesh/ai-inference/{name}"}},
                 "spec": {"address": addr, "labels": {"app": name.split("-")[0]},
                          "locality": loc, "ports": {"http": 8080}}})
yaml.safe_dump_all(docs, open(sys.argv[1], "w"), sort_keys=False)
PY
}

# probe POOL N: N connections from api-gateway to POOL's VIP, one after
# the other; the results (answer or errno name) in order, into $res. The
# client stays on CPU 0: the kernel keeps the round-robin position per CPU
# (as Envoy does per worker), so one CPU sees one exact rotation.
probe() {
	res=$E2E_TMP/probe-$1-$((++probes)).json
	timeout 60 "$MESH" exec api-gateway taskset -c 0 "$E2E_PY" "$CLIENT" probe \
		"${vip[$1]}" 8080 "$2" >"$res"
}
probes=0

# results EXPR: a Python expression over the probe's results (r).
results() {
	"$E2E_PY" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"]; print(eval(sys.argv[2]))' "$res" "$1"
}

# ejected POOL: the names of POOL's ejected endpoints on node-a, sorted;
# all of POOL's endpoints, by name, stay in $E2E_TMP/ep-POOL.json for ep.
ejected() {
	local all=$E2E_TMP/ep-all.json eps=$E2E_TMP/ep-$1.json
	# a dump that failed reads "?": never taken for "none ejected"
	"$MESH" maps node-a dump endpoints -o json >"$all" 2>"$all.err" &&
	"$E2E_PY" - "$all" "$1" >"$eps" <<-'PY' &&
		import json, sys
		j = json.load(open(sys.argv[1]))
		print(json.dumps({r["workload"].split("/")[1]: r for r in j["rows"]
		                  if r["subset_name"].startswith("outbound|8080||" + sys.argv[2] + ".")}))
	PY
	e2e_json "$eps" '",".join(sorted(k for k, v in j.items() if v["ejected"]))' ||
		{ echo "?"; cat "$all.err" >&2; }
}

# ep POOL EXPR: EXPR over POOL's endpoints (j) as the last `ejected` saw them.
ep() {
	e2e_json "$E2E_TMP/ep-$1.json" "$2"
}

mkdir "$E2E_TMP/config"
e2e_copy_mesh "$E2E_TMP/config" permissive || fail "test config"
pools_config "$E2E_TMP/config/50-pools.yaml" || fail "pools config"
check "mesh up: examples/mesh (PERMISSIVE) and the scenario pools" \
	timeout 120 "$MESH" up "$E2E_TMP/config"
check "agent node-a started" "$MESH" agent node-a
check "agent node-b started" "$MESH" agent node-b
declare -A vip
for pool in ej half pan loc fo; do
	vip[$pool]=$(e2e_wait_live node-a "$pool.$FQ:8080") || vip[$pool]=
	check "node-a: $pool has a VIP (${vip[$pool]})" test -n "${vip[$pool]}"
done
[ -n "${vip[fo]}" ] || exit 1	# the logs follow

# ---- one endpoint stopped: ejected, traffic moves, it comes back ----

probe ej 9
check_eq "ej: round robin over the three endpoints ($(results '" ".join(r)'))" \
	"$(results 'all(sorted(r[i:i + 3]) == ["ej-1", "ej-2", "ej-3"] for i in (0, 3, 6))')" True
check "ej: ej-2's server stopped" e2e_server_kill ej-2
charged=$(e2e_proxy node-a '(p["outcomes"]["failure"], p["outcomes"]["ejections"])')
probe ej 60
# ej-2 comes every third connection: refused twice, then ejected;
# nothing fails after that
ej_fails=$(results '[i for i, x in enumerate(r) if x not in ("ej-1", "ej-3")]')
check "ej: ej-2 refused exactly consecutiveLocalOriginFailures (2) times, 3 apart, early ($ej_fails)" \
	"$E2E_PY" -c 'import sys; f = eval(sys.argv[1]); sys.exit(not (len(f) == 2 and f[1] - f[0] == 3 and f[1] < 6))' "$ej_fails"
check_eq "ej: those were calls the agent reset after ej-2's 503 (ECONNRESET)" \
	"$(results '",".join(sorted(set(x for x in r if not x.startswith("ej-"))))')" "ECONNRESET"
check_eq "ej: node-a's agent charged them: 2 failures, 1 ejection (before: $charged)" \
	"$(e2e_proxy node-a '(p["outcomes"]["failure"], p["outcomes"]["ejections"])')" \
	"$("$E2E_PY" -c 'import sys; f, e = eval(sys.argv[1]); print((f + 2, e + 1))' "$charged")"
check_eq "ej: after the ejection, ej-1 and ej-3 take turns with no failure" \
	"$(results '",".join(sorted(set(r['"$ej_fails"'[-1] + 1:])))')" "ej-1,ej-3"
now=$(ejected ej)
t0=$(date +%s%N)
check_eq "ej: maps dump endpoints shows ej-2 ejected, and only it" "$now" "ej-2"
check_eq "ej: ej-2 ejected once, after 2 local-origin failures" \
	"$(ep ej '(j["ej-2"]["ejections"], j["ej-2"]["failures"])')" "(1, 2)"
left=$(ep ej 'j["ej-2"]["ejected_ms_left"]')
check "ej: for at most baseEjectionTime (5 s): $left ms left" test "$left" -gt 0 -a "$left" -le 5000
check "ej: ej-2's server started again" e2e_server_start ej-2
while :; do
	back_ms=$((($(date +%s%N) - t0) / 1000000))
	[ -z "$(ejected ej)" ] || [ "$back_ms" -gt $((left + 3000)) ] && break
	sleep 0.05
done
# not before its time (0.5 s for the dump's own time and the polling),
# and on its own: no agent reload, no success needed
check "ej: ej-2 returns on its own after baseEjectionTime ($back_ms ms after $left ms were left)" \
	test -z "$(ejected ej)" -a "$back_ms" -ge $((left - 500)) -a "$back_ms" -le $((left + 1500))
probe ej 30
check_eq "ej: ej-2 takes its third of the traffic again, no failure" \
	"$(results '(r.count("ej-1"), r.count("ej-2"), r.count("ej-3"))')" "(10, 10, 10)"

# ---- everything ejected, minHealthPercent 0: refused at the source ----

for pod in ej-1 ej-2 ej-3; do
	check "ej: $pod's server stopped" e2e_server_kill "$pod"
done
nh0=$(e2e_drops node-a no_healthy_endpoint)
probe ej 20
check_eq "ej: the first 6 reset by the agent (2 per endpoint), the other 14 refused at connect()" \
	"$(results '",".join(sorted(set(r[:6]))) + "|" + ",".join(sorted(set(r[6:])))')" \
	"ECONNRESET|ECONNREFUSED"
check_eq "ej: all three ejected" "$(ejected ej)" "ej-1,ej-2,ej-3"
check_eq "ej: each ejected after its 2 failures: no SYN left after that" \
	"$(ep ej '[j[k]["failures"] for k in sorted(j)]')" "[2, 4, 2]"
check_eq "ej: the other 14 refused at the source (drops: no_healthy_endpoint +14)" \
	"$(($(e2e_drops node-a no_healthy_endpoint) - nh0))" 14

# ---- everything ejected, minHealthPercent 50: panic over all ----

for pod in pan-1 pan-2; do
	check "pan: $pod's server stopped" e2e_server_kill "$pod"
done
probe pan 4
check_eq "pan: 4 failed calls eject both (maxEjectionPercent 100)" \
	"$(results '",".join(r)')" "ECONNRESET,ECONNRESET,ECONNRESET,ECONNRESET"
check_eq "pan: both ejected (for 60 s)" "$(ejected pan)" "pan-1,pan-2"
for pod in pan-1 pan-2; do
	check "pan: $pod's server started again" e2e_server_start "$pod"
done
nh0=$(e2e_drops node-a no_healthy_endpoint)
probe pan 40
check_eq "pan: still both ejected" "$(ejected pan)" "pan-1,pan-2"
check_eq "pan: in panic, traffic spreads over both ejected endpoints" \
	"$(results '(r.count("pan-1"), r.count("pan-2"), len(r))')" "(20, 20, 40)"
check_eq "pan: nothing refused at the source" \
	"$(($(e2e_drops node-a no_healthy_endpoint) - nh0))" 0

# ---- maxEjectionPercent 50 on a pool of two ----

for pod in half-1 half-2; do
	check "half: $pod's server stopped" e2e_server_kill "$pod"
done
nh0=$(e2e_drops node-a no_healthy_endpoint)
probe half 20
check "half: only one of the two ejected ($(ejected half))" \
	test "$(ejected half)" = half-1 -o "$(ejected half)" = half-2
check_eq "half: the other still gets (and fails) every connection after that" \
	"$(ep half 'sorted((v["failures"], v["ejections"]) for v in j.values())')" \
	"[(2, 1), (18, 0)]"
check_eq "half: so nothing is refused at the source" \
	"$(($(e2e_drops node-a no_healthy_endpoint) - nh0))" 0

# ---- locality: distribute 80/20 from us-east-1a ----

res=$E2E_TMP/loc.json
timeout 120 "$MESH" exec api-gateway "$E2E_PY" "$CLIENT" count "${vip[loc]}" 8080 2000 \
	--deadline 90 >"$res"
echo "       loc: $(cat "$res")"
check_eq "loc: 2000 connections, none failed" \
	"$(e2e_json "$res" '(j["connections"] if j["complete"] else -1, sum(j["errors"].values()))')" "(2000, 0)"
a=$(e2e_json "$res" 'j["answers"].get("loc-a", 0)')
check "loc: us-east-1a gets 80% ($a, want 1511..1689 = 1600 +- 5 sigma)" \
	test "$a" -ge 1511 -a "$a" -le 1689
check_eq "loc: us-east-1b the other 20%, us-west-2 (not in distribute) nothing" \
	"$(e2e_json "$res" '(j["answers"].get("loc-b", 0), j["answers"].get("loc-w", 0))')" \
	"($((2000 - a)), 0)"

# ---- locality: failover to us-west-2 ----

probe fo 20
check_eq "fo: while healthy, all traffic stays in the client's zone" \
	"$(results '",".join(sorted(set(r)))')" "fo-a"
for pod in fo-a fo-b; do
	check "fo: $pod's server stopped" e2e_server_kill "$pod"
done
probe fo 40
check_eq "fo: us-east-1a failed twice, then us-east-1b twice" \
	"$(results '",".join(r[:4])')" "ECONNRESET,ECONNRESET,ECONNRESET,ECONNRESET"
check_eq "fo: then everything fails over to us-west-2, no failure" \
	"$(results '",".join(sorted(set(r[4:])))')" "fo-w"
check_eq "fo: every us-east-1 endpoint ejected" "$(ejected fo)" "fo-a,fo-b"
check_eq "fo: in that order (failures: fo-a 2, fo-b 2)" \
	"$(ep fo '(j["fo-a"]["failures"], j["fo-b"]["failures"], j["fo-w"]["failures"])')" "(2, 2, 0)"

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
