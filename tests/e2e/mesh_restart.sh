#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent is not in the data path: `kill -9` of both agents during a wrk
# run fails no request on the established connections; while they are
# down, new connections are still balanced (90/10) and policed (EPERM) by
# the pinned maps and an ejection still holds; restarted, the agents adopt
# that state (active connections, ejection and its deadline, the same
# endpoints in `maps dump endpoints`). Then a weight edited during a wrk
# run: no request fails and the new split (50/50) takes effect. Then
# SIGTERM, as a rolling update sends it: the programs stay, the gap is
# balanced and policed, the next agents adopt. Last, `infermesh uninstall`
# leaves no program on the nodes' cgroups (bpftool), no tc filter or XDP
# program on their links (tc, ip) and no pin.
#
# The traffic runs on tools/mesh-overlay.py's PERMISSIVE copy of
# examples/mesh, which keeps the AuthorizationPolicies other than
# model-server's, on the kernel's direct path (agents without --mtls): that
# path is the one that needs no agent. Through the mTLS proxy the agent is
# in the data path: while it is down, captured calls are refused (fail
# closed, never plaintext), as tests/e2e/mesh_mtls.sh shows.
#
# Tolerances: 5 standard deviations of a binomial over N = 500
# connections: 10% canary is 50 +- 34, 50% is 250 +- 56; either rejects
# the other split. Bounded: every step has its own timeout, about 90 s in
# all on an idle 2-core machine.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
export IMT_MTLS=0	# the direct path: see above

N=500
CONNS=8		# wrk's keep-alive connections
VIP=10.96.0.5	# model-server (examples/mesh/01-services.yaml)
ORCH=10.96.0.2	# orchestrator
V1B=10.10.2.14:8080
PY=$E2E_PY

e2e_need_agent
e2e_need command -v wrk

# EXPR over the rows of `maps dump VIEW` on NODE (r), as a list.
rows() { # NODE VIEW EXPR
	"$MESH" maps "$1" dump "$2" -o json >"$E2E_TMP/rows.json" 2>/dev/null || { echo "no-maps"; return; }
	e2e_json "$E2E_TMP/rows.json" "[x for x in ($3 for r in j['rows']) if x is not None]"
}

# Active connections of model-server's :8080 endpoints on NODE.
active() { # NODE
	rows "$1" endpoints 'r["active"] if r["endpoint"].endswith(":8080") and "model-server" in (r["workload"] or "") else None' |
		"$PY" -c 'import sys; print(sum(eval(sys.stdin.read())))' 2>/dev/null || echo -1
}

# The canary's weights on NODE, in percent, as `maps dump services` has them.
weights() { # NODE
	rows "$1" services '[d["percent"] for d in r["destinations"]] if r["vip"] == "'"$VIP"'" and r["port"] == 8080 else None'
}
weights_are() { [ "$(weights "$1")" = "$2" ]; }


# Connections ever made from NODE to model-server's :8080 endpoints: the
# difference over a wrk run tells whether wrk had to reconnect. wrk makes
# one more than -c: it tries the address with a connection of its own
# before it starts (script_resolve).
conns() { # NODE
	rows "$1" endpoints 'r["connections"] if r["endpoint"].endswith(":8080") and "model-server" in (r["workload"] or "") else None' |
		"$PY" -c 'import sys; print(sum(eval(sys.stdin.read())))' 2>/dev/null || echo -1
}

vip_live() { [ "$(rows "$1" services 'r["vip"] if r["vip"] == "'"$VIP"'" and r["port"] == 8080 else None')" = "['$VIP']" ]; }
active_is() { [ "$(active "$1")" = "$2" ]; }

count() { # POD HOST PORT N OUT
	timeout 60 "$MESH" exec "$1" "$PY" "$CLIENT" count "$2" "$3" "$4" --deadline 45 >"$5"
}

# N connections from api-gateway; the canary's share within 5 sigma.
split_check() { # LABEL PERCENT LOW HIGH
	local res=$E2E_TMP/split.json v2
	count api-gateway "$VIP" 8080 "$N" "$res"
	echo "       $(cat "$res")"
	check_eq "$1: $N new connections, none failed" \
		"$(e2e_json "$res" 'j["connections"] if j["complete"] and not j["errors"] else -1')" "$N"
	v2=$(e2e_json "$res" 'j["answers"].get("model-server-v2", 0)')
	check "$1: v2 gets $2% ($v2, want $3..$4)" test "$v2" -ge "$3" -a "$v2" -le "$4"
}

denied_check() { # LABEL
	local res=$E2E_TMP/deny.json
	count reranker "$ORCH" 8080 3 "$res"
	check_eq "$1: reranker -> orchestrator:8080 refused with EPERM at connect()" \
		"$(e2e_json "$res" 'j["errors"]')" "{'EPERM': 3}"
}

# wrk from api-gateway over CONNS keep-alive connections for SECONDS.
wrk_start() { # SECONDS OUT
	timeout $(($1 + 20)) "$MESH" exec api-gateway wrk -t1 -c"$CONNS" -d"$1"s --timeout 5s \
		"http://$VIP:8080/" >"$2" 2>&1 &
	wrk_pid=$!
}

