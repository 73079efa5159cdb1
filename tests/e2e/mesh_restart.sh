#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Agent restarts on examples/mesh as it is (STRICT, its AuthorizationPolicies),
# both agents with --mtls: the agent carries every mesh call, so while it is
# down the calls it captures are refused (fail closed, never plaintext), and
# what the kernel does alone (EPERM by policy at connect(), the pinned
# tables) goes on. The traffic is orchestrator -> vector-retriever:8080,
# which vector-retriever-access allows by orchestrator's principal.
#   - `kill -9` of both agents during a wrk run over the tunnels: what wrk
#     sees fail is measured and printed (its connections ran through the
#     agent: they end); while the agents are gone a captured call is refused
#     at once and reranker -> orchestrator:8080 still gets EPERM from the
#     pinned maps; restarted, the agents adopt the pinned state (the same
#     endpoints, the canary's weights) and carry calls again: the time from
#     restart to the first answered call is printed, never judged;
#   - a weight edited during a wrk run: no request fails, both nodes apply
#     the new split (50/50, `maps dump services`);
#   - SIGTERM, as a rolling update sends it: the programs stay, the gap
#     refuses captured calls and still polices, the next agents adopt and
#     carry calls again (time printed);
#   - `infermesh uninstall` leaves no program on the nodes' cgroups
#     (bpftool), no tc filter or XDP program on their links (tc, ip) and no
#     pin.
# Bounded: every step has its own timeout, about 90 s in all on an idle
# 2-core machine.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
export IMT_MTLS=1	# tools/mesh.sh's agents run --mtls

CONNS=8		# wrk's keep-alive connections
VIP=10.96.0.5	# model-server (examples/mesh/01-services.yaml, in file order)
ORCH=10.96.0.2	# orchestrator
VR=10.96.0.3	# vector-retriever
PY=$E2E_PY
LOG=/run/$IMT_PREFIX-mesh/log

e2e_need_agent
e2e_need command -v wrk
e2e_need curl --version

# EXPR over the rows of `maps dump VIEW` on NODE (r), as a list.
rows() { # NODE VIEW EXPR
	"$MESH" maps "$1" dump "$2" -o json >"$E2E_TMP/rows.json" 2>/dev/null || { echo "no-maps"; return; }
	e2e_json "$E2E_TMP/rows.json" "[x for x in ($3 for r in j['rows']) if x is not None]"
}

# The canary's weights on NODE, in percent, as `maps dump services` has them.
weights() { # NODE
	rows "$1" services '[d["percent"] for d in r["destinations"]] if r["vip"] == "'"$VIP"'" and r["port"] == 8080 else None'
}
weights_are() { [ "$(weights "$1")" = "$2" ]; }
vip_live() { [ "$(rows "$1" services 'r["vip"] if r["vip"] == "'"$VIP"'" and r["port"] == 8080 else None')" = "['$VIP']" ]; }

# Streams open on NODE's outbound tunnels (`proxy-config tunnels`).
streams_open() { # NODE
	"$BIN" proxy-config tunnels --state-dir "/run/$IMT_PREFIX-mesh/state/$1" -o json \
		>"$E2E_TMP/tunnels.json" 2>/dev/null || { echo -1; return; }
	e2e_json "$E2E_TMP/tunnels.json" 'sum(t["streams"] for t in j["tunnels"] if t["direction"] == "outbound")'
}
streams_are() { [ "$(streams_open "$1")" = "$2" ]; }

# One call orchestrator -> vector-retriever:8080; curl's exit status.
call() {
	timeout 10 "$MESH" exec orchestrator curl -s --max-time 3 -o /dev/null "http://$VR:8080/"
}
answered() {
	timeout 10 "$MESH" exec orchestrator curl -s --max-time 2 "http://$VR:8080/" |
		grep -q '^vector-retriever-[abc]$'
}

# While no agent runs: curl's connect is refused at once (exit 7): the
# kernel still captures the call to the agent's :15001, where nobody
# listens. Sent in plaintext it would reach STRICT vector-retriever and be
# dropped there by the guard (a timeout, exit 28), not refused.
gap_check() { # LABEL
	call
	check_eq "$1: orchestrator -> vector-retriever:8080 refused at once (captured, no agent; never plaintext)" "$?" 7
	local res=$E2E_TMP/deny.json
	timeout 60 "$MESH" exec reranker "$PY" "$CLIENT" count "$ORCH" 8080 3 --deadline 45 >"$res"
	check_eq "$1: reranker -> orchestrator:8080 refused with EPERM at connect() (pinned maps)" \
		"$(e2e_json "$res" 'j["errors"]')" "{'EPERM': 3}"
}

# Starts both agents; the time from then to the first answered call, printed.
agents_back() { # LABEL
	local t0
	t0=$(date +%s%N)
	check "agent node-a started" "$MESH" agent node-a
	check "agent node-b started" "$MESH" agent node-b
	if wait_for 60 answered; then
		pass "$1: the restarted agents carry orchestrator's calls again"
		echo "       measured: $((($(date +%s%N) - t0) / 1000000)) ms from starting the agents to the first answered call"
	else
		fail "$1: the restarted agents carry orchestrator's calls again"
	fi
}

