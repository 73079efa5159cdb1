#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Mutual TLS under load (issue 8), examples/mesh as it is (STRICT), both
# agents --mtls with 6 s SVIDs (renewed every 3 s), node-b's agent the
# ASan+UBSan build (.output/infermesh-san) for the whole suite; traffic
# orchestrator (node-a) -> vector-retriever-b:8080 (node-b), allowed at L4:
#   1. rotation during load: a keep-alive wrk (15 s) and, at the same time,
#      new connections one after another (mesh-client.py count, each one
#      GET with `Connection: close`; wrk would count each server close as
#      a read error) fail no request, while `proxy-config secrets` shows both
#      workloads' serials change at least twice; afterwards a new tunnel
#      (openssl s_client on :15008) is shown the new certificate;
#   2. 10,000 concurrent connections (tools/bench/hold_conns.py, against
#      an epoll echo server in vector-retriever-b's pod), each proven by a
#      byte echoed through the tunnels, all held at once, then closed: both
#      agents' descriptors not held by tunnels (idle tunnels stay pooled,
#      as ztunnel's do) return to their baseline; RSS per connection
#      printed; the agents took their whole open-file limit;
#   3. kill -9 of node-a's agent during a wrk run: the failed requests are
#      printed (the callers' connections to the agent die with it; new ones
#      are refused until it is back), nothing crosses the node link but
#      TLS to :15008 and node-b's guard drops no plaintext; the restarted
#      agent carries new connections (time printed, not judged);
#   and node-b's ASan agent stops on SIGTERM with exit 0 and no report.
# Bounded: every wait and run has its limit; about 2-3 minutes here.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
export IMT_MTLS=1

SAN=$OUT/infermesh-san
HOLD=tools/bench/hold_conns.py
ORCH=10.10.1.11			# orchestrator, node-a
VR_B=10.10.2.12			# vector-retriever-b, node-b
ID=spiffe://cluster.local/ns/ai-inference/sa
TTL=6				# s: renewed at half-life, every 3 s
RUN=15				# s of wrk: covers 4-5 renewals
N=10000				# connections held at once

e2e_need_agent
e2e_need "$SAN" agent --help
e2e_need command -v wrk
e2e_need openssl version
e2e_need curl --version

check "mesh up (examples/mesh, STRICT)" timeout 120 "$MESH" up
eval "$("$MESH" env)"
LOG=$IMT_STATE/log

# node-b's agent under ASan: a report lands in $E2E_TMP/asan.PID
san_agent() { # NODE FLAGS...
	ASAN_OPTIONS="log_path=$E2E_TMP/asan:detect_leaks=1" \
	UBSAN_OPTIONS="log_path=$E2E_TMP/asan:print_stacktrace=1" \
	IMT_AGENT_BIN=$SAN "$MESH" agent "$@"
}
check "node-a agent --svid-ttl ${TTL}s" "$MESH" agent node-a --svid-ttl "${TTL}s"
check "node-b agent (ASan) --svid-ttl ${TTL}s" san_agent node-b --svid-ttl "${TTL}s"
check "node-a: proxy listening in its 5 pods" wait_for 60 e2e_listening node-a
check "node-b (ASan): proxy listening in its 5 pods" wait_for 90 e2e_listening node-b
agent_pid() { cat "$IMT_STATE/agent-$1.pid"; }

# ---- helpers ----

view() { # NODE WHAT: `proxy-config WHAT` of NODE's agent as JSON in $E2E_TMP/NODE.json
	"$BIN" proxy-config "$2" --state-dir "$IMT_STATE/state/$1" -o json >"$E2E_TMP/$1.json" 2>/dev/null
}
serial() { # NODE SA: the serial of that identity's SVID now
	view "$1" secrets &&
		e2e_json "$E2E_TMP/$1.json" "' '.join(s['serial'] for s in j['secrets'] if s['identity'] == '$ID/$2')"
}
call() { # one call from orchestrator; prints the HTTP status
	timeout 10 "$MESH" exec orchestrator curl -s -m "${1:-5}" -o /dev/null -w '%{http_code}' "http://$VR_B:8080/"
}
wrk_run() { # SECONDS OUT [WRK ARGS...]: wrk from orchestrator in the background
	local s=$1 out=$2
	shift 2
	timeout $((s + 20)) "$MESH" exec orchestrator wrk -t1 -d"${s}s" --timeout 5s "$@" \
		"http://$VR_B:8080/" >"$out" 2>&1 &
}
wrk_made() { awk '/requests in/ { print $1 }' "$1"; }
wrk_show() { sed -n 's/^/       /; /requests in\|Socket errors\|Non-2xx/p' "$1"; }

