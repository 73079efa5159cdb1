#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Per-object last good versions in the real agent: in one reload the
# vector-retriever DestinationRule becomes invalid (maxEjectionPercent 150,
# with a new baseEjectionTime) while the model-server canary goes 50/50.
# The weights are live in the maps, the DR's old version (baseEjectionTime
# 15s) is still in force, and the log names the object and file:line:col.
# A restarted agent still has that old version (from its state dir);
# removing the DR from the file deletes it and its stored copy.
# The VirtualService and the DRs share one file so that one rename changes
# both in one reload. Bounded: every wait has its own timeout.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

VIP=10.96.0.5	# model-server (examples/mesh/01-services.yaml)
PY=$E2E_PY
ROUTING=06-routing.yaml
LOG=/run/$IMT_PREFIX-mesh/log/agent-node-a.log
STORE=/run/$IMT_PREFIX-mesh/state/node-a/lastgood

e2e_need_agent

rows() { # VIEW EXPR over the rows (r) of `maps dump VIEW` on node-a
	"$MESH" maps node-a dump "$1" -o json >"$E2E_TMP/rows.json" 2>/dev/null || { echo "no-maps"; return; }
	e2e_json "$E2E_TMP/rows.json" "sorted(set(x for x in ($2 for r in j['rows']) if x is not None))"
}
weights() {
	rows services 'str([d["percent"] for d in r["destinations"]]) if r["vip"] == "'"$VIP"'" and r["port"] == 8080 else None'
}
# vector-retriever's baseEjectionTime in the maps, in ms
vr_eject() {
	rows subsets '(r["outlier"] or {}).get("base_ejection_ms", 0) if "vector-retriever" in (r["service"] or "") else None'
}
is() { [ "$("$1")" = "$2" ]; }
lives() { [ "$(grep -c " live: " "$LOG")" -ge "$1" ]; }

stop_agent() {
	"$MESH" agent-stop node-a && wait_for 10 e2e_agent_gone node-a
}

# edit.py IN OUT MODE: the routing file with the canary at 50/50 and the
# vector-retriever DR changed by MODE (bad, good, gone)
edit() {
	"$PY" - "$E2E_TMP/$ROUTING" "$E2E_TMP/new.yaml" "$1" <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
out = []
for d in docs:
    if d["kind"] == "VirtualService":
        for r in d["spec"]["http"]:
            if r.get("name") == "canary":
                for x in r["route"]:
                    x["weight"] = 50
    if d["kind"] == "DestinationRule" and d["metadata"]["name"] == "vector-retriever":
        od = d["spec"]["trafficPolicy"]["outlierDetection"]
        od["baseEjectionTime"] = "45s"
        if sys.argv[3] == "bad":
            od["maxEjectionPercent"] = 150
        if sys.argv[3] == "gone":
            continue
    out.append(d)
yaml.safe_dump_all(out, open(sys.argv[2], "w"), sort_keys=False)
PY
	mv "$E2E_TMP/new.yaml" "$E2E_TMP/config/$ROUTING"	# one rename: one reload
}

mkdir "$E2E_TMP/config"
cp examples/mesh/*.yaml "$E2E_TMP/config/"
{ cat examples/mesh/06-virtualservice.yaml; echo "---"; cat examples/mesh/07-destinationrules.yaml; } \
	>"$E2E_TMP/$ROUTING"
rm "$E2E_TMP/config/06-virtualservice.yaml" "$E2E_TMP/config/07-destinationrules.yaml"
cp "$E2E_TMP/$ROUTING" "$E2E_TMP/config/"
check "mesh up" timeout 120 "$MESH" up "$E2E_TMP/config"
check "agent node-a started" "$MESH" agent node-a
check "good config live: canary 90/10" wait_for 30 is weights "['[90.0, 10.0]']"
check_eq "vector-retriever baseEjectionTime 15s in the maps" "$(vr_eject)" "[15000]"
check "the accepted versions are stored" test -n "$(ls "$STORE" 2>/dev/null)"
stored=$(ls "$STORE" | wc -l)

# ---- one reload: the DR invalid, the VS 50/50 ----
n=$(grep -c " live: " "$LOG")
edit bad
check "the canary weight change is live: 50/50" wait_for 10 is weights "['[50.0, 50.0]']"
check_eq "one new generation for the edit" "$(grep -c " live: " "$LOG")" "$((n + 1))"
check_eq "the bad DR's old version is in force (baseEjectionTime 15s, not 45s)" \
	"$(vr_eject)" "[15000]"
line=$(grep -n "maxEjectionPercent: 150" "$E2E_TMP/config/$ROUTING" | cut -d: -f1)
check "the log names the object, file:line:col, field and the kept version" \
	grep -Eq "rejected: DestinationRule ai-inference/vector-retriever at [^ ]*/$ROUTING:$line:[0-9]+: spec.trafficPolicy.outlierDetection.maxEjectionPercent: .*; keeping the version accepted [0-9TZ:-]+ from [^ ]*/$ROUTING" "$LOG"

# ---- restarted, the agent still has the last good version ----
check "agent node-a stopped" stop_agent
check "it stopped cleanly (SIGTERM), programs left attached" grep -q "stopped: the programs stay attached" "$LOG"
n=$(grep -c " live: " "$LOG")
check "agent node-a restarted" "$MESH" agent node-a
check "restarted agent applied a generation" wait_for 30 lives $((n + 1))
check_eq "after the restart the DR's last good version is in force" "$(vr_eject)" "[15000]"
check_eq "after the restart the canary stays 50/50" "$(weights)" "['[50.0, 50.0]']"
check_eq "the restarted agent logged the kept version" \
	"$(grep -c "rejected: DestinationRule ai-inference/vector-retriever" "$LOG")" 2

# ---- fixed, then deleted ----
edit good
check "the fixed DR applies (baseEjectionTime 45s)" wait_for 10 is vr_eject "[45000]"
edit gone
check "the deleted DR is gone from the maps (no outlier detection)" wait_for 10 is vr_eject "[0]"
check_eq "its stored version was removed" "$(ls "$STORE" | wc -l)" "$((stored - 1))"
check "deletion logged" grep -q "deleted: DestinationRule ai-inference/vector-retriever" "$LOG"
check "agent node-a stopped" stop_agent