# wrk's summary: requests made, and every kind of failure it counts.
wrk_check() { # LABEL OUT
	local out=$2 reqs errs
	wait "$wrk_pid"
	sed -n 's/^/       /; /requests in\|Socket errors\|Non-2xx/p' "$out"
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	errs=$(e2e_wrk_failed "$out")
	check "$1: wrk made requests (${reqs:-none})" test "${reqs:-0}" -gt 0
	check_eq "$1: zero failed requests (socket errors, non-2xx)" "$errs" 0
}

agents_start() {
	check "agent node-a started" "$MESH" agent node-a
	check "agent node-b started" "$MESH" agent node-b
}

mkdir "$E2E_TMP/config"	# the agents watch it: scratch files go elsewhere
# baseEjectionTime 90s: the ejection must outlast the agents' restart
check "PERMISSIVE copy of examples/mesh" "$PY" tools/mesh-overlay.py examples/mesh "$E2E_TMP/config" \
	--base-ejection 90s
check "mesh up" timeout 120 "$MESH" up "$E2E_TMP/config"
agents_start
check "node-a: model-server:8080 live at $VIP" wait_for 30 vip_live node-a
check "node-b: model-server:8080 live at $VIP" wait_for 30 vip_live node-b
vip_live node-a && vip_live node-b || exit 1	# the logs follow

# An ejection on node-b to adopt: model-server-v1-b (reranker's zone)
# stopped, refused 5 times in a row, ejected for 90 s; its server is back
# at once, so nothing else refuses later.
cg_v1b=$("$MESH" pods | awk '$1 == "model-server-v1-b" { print $6 }')
# shellcheck disable=SC2046 # one pid a word
kill $(cat "$cg_v1b/cgroup.procs")
count reranker "$VIP" 8080 40 "$E2E_TMP/eject.json"
"$MESH" exec model-server-v1-b "$PY" tools/mesh-server.py model-server-v1-b 10.10.2.14 \
	8080,8081,9090 >"$E2E_TMP/v1b.log" 2>&1 </dev/null &
ej_before=$(rows node-b endpoints 'r["ejected_ms_left"] if r["endpoint"] == "'"$V1B"'" and r["ejected"] else None')
check "node-b: model-server-v1-b ejected after refused connects ($ej_before ms left)" \
	test "$ej_before" != "[]" -a "$ej_before" != no-maps
eps_before=$(rows node-a endpoints '(r["endpoint"], r["workload"], r["subset_name"])')

# ---- kill -9 during a wrk run ----
total=$(conns node-a)
wrk_start 25 "$E2E_TMP/wrk1.out"
check "wrk holds $CONNS connections to model-server (maps dump endpoints)" \
	wait_for 10 active_is node-a "$CONNS"
for node in node-a node-b; do
	kill -KILL "$(cat "/run/$IMT_PREFIX-mesh/agent-$node.pid")"
done
# shellcheck disable=SC2016 # $1 is the inner shell's
check "both agents gone (kill -9)" wait_for 5 bash -c \
	'! kill -0 "$(cat "$1/agent-node-a.pid")" 2>/dev/null && ! kill -0 "$(cat "$1/agent-node-b.pid")" 2>/dev/null' \
	_ "/run/$IMT_PREFIX-mesh"
# and nothing else of theirs runs: the pid file names the agent itself
check "no process left in the agents' cgroups" wait_for 5 e2e_agent_gone node-a
check "... nor in node-b's" wait_for 5 e2e_agent_gone node-b
check_eq "agent down: the $CONNS connections still counted active" "$(active node-a)" "$CONNS"
split_check "agent down" 10 16 84
denied_check "agent down"
count reranker "$VIP" 8080 100 "$E2E_TMP/ej-down.json"
check_eq "agent down: ejected model-server-v1-b gets no new connection, none fail" \
	"$(e2e_json "$E2E_TMP/ej-down.json" '(j["answers"].get("model-server-v1-b", 0), j["errors"])')" "(0, {})"

agents_start
# shellcheck disable=SC2016 # $1 is the inner shell's
check "the restarted agents adopted the pinned state" wait_for 10 bash -c \
	'grep -q "adopted the pinned state" "$1/log/agent-node-a.log" && grep -q "adopted the pinned state" "$1/log/agent-node-b.log"' \
	_ "/run/$IMT_PREFIX-mesh"
lives() { [ "$(grep -c " live: " "/run/$IMT_PREFIX-mesh/log/agent-$1.log")" -ge "$2" ]; }
check "node-a: a new generation live after the restart" wait_for 10 lives node-a 2
check_eq "adopted: the $CONNS active connections" "$(active node-a)" "$CONNS"
check_eq "node-a: the canary is 90/10 before the edit" "$(weights node-a)" "[[90.0, 10.0]]"
ej_after=$(rows node-b endpoints 'r["ejected_ms_left"] if r["endpoint"] == "'"$V1B"'" and r["ejected"] else None')
check "adopted: model-server-v1-b still ejected, deadline kept ($ej_before -> $ej_after ms left)" \
	"$PY" -c 'import sys; b, a = eval(sys.argv[1]), eval(sys.argv[2]); sys.exit(not (len(a) == 1 and 0 < a[0] <= b[0]))' \
	"$ej_before" "$ej_after"