# ---- 1. rotation during load ----

check_eq "a first call makes both SVIDs" "$(call)" 200
ser_a0=$(serial node-a orchestrator)
ser_b0=$(serial node-b vector-retriever)
check "both SVIDs issued (orchestrator $ser_a0, vector-retriever $ser_b0)" test -n "$ser_a0" -a -n "$ser_b0"
wrk_run "$RUN" "$E2E_TMP/wrk-ka.out" -c4
ka_pid=$!
# new connections in batches of 50 while wrk runs (bounded)
close_load() {
	for _ in $(seq 100); do
		kill -0 "$ka_pid" 2>/dev/null || break
		timeout 60 "$MESH" exec orchestrator "$E2E_PY" "$CLIENT" count "$VR_B" 8080 50 \
			--deadline 30 >>"$E2E_TMP/close.jsonl"
	done
}
close_load &
close_pid=$!
# the serials seen while both run, read every quarter second (bounded)
: >"$E2E_TMP/ser-a"
: >"$E2E_TMP/ser-b"
for _ in $(seq $(((RUN + 20) * 4))); do
	kill -0 "$ka_pid" 2>/dev/null || kill -0 "$close_pid" 2>/dev/null || break
	serial node-a orchestrator >>"$E2E_TMP/ser-a"
	serial node-b vector-retriever >>"$E2E_TMP/ser-b"
	sleep 0.25
done
wait "$ka_pid" "$close_pid"
changes() { # FILE FIRST: serials other than FIRST seen
	grep -v "^$2\$" "$1" | grep . | sort -u | wc -l
}
wrk_show "$E2E_TMP/wrk-ka.out"
check "wrk made requests ($(wrk_made "$E2E_TMP/wrk-ka.out"))" test "$(wrk_made "$E2E_TMP/wrk-ka.out")" -gt 0
check_eq "wrk: zero failed requests (socket errors, non-2xx) across rotations" \
	"$(e2e_wrk_failed "$E2E_TMP/wrk-ka.out")" 0
# answered, failed and incomplete batches of the new connections
read -r answered failed short <<<"$("$E2E_PY" -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sum(sum(x["answers"].values()) for x in r), sum(sum(x["errors"].values()) for x in r),
      sum(not x["complete"] for x in r))' "$E2E_TMP/close.jsonl")"
echo "       new connections: $answered answered, $failed failed"
check "new connections made during the run ($answered)" test "${answered:-0}" -gt 0
check_eq "new connections: none failed, every batch complete" "${failed:-x} ${short:-x}" "0 0"
check "orchestrator's SVID renewed at least twice during the run ($(changes "$E2E_TMP/ser-a" "$ser_a0") new serials)" \
	test "$(changes "$E2E_TMP/ser-a" "$ser_a0")" -ge 2
check "vector-retriever's SVID renewed at least twice during the run ($(changes "$E2E_TMP/ser-b" "$ser_b0") new serials)" \
	test "$(changes "$E2E_TMP/ser-b" "$ser_b0")" -ge 2

# A new tunnel: s_client (no client certificate: refused after the
# server's certificate, which is all it reads) is shown the SVID in force,
# read just before and after (a renewal may fall in between).
before=$(serial node-b vector-retriever)
timeout 20 "$MESH" exec orchestrator openssl s_client -connect "$VR_B:15008" -alpn h2 \
	-tls1_3 -showcerts </dev/null >"$E2E_TMP/sclient.txt" 2>&1
after=$(serial node-b vector-retriever)
sed -n '/BEGIN CERT/,/END CERT/{p;/END CERT/q}' "$E2E_TMP/sclient.txt" >"$E2E_TMP/leaf.pem"
wire=$(openssl x509 -in "$E2E_TMP/leaf.pem" -noout -serial 2>/dev/null | cut -d= -f2)
check "a new tunnel is shown the renewed certificate ($wire; in force $before / $after; first $ser_b0)" \
	test -n "$wire" -a "$wire" != "$ser_b0" -a \( "$wire" = "$before" -o "$wire" = "$after" \)

# ---- 2. 10,000 concurrent connections ----