# wrk from orchestrator to vector-retriever over CONNS keep-alive
# connections for SECONDS.
wrk_start() { # SECONDS OUT
	timeout $(($1 + 20)) "$MESH" exec orchestrator wrk -t1 -c"$CONNS" -d"$1"s --timeout 5s \
		"http://$VR:8080/" >"$2" 2>&1 &
	wrk_pid=$!
}

# wrk's summary: requests made, and every kind of failure it counts
# (socket errors, non-2xx), into $wrk_reqs and $wrk_errs.
wrk_read() { # OUT
	wait "$wrk_pid"
	sed -n 's/^/       /; /requests in\|Socket errors\|Non-2xx/p' "$1"
	wrk_reqs=$(awk '/requests in/ { print $1 }' "$1")
	wrk_errs=$(e2e_wrk_failed "$1")
}


# The agents watch their config directory and the test edits a weight:
# the mesh runs from a copy of examples/mesh, file for file as it is.
mkdir "$E2E_TMP/config"
cp examples/mesh/*.yaml "$E2E_TMP/config/"
check "mesh up (examples/mesh as it is, STRICT)" timeout 120 "$MESH" up "$E2E_TMP/config"
check "agent node-a started" "$MESH" agent node-a
check "agent node-b started" "$MESH" agent node-b
check "node-a: proxy listening in its 5 pods" wait_for 60 e2e_listening node-a
check "node-b: proxy listening in its 5 pods" wait_for 60 e2e_listening node-b
check "node-a: model-server:8080 live at $VIP" wait_for 30 vip_live node-a
check "node-b: model-server:8080 live at $VIP" wait_for 30 vip_live node-b
vip_live node-a && vip_live node-b || exit 1	# the logs follow
check "orchestrator -> vector-retriever:8080 answered over mTLS" wait_for 10 answered
eps_before=$(rows node-a endpoints '(r["endpoint"], r["workload"], r["subset_name"])')

# ---- kill -9 during a wrk run ----
wrk_start 20 "$E2E_TMP/wrk1.out"
check "wrk holds $CONNS streams through node-a's tunnels (proxy-config tunnels)" \
	wait_for 10 streams_are node-a "$CONNS"
for node in node-a node-b; do
	kill -KILL "$(cat "/run/$IMT_PREFIX-mesh/agent-$node.pid")"
done
check "no process left in node-a's agent cgroup (kill -9)" wait_for 5 e2e_agent_gone node-a
check "... nor in node-b's" wait_for 5 e2e_agent_gone node-b
gap_check "agent killed"
check_eq "agent killed: the canary is still 90/10 in node-a's maps" "$(weights node-a)" "[[90.0, 10.0]]"
agents_back "after kill -9"
# shellcheck disable=SC2016 # $1 is the inner shell's
check "the restarted agents adopted the pinned state" wait_for 10 bash -c \
	'grep -q "adopted the pinned state" "$1/agent-node-a.log" && grep -q "adopted the pinned state" "$1/agent-node-b.log"' \
	_ "$LOG"
lives() { [ "$(grep -c " live: " "$LOG/agent-$1.log")" -ge "$2" ]; }
check "node-a: a new generation live after the restart" wait_for 10 lives node-a 2
check_eq "adopted: maps dump endpoints lists the same endpoints" \
	"$(rows node-a endpoints '(r["endpoint"], r["workload"], r["subset_name"])')" "$eps_before"
check_eq "adopted: the canary is 90/10 before the edit" "$(weights node-a)" "[[90.0, 10.0]]"
wrk_read "$E2E_TMP/wrk1.out"
# The agent carries wrk's connections: they end with it, and wrk's
# reconnects are refused until it is back. Measured, not judged.
echo "       measured: kill -9 of the agents under wrk: ${wrk_reqs:-0} requests answered; wrk counted $wrk_errs errors (socket errors above: read = its connections cut, write = reconnects refused while no agent ran)"
check "kill -9 during wrk: wrk made requests (${wrk_reqs:-none})" test "${wrk_reqs:-0}" -gt 0
check "wrk done: no stream left open on node-a" wait_for 10 streams_are node-a 0

# ---- a weight edited during a wrk run ----
wrk_start 12 "$E2E_TMP/wrk2.out"
check "wrk holds $CONNS streams again" wait_for 10 streams_are node-a "$CONNS"
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
wrk_read "$E2E_TMP/wrk2.out"
check "weight edited during wrk: wrk made requests (${wrk_reqs:-none})" test "${wrk_reqs:-0}" -gt 0
check_eq "weight edited during wrk: zero failed requests (socket errors, non-2xx)" "$wrk_errs" 0

# ---- SIGTERM: a rolling update's gap ----
lives_a=$(grep -c " live: " "$LOG/agent-node-a.log")
for node in node-a node-b; do
	check "agent $node stopped (SIGTERM)" "$MESH" agent-stop "$node"
	check "... and gone" wait_for 5 e2e_agent_gone "$node"
	check "$node: its programs stay attached (the agent's last words)" \
		grep -q "stopped: the programs stay attached" "$LOG/agent-$node.log"
done
gap_check "SIGTERM gap"
check_eq "SIGTERM gap: the canary is still 50/50 in node-a's maps" "$(weights node-a)" "[[50.0, 50.0]]"
agents_back "after SIGTERM"
check "node-a: the next agent adopted and applied a generation" wait_for 30 lives node-a $((lives_a + 1))

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