check_eq "adopted: model-server-v1-b's ejection count" \
	"$(rows node-b endpoints 'r["ejections"] if r["endpoint"] == "'"$V1B"'" else None')" "[1]"
check_eq "adopted: maps dump endpoints lists the same endpoints" \
	"$(rows node-a endpoints '(r["endpoint"], r["workload"], r["subset_name"])')" "$eps_before"
split_check "agent back" 10 16 84
wrk_check "kill -9 during wrk" "$E2E_TMP/wrk1.out"
check_eq "wrk's $CONNS connections lived through (connections made: wrk's 1 + $CONNS, 2 x $N)" \
	"$(($(conns node-a) - total))" "$((1 + CONNS + 2 * N))"
check_eq "wrk done: no connection left active" "$(wait_for 5 active_is node-a 0; active node-a)" 0

# ---- a weight edited during a wrk run ----
total=$(conns node-a)
wrk_start 12 "$E2E_TMP/wrk2.out"
check "wrk holds $CONNS connections again" wait_for 10 active_is node-a "$CONNS"
vs=06-virtualservice.yaml
"$PY" - "$E2E_TMP/config/$vs" "$E2E_TMP/$vs" <<'PY'
import sys, yaml
vs = yaml.safe_load(open(sys.argv[1]))
for r in vs["spec"]["http"]:
    if r.get("name") == "canary":
        for d in r["route"]:
            d["weight"] = 50
yaml.safe_dump(vs, open(sys.argv[2], "w"), sort_keys=False)
PY
mv "$E2E_TMP/$vs" "$E2E_TMP/config/$vs"	# one rename: the agents see a whole file
check "node-a applied the 50/50 canary" wait_for 10 weights_are node-a "[[50.0, 50.0]]"
check "node-b applied the 50/50 canary" wait_for 10 weights_are node-b "[[50.0, 50.0]]"
split_check "after the edit" 50 194 306
wrk_check "weight edited during wrk" "$E2E_TMP/wrk2.out"
check_eq "wrk's $CONNS connections lived through the switch (connections made: wrk's 1 + $CONNS, $N)" \
	"$(($(conns node-a) - total))" "$((1 + CONNS + N))"

# ---- SIGTERM: a rolling update's gap ----
lives_a=$(grep -c " live: " "/run/$IMT_PREFIX-mesh/log/agent-node-a.log")
for node in node-a node-b; do
	check "agent $node stopped (SIGTERM)" "$MESH" agent-stop "$node"
	check "... and gone" wait_for 5 e2e_agent_gone "$node"
	check "$node: its programs stay attached (the agent's last words)" \
		grep -q "stopped: the programs stay attached" "/run/$IMT_PREFIX-mesh/log/agent-$node.log"
done
split_check "SIGTERM gap" 50 194 306
denied_check "SIGTERM gap"
agents_start
check "node-a: the next agent adopted and applied a generation" wait_for 30 lives node-a $((lives_a + 1))
split_check "after SIGTERM" 50 194 306

# ---- uninstall: nothing of infermesh stays on the nodes ----
eval "$("$MESH" env)"
# Everything infermesh can have put on NODE: programs on its cgroup
# (bpftool), filters and XDP programs on its links (tc, ip), pins.
leftovers() { # NODE
	local ns=$IMT_PREFIX-$1 dev
	bpftool -j cgroup show "$IMT_CGROOT/$1" 2>/dev/null | grep -o '"id":[0-9]*'
	for dev in $(ip -n "$ns" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		tc -n "$ns" filter show dev "$dev" ingress
		tc -n "$ns" filter show dev "$dev" egress
		ip -n "$ns" -d link show dev "$dev" | grep -o 'prog/xdp id [0-9]*'
	done
	[ -e "$IMT_BPFFS/$1" ] && echo "pin root $IMT_BPFFS/$1"
	return 0
}
check "node-a has guards and programs before uninstall" test -n "$(leftovers node-a)"
check "uninstall refused while the agent runs" bash -c '! "$@"' _ \
	"$MESH" node node-a "$BIN" uninstall --node node-a --pin-root "$IMT_BPFFS/node-a" \
	--state-dir "$IMT_STATE/state/node-a"
for node in node-a node-b; do
	check "agent $node stopped" "$MESH" agent-stop "$node"
	check "uninstall on $node" "$MESH" node "$node" "$BIN" uninstall --node "$node" \
		--pin-root "$IMT_BPFFS/$node" --state-dir "$IMT_STATE/state/$node"
	check_eq "$node: no program, filter, XDP program or pin left" "$(leftovers "$node")" ""
done

check "mesh down" timeout 60 "$MESH" down
check "nothing left after down" mesh_gone