fds() { ls "/proc/$1/fd" | wc -l; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
tunnels() { # NODE: open tunnels (each one descriptor)
	view "$1" tunnels && e2e_json "$E2E_TMP/$1.json" "len(j['tunnels'])"
}
untunnelled() { # NODE: the agent's descriptors other than its tunnels'
	local t
	t=$(tunnels "$1") || return 1
	echo $(($(fds "$(agent_pid "$1")") - t))
}
back_to() { [ "$(untunnelled "$1")" -le "$2" ]; }
soft_eq_hard() { # PID: its open-files limit is the hard one
	awk '/^Max open files/ { exit !($4 == $5) }' "/proc/$1/limits"
}

check "node-a's agent took its whole open-file limit" soft_eq_hard "$(agent_pid node-a)"
check "node-b's agent took its whole open-file limit" soft_eq_hard "$(agent_pid node-b)"
check "node-b's agent says its limit" grep -q "mTLS: open files limit" "$LOG/agent-node-b.log"

# the app's server is threaded Python: an epoll echo server instead
check "vector-retriever-b's server stopped" e2e_server_kill vector-retriever-b
"$MESH" exec vector-retriever-b "$E2E_PY" "$HOLD" echo "$VR_B" 8080 >"$E2E_TMP/echo.log" 2>&1 </dev/null &
check "echo server on vector-retriever-b:8080" wait_for 10 grep -q "serving on" "$E2E_TMP/echo.log"
base_a=$(untunnelled node-a)
base_b=$(untunnelled node-b)
rss_a=$(rss_kb "$(agent_pid node-a)")
rss_b=$(rss_kb "$(agent_pid node-b)")
mkfifo "$E2E_TMP/hold.in"
timeout 200 "$MESH" exec orchestrator "$E2E_PY" "$HOLD" hold "$VR_B" 8080 "$N" --deadline 120 \
	<"$E2E_TMP/hold.in" >"$E2E_TMP/hold.out" 2>&1 &
hold_pid=$!
exec 3>"$E2E_TMP/hold.in"	# the holder's stdin: a line closes them all
check "the client reports (120 s at most)" wait_for 130 grep -q held "$E2E_TMP/hold.out"
echo "       $(head -1 "$E2E_TMP/hold.out")"
check_eq "$N connections held at once, each proven by a byte echoed through the tunnels" \
	"$(e2e_json <(head -1 "$E2E_TMP/hold.out") '(j["held"], j["errors"])' 2>/dev/null)" "($N, {})"
for node in node-a node-b; do
	pid=$(agent_pid "$node")
	echo "       $node held: $(fds "$pid") fds, $(tunnels "$node") tunnels, RSS $(rss_kb "$pid") KiB"
done
echo "       RSS per connection: node-a $((($(rss_kb "$(agent_pid node-a)") - rss_a) * 1024 / N)) B," \
	"node-b (ASan) $((($(rss_kb "$(agent_pid node-b)") - rss_b) * 1024 / N)) B"
echo >&3
exec 3>&-
check "the client closed them" wait_for 30 grep -q "^closed $N" "$E2E_TMP/hold.out"
wait "$hold_pid"
check "node-a: descriptors back to baseline ($base_a besides tunnels)" wait_for 30 back_to node-a "$base_a"
check "node-b: descriptors back to baseline ($base_b besides tunnels)" wait_for 30 back_to node-b "$base_b"
echo "       after: node-a $(untunnelled node-a), node-b $(untunnelled node-b) besides $(tunnels node-a)/$(tunnels node-b) idle tunnels"

# Out of descriptors: node-a's agent held (prlimit, the soft limit: raising
# a hard one back needs CAP_SYS_RESOURCE) to 40 more than it has; 200 calls: those past the limit are reset at once and counted as
# fd_limit, none left waiting; with its limit back it carries calls again.
apid=$(agent_pid node-a)
limits=$(awk '/^Max open files/ { print $4 ":" $5 }' "/proc/$apid/limits")
lim=$(($(fds "$apid") + 40))
check "node-a's agent held to $lim open files" prlimit --pid "$apid" --nofile="$lim:${limits#*:}"
timeout 60 "$MESH" exec orchestrator "$E2E_PY" "$HOLD" hold "$VR_B" 8080 200 --deadline 30 \
	</dev/null >"$E2E_TMP/short.out" 2>&1
echo "       $(head -1 "$E2E_TMP/short.out")"
check "past the limit calls are refused, none waits: held + failed = 200, some of each, no deadline" \
	e2e_json <(head -1 "$E2E_TMP/short.out") \
	'(0 < j["held"] < 200 and j["held"] + j["failed"] == 200 and "deadline" not in j["errors"]) or sys.exit(1)'
check "node-a's limit back ($limits)" prlimit --pid "$apid" --nofile="$limits"
view node-a refusals
fd_limit=$(e2e_json "$E2E_TMP/node-a.json" "sum(r['count'] for r in j['refusals'] if (r['source'], r['reason']) == ('proxy', 'fd_limit'))")
check "node-a counted them as fd_limit ($fd_limit)" test "${fd_limit:-0}" -ge 1
check "node-a carries calls again (10 echoed)" timeout 60 "$MESH" exec orchestrator \
	"$E2E_PY" "$HOLD" hold "$VR_B" 8080 10 --deadline 30 </dev/null

# ---- 3. kill -9 of the client node's agent under load ----

check "echo server stopped" e2e_server_kill vector-retriever-b
check "vector-retriever-b's server back" e2e_server_start vector-retriever-b
check_eq "a call through the mesh" "$(call)" 200

# capture_start FILE: tcpdump on node-a's end of the node link, ready
capture_start() {
	nsenter --net="/run/netns/$IMT_PREFIX-node-a" \
		tcpdump --immediate-mode -Z root -U -nni node0 -w "$1" tcp 2>"$1.err" &
	cap_pid=$!
	wait_for 10 grep -q "listening on node0" "$1.err"
}
PAYLOAD='(((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)'
PCAP=$E2E_TMP/kill.pcap
check "capture on the node link" capture_start "$PCAP"
drops0=$(e2e_drops node-b strict_plaintext)
wrk_run 12 "$E2E_TMP/wrk-kill.out" -c4 --timeout 2s
wrk_pid=$!
streams() { view node-a tunnels && [ "$(e2e_json "$E2E_TMP/node-a.json" "sum(t['streams'] for t in j['tunnels'])")" -ge 4 ]; }
check "wrk's 4 connections carried by node-a" wait_for 10 streams
t_kill=$(date +%s%N)
kill -KILL "$(agent_pid node-a)"
check "node-a's agent gone (kill -9)" wait_for 5 e2e_agent_gone node-a
# curl's exit: 7 is "could not connect" (refused), a timeout would be 28
timeout 10 "$MESH" exec orchestrator curl -s -m 2 -o /dev/null "http://$VR_B:8080/"
check_eq "no agent: a new call is refused at once (captured, nobody listens), never sent around the mesh" "$?" 7
t0=$(date +%s%N)
"$MESH" agent node-a --svid-ttl "${TTL}s" >/dev/null
first_ok() { [ "$(call 1)" = 200 ]; }
if wait_for 60 first_ok; then
	pass "the restarted agent carries new connections"
	t1=$(date +%s%N)
	echo "       measured: $(((t1 - t0) / 1000000)) ms from restart to the first answered new call" \
		"($(((t1 - t_kill) / 1000000)) ms from kill -9)"
else
	fail "the restarted agent carries new connections"
fi
wait "$wrk_pid"
kill -INT "$cap_pid" 2>/dev/null
wait "$cap_pid" 2>/dev/null
wrk_show "$E2E_TMP/wrk-kill.out"
# what failed: wrk's connections, held by the killed agent, end (read
# errors); its reconnects find nothing listening on the captured port and
# are refused at once (wrk retries without pause: write errors), until
# the restarted agent listens
echo "       failed: $(awk '/Socket errors/ { print $6 }' "$E2E_TMP/wrk-kill.out" | tr -d ,) requests on" \
	"wrk's connections cut by the kill, $(awk '/Socket errors/ { print $4 + $8 }' "$E2E_TMP/wrk-kill.out" | tr -d ,)" \
	"reconnects refused during the gap, $(awk '/Socket errors/ { print $10 }' "$E2E_TMP/wrk-kill.out") timed out," \
	"$(awk '/Non-2xx/ { n = $NF } END { print n + 0 }' "$E2E_TMP/wrk-kill.out") non-2xx"
check "wrk made requests" test "$(wrk_made "$E2E_TMP/wrk-kill.out")" -gt 0
check_eq "nothing crossed the node link but TLS to :15008" \
	"$(tcpdump -nnr "$PCAP" "tcp and not port 15008 and $PAYLOAD" 2>/dev/null | wc -l)" 0
check_eq "node-b's guard dropped no plaintext (strict_plaintext unchanged)" \
	"$(e2e_drops node-b strict_plaintext)" "$drops0"

# ---- the ASan agent's end ----

check "node-b's agent stopped (SIGTERM)" "$MESH" agent-stop node-b
check "its exit status recorded" wait_for 20 test -s "$IMT_STATE/agent-node-b.rc"
check_eq "node-b's ASan agent exits 0" "$(cat "$IMT_STATE/agent-node-b.rc" 2>/dev/null)" 0
check_eq "no ASan/UBSan report" "$(cat "$E2E_TMP"/asan.* 2>/dev/null | head -40)" ""
check "node-a's agent stopped" "$MESH" agent-stop node-a
echo "       suite ran ${SECONDS} s"
