#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# localityLbSetting.failoverPriority on the test mesh, seen from the client
# api-gateway (node-a, us-east-1/us-east-1a). The pool "fp" has
# failoverPriority [monitoring, tier=gold]: every workload of node-a has
# monitoring: prometheus, so node-a's agent compiles the whole list:
#   fp-0  prometheus, gold    us-west-2   P0 (both match)
#   fp-1  prometheus, silver  us-west-2   P1 (the first only)
#   fp-2  no monitoring, gold us-east-1a  P2 (none: a prefix, in order)
# By locality alone fp-2, in the client's own zone, would come first.
# While fp-0 serves it takes everything; once it is ejected, traffic moves
# to fp-1 and never to fp-2; once fp-1 is ejected too, to fp-2.
#
# Every call is mTLS (agents with --mtls on both nodes: a node without one
# refuses mesh calls): a stopped server's endpoint answers the CONNECT 503,
# which node-a's agent charges to it in the kernel's outlier state and
# ends with a reset (ECONNRESET at the client).
#
# Determinism: one client, connections one after the other, one endpoint
# per priority, and a failed call is accounted in the kernel before the
# client sees it end: the counts below are exact.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

FQ=ai-inference.svc.cluster.local

e2e_need_agent

# The pool: a Service, a DestinationRule and its WorkloadEntries, all on
# node-b (a workload on node-a would be one more client of node-a).
pool_config() { # FILE
	"$E2E_PY" - "$1" <<'PY'
import sys, yaml
PODS = {  # name: address, locality, labels
    "fp-0": ("10.10.2.51", "us-west-2/us-west-2a",
             {"monitoring": "prometheus", "tier": "gold"}),
    "fp-1": ("10.10.2.52", "us-west-2/us-west-2a",
             {"monitoring": "prometheus", "tier": "silver"}),
    "fp-2": ("10.10.2.53", "us-east-1/us-east-1a", {"tier": "gold"}),
}
od = {"splitExternalLocalOriginErrors": True,
      "consecutiveLocalOriginFailures": 2, "interval": "1s",
      "baseEjectionTime": "60s", "maxEjectionPercent": 100,
      "minHealthPercent": 0}
docs = [{"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "fp", "namespace": "ai-inference"},
         "spec": {"clusterIP": "10.96.1.1", "selector": {"app": "fp"},
                  "ports": [{"name": "http", "port": 8080}]}},
        {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
         "metadata": {"name": "fp", "namespace": "ai-inference"},
         "spec": {"host": "fp", "trafficPolicy": {
             "loadBalancer": {"simple": "ROUND_ROBIN", "localityLbSetting": {
                 "enabled": True,
                 "failoverPriority": ["monitoring", "tier=gold"]}},
             "outlierDetection": od}}}]
for name, (addr, loc, labels) in PODS.items():
    docs.append({"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry",
                 "metadata": {"name": name, "namespace": "ai-inference", "annotations": {
                     "infermesh.io/node": "node-b",
                     "infermesh.io/cgroup": f"infermesh/ai-inference/{name}"}},
                 "spec": {"address": addr, "labels": dict(app="fp", **labels),
                          "locality": loc, "ports": {"http": 8080}}})
yaml.safe_dump_all(docs, open(sys.argv[1], "w"), sort_keys=False)
PY
}

# probe N: N connections from api-gateway to the pool, one after the
# other; the results (answer or errno name) in order, into $res.
probe() {
	res=$E2E_TMP/probe-$((++probes)).json
	timeout 60 "$MESH" exec api-gateway taskset -c 0 "$E2E_PY" "$CLIENT" probe \
		"$vip" 8080 "$1" >"$res"
}
probes=0

# results EXPR: a Python expression over the probe's results (r).
results() {
	"$E2E_PY" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"]; print(eval(sys.argv[2]))' "$res" "$1"
}

# ejected: the names of the pool's ejected endpoints on node-a, sorted
# ("?" when the dump failed: never taken for "none ejected").
ejected() {
	local all=$E2E_TMP/ep-all.json eps=$E2E_TMP/ep-fp.json
	"$MESH" maps node-a dump endpoints -o json >"$all" 2>"$all.err" &&
	"$E2E_PY" - "$all" >"$eps" <<-'PY' &&
		import json, sys
		j = json.load(open(sys.argv[1]))
		print(json.dumps({r["workload"].split("/")[1]: r for r in j["rows"]
		                  if r["subset_name"].startswith("outbound|8080||fp.")}))
	PY
	e2e_json "$eps" '",".join(sorted(k for k, v in j.items() if v["ejected"]))' ||
		{ echo "?"; cat "$all.err" >&2; }
}

mkdir "$E2E_TMP/config"
e2e_copy_mesh "$E2E_TMP/config" permissive || fail "test config"
pool_config "$E2E_TMP/config/50-pool.yaml" || fail "pool config"
check "mesh up: examples/mesh (PERMISSIVE) and the fp pool" \
	timeout 120 "$MESH" up "$E2E_TMP/config"
check "agent node-a started" "$MESH" agent node-a
check "agent node-b started" "$MESH" agent node-b
vip=$(e2e_wait_live node-a "fp.$FQ:8080") || vip=
check "node-a: fp has a VIP ($vip)" test -n "$vip"
[ -n "$vip" ] || exit 1	# the logs follow

probe 20
check_eq "fp: while fp-0 (P0) serves, it takes every connection" \
	"$(results '",".join(sorted(set(r)))')" "fp-0"
check "fp: fp-0's server stopped" e2e_server_kill fp-0
probe 30
check_eq "fp: fp-0 failed twice (consecutiveLocalOriginFailures 2)" \
	"$(results '",".join(r[:2])')" "ECONNRESET,ECONNRESET"
check_eq "fp: then all to fp-1 (P1: monitoring matches), none to fp-2" \
	"$(results '",".join(sorted(set(r[2:])))')" "fp-1"
check_eq "fp: fp-0 ejected, and only it" "$(ejected)" "fp-0"
check "fp: fp-1's server stopped" e2e_server_kill fp-1
probe 20
check_eq "fp: fp-1 failed twice, then all to fp-2 (P2)" \
	"$(results '",".join(r[:2]) + "|" + ",".join(sorted(set(r[2:])))')" \
	"ECONNRESET,ECONNRESET|fp-2"
check_eq "fp: fp-0 and fp-1 ejected" "$(ejected)" "fp-0,fp-1"

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
