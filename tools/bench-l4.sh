#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The L4 dataplane benchmark (issue 3), called by tools/bench.sh or alone
# (as root): direct vs infermesh, side by side in one run, on two network
# namespaces joined by a veth (client $P-c 10.77.0.1, server $P-s
# 10.77.0.2), the model of the "ns" phase of
# ../shared/bench-peers/run-peers.sh (the peers' own setup, next to this
# repository; see its README.md): CPU 0 is the client node (wrk,
# connect_lat), CPU 1 the server node (one nginx process serving /1k from
# a file).
#
#   direct     the client, in cgroup $CG2/$P/direct (nothing attached),
#              dials the backend 10.77.0.2:8080 itself
#   infermesh  the client, in cgroup $CG2/$P/mesh, dials the service VIP
#              10.96.77.10:80; cgroup/connect4 (tools/bench/l4dp loads
#              and fills the real dataplane through dp_put_*) picks the
#              same backend after the route, subset, least-request and
#              source-side policy steps; sockops accounts the connection
#
# 1. wrk -t1 -c32 /1k, keep-alive (ka32) and Connection: close (close32):
#    requests/s, p50, p99 (wrk --latency); $L4_REPS runs of $L4_DUR s,
#    direct and infermesh alternating (ABBA), medians, ratios
#    infermesh/direct. Targets: >= 0.97x throughput, p99 within 5%.
# 2. connect() latency (tools/bench/connect_lat: $L4_CONNECTS timed
#    connect()s) with 1, 1,000, 10,000 services x 10, 1,000, 10,000
#    policy clauses in the tables, and direct for reference; $L4_ROUNDS
#    rounds, medians of the per-round p50/p99, plus the connect4 program's
#    own run time per call (BPF stats). Target: flat within 10%.
#
# Results: rows {name, metric, value, baseline, ratio} appended to
# $OUT/bench-results.json (earlier l4_* rows replaced), baseline = direct
# for wrk and connect_direct rows, the 1-service/10-clause tables for the
# table-size rows; a table on stdout. Raw figures stay in $OUT/bench-l4/.
#
# Environment: OUT, L4_DUR (5), L4_REPS (5), L4_CONNS (32), L4_CONNECTS
# (20000), L4_ROUNDS (3), L4_PREFIX (imb-l4), L4_PHASES ("wrk connect";
# add "cost" for the BPF run time per connection of a close32 run, "perf"
# for system-wide profiles of a close32 run per path).
# Leaves nothing behind: our processes are ended by pid, then the cgroups
# and namespaces removed, also after a failure; running twice works.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.output}
P=${L4_PREFIX:-imb-l4}
DUR=${L4_DUR:-5}
REPS=${L4_REPS:-5}
CONNS=${L4_CONNS:-32}
CONNECTS=${L4_CONNECTS:-20000}
ROUNDS=${L4_ROUNDS:-3}
PHASES=${L4_PHASES:-wrk connect eps}
NSC=$P-c NSS=$P-s
CLI=10.77.0.1 SRV=10.77.0.2 SPORT=8080 VIP=10.96.77.10 VPORT=80
L4DP=$OUT/bench/l4dp
CLAT=$OUT/bench/connect_lat
RAWDIR=$OUT/bench-l4
RESULTS=$OUT/bench-results.json
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CGROOT=${CG2:+$CG2/$P}
PIDS=()

die() { echo "bench-l4: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }

# ---- processes: ours are the pids we started, and whatever sits in our
# cgroups (their children); ended politely, then killed, bounded ----

stop_pid() { # PID
	local i
	kill "$1" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

kill_cgroups() {
	local pids sig i
	[ -n "$CGROOT" ] && [ -d "$CGROOT" ] || return 0
	for sig in TERM KILL; do
		for i in $(seq 30); do
			pids=$(find "$CGROOT" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
			[ -z "$pids" ] && return 0
			# shellcheck disable=SC2086 # one pid a word
			[ "$i" = 1 ] && { kill -"$sig" $pids 2>/dev/null || true; }
			sleep 0.1
		done
	done
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	PIDS=()
	kill_cgroups
	if [ -n "$CGROOT" ] && [ -d "$CGROOT" ]; then
		find "$CGROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[ -d "$CGROOT" ] && echo "bench-l4: could not remove $CGROOT" >&2
	fi
	ip netns del "$NSC" 2>/dev/null || true
	ip netns del "$NSS" 2>/dev/null || true
	[ -n "${work:-}" ] && rm -rf "$work"
	return 0
}

# CMD in netns NS and cgroup CG (the subshell joins the cgroup, then
# becomes nsenter, which becomes CMD: same pid).
run_in() { # NS CG CMD...
	local ns=$1 cg=$2
	shift 2
	(echo "$BASHPID" >"$CGROOT/$cg/cgroup.procs" && exec nsenter --net="/run/netns/$ns" "$@")
}

# ---- setup ----

mk_net() {
	ip netns add "$NSC"
	ip netns add "$NSS"
	ip -n "$NSC" link add eth0 type veth peer name eth0 netns "$NSS"
	ip -n "$NSC" addr add $CLI/24 dev eth0
	ip -n "$NSS" addr add $SRV/24 dev eth0
	for ns in "$NSC" "$NSS"; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" \
			net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=8192 >/dev/null
	done
	mkdir -p "$CGROOT/server" "$CGROOT/direct" "$CGROOT/mesh"
}

start_backend() {
	mkdir -p "$work/www" "$work/tmp"
	head -c 1024 /dev/zero | tr '\0' x >"$work/www/1k"
	cat >"$work/nginx.conf" <<-EOF
		daemon off; master_process off; worker_rlimit_nofile 65536;
		pid $work/nginx.pid; error_log $work/nginx.err warn;
		events { worker_connections 16384; }
		http {
		  access_log off; sendfile on; tcp_nopush on; tcp_nodelay on;
		  keepalive_requests 1000000; keepalive_timeout 120s;
		  client_body_temp_path $work/tmp/cb; proxy_temp_path $work/tmp/px;
		  fastcgi_temp_path $work/tmp/fc; uwsgi_temp_path $work/tmp/uw;
		  scgi_temp_path $work/tmp/sc;
		  server { listen $SRV:$SPORT backlog=8192; root $work/www; }
		}
	EOF
	run_in "$NSS" server taskset -c 1 nginx -p "$work" -e "$work/nginx.err" \
		-c "$work/nginx.conf" >"$work/nginx.log" 2>&1 </dev/null &
	PIDS+=($!)
	wait_port
}

wait_port() {
	local i
	for i in $(seq 100); do
		ip netns exec "$NSS" ss -Hltn "sport = :$SPORT" | grep -q "$SRV:$SPORT" && return 0
		sleep 0.1
	done
	die "backend never listened (see $work/nginx.err)"
}

# Loads the dataplane with SERVICES and POLICIES; sets DP_PID. Extra
# environment (L4DP_STATS=1) passes through.
dp_up() { # SERVICES POLICIES
	local i
	"$L4DP" "$CGROOT/mesh" $VIP:$VPORT $SRV:$SPORT $CLI "$1" "$2" \
		>"$work/l4dp.out" 2>"$work/l4dp.err" </dev/null &
	DP_PID=$!
	PIDS+=("$DP_PID")
	for i in $(seq 300); do
		grep -q '^ready' "$work/l4dp.out" && return 0
		kill -0 "$DP_PID" 2>/dev/null || break
		sleep 0.1
	done
	die "l4dp did not come up: $(cat "$work/l4dp.err")"
}

dp_down() {
	local p keep=()
	stop_pid "$DP_PID"
	for p in "${PIDS[@]}"; do [ "$p" = "$DP_PID" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# ---- phase 1: wrk ----

# The same request by both paths: a curl-free check that the VIP reaches
# the backend (getpeername aside) before anything is timed.
sanity() { # MODE
	local cg=direct url=http://$SRV:$SPORT/1k
	[ "$1" = infermesh ] && cg=mesh url=http://$VIP:$VPORT/1k
	run_in "$NSC" "$cg" timeout 10 wrk -t1 -c1 -d1s "$url" >"$work/sanity" 2>&1 ||
		die "$1: wrk failed: $(cat "$work/sanity")"
	grep -q "Socket errors\|Non-2xx" "$work/sanity" &&
		die "$1: errors: $(cat "$work/sanity")"
	return 0
}

us() { # wrk's "1.23ms" / "456.00us" / "1.2s" -> µs
	awk '{ v = $1; m = 1
	       if (v ~ /us$/) sub(/us$/, "", v)
	       else if (v ~ /ms$/) { sub(/ms$/, "", v); m = 1000 }
	       else if (v ~ /s$/) { sub(/s$/, "", v); m = 1000000 }
	       printf "%.1f", v * m }' <<<"$1"
}

# CPU time (µs) the client's and the server's cgroups have used: on a
# shared machine, CPU per request is steadier than requests per second.
cpu_used() { # CLIENT_CG
	awk '$1 == "usage_usec" { s += $2 } END { print s + 0 }' \
		"$CGROOT/$1/cpu.stat" "$CGROOT/server/cpu.stat"
}

run_wrk() { # TEST MODE REP
	local cg=direct url=http://$SRV:$SPORT/1k f=$RAWDIR/wrk-$1-$2-$3.txt
	local hdr=() rps p50 p99 err c0 c1 n cpu
	[ "$2" = infermesh ] && cg=mesh url=http://$VIP:$VPORT/1k
	[ "$1" = close32 ] && hdr=(-H 'Connection: close')
	c0=$(cpu_used $cg)
	run_in "$NSC" "$cg" taskset -c 0 timeout $((DUR + 30)) wrk -t1 -c"$CONNS" \
		-d"${DUR}s" --latency "${hdr[@]}" "$url" >"$f" 2>&1 || true
	c1=$(cpu_used $cg)
	n=$(awk '/requests in/ { print $1 }' "$f")
	cpu=$(awk -v a="$c0" -v b="$c1" -v n="${n:-0}" 'BEGIN { printf "%.2f", n ? (b - a) / n : 0 }')
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$f")
	p50=$(us "$(awk '$1 == "50%" { print $2 }' "$f")")
	p99=$(us "$(awk '$1 == "99%" { print $2 }' "$f")")
	err=$(awk '/Socket errors|Non-2xx/ { gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) s += $i }
		END { print s + 0 }' "$f")
	[ -n "$rps" ] || { log "wrk $1 $2: no result (see $f)"; return 0; }
	[ "$3" = 0 ] && return 0	# warm-up
	echo "wrk $1 $2 $3 $rps $p50 $p99 $err $cpu" >>"$RAWDIR/raw"
	log "$1 $2 r$3: ${rps} req/s p50 ${p50}us p99 ${p99}us errors $err cpu/req ${cpu}us"
}

phase_wrk() {
	local rep test a b
	dp_up 1000 1000
	sanity direct
	sanity infermesh
	run_wrk warm direct 0	# warm both paths and the backend
	run_wrk warm infermesh 0
	for rep in $(seq "$REPS"); do
		a=direct b=infermesh
		[ $((rep % 2)) = 0 ] && a=infermesh b=direct
		for test in ka32 close32; do
			run_wrk $test $a "$rep"
			run_wrk $test $b "$rep"
		done
	done
	dp_down
}

# ---- phase 2: connect() latency ----

run_clat() { # LABEL CG IP PORT ROUND
	local f=$RAWDIR/connect-$1-$5.txt line
	run_in "$NSC" "$2" taskset -c 0 timeout 120 "$CLAT" "$3" "$4" "$CONNECTS" \
		>"$f" 2>&1 || die "connect_lat $1: $(cat "$f")"
	line=$(cat "$f")
	echo "$line" >&2
	set -- "$1" "$5" $line
	# n N min_us X p50_us X p90_us X p99_us X mean_us X
	echo "connect $1 $2 ${8} ${12}" >>"$RAWDIR/raw"
}

# The programs' own run time, from l4dp's BPF stats: connect4 per call,
# and sockops (every callback of a connection) per connection.
hook_ns() { # LABEL ROUND
	awk -v l="$1" -v r="$2" '
		$1 == "connect4" { n = $3; c4 = $5 }
		$1 == "sockops" { so = $5 }
		END { if (n > 0) printf "hook %s %s %.1f %.1f\n", l, r, c4 / n, so / n }
	' "$work/l4dp.out" >>"$RAWDIR/raw"
}

# Table sizes "SERVICES:POLICIES"; each round starts one further along,
# so that no size is always measured first or last.
SIZES=(1:10 1:1000 1:10000 1000:10 1000:1000 1000:10000 10000:10 10000:1000 10000:10000)

phase_connect() {
	local r i k s p
	for r in $(seq "$ROUNDS"); do
		log "connect() latency, round $r of $ROUNDS"
		run_clat direct direct $SRV $SPORT "$r"
		for i in "${!SIZES[@]}"; do
			k=${SIZES[$(((i + r - 1) % ${#SIZES[@]}))]}
			s=${k%:*} p=${k#*:}
			L4DP_STATS=1 dp_up "$s" "$p"
			run_clat "s${s}_p${p}" mesh $VIP $VPORT "$r"
			dp_down
			hook_ns "s${s}_p${p}" "$r"
		done
	done
}

# ---- phase 2b: connect() latency by endpoints per subset ----

# Endpoints in the benchmarked subset (1,000 services, 1,000 clauses):
# connect4's draw is a binary search, so the cost should stay flat.
EPS_SIZES=(8 64 512 4096)

phase_eps() {
	local r i e
	for r in $(seq "$ROUNDS"); do
		log "connect() latency by endpoints per subset, round $r of $ROUNDS"
		for i in "${!EPS_SIZES[@]}"; do
			e=${EPS_SIZES[$(((i + r - 1) % ${#EPS_SIZES[@]}))]}
			L4DP_STATS=1 L4DP_EPS=$e dp_up 1000 1000
			run_clat "e$e" mesh $VIP $VPORT "$r"
			dp_down
			hook_ns "e$e" "$r"
		done
	done
}

# ---- phase 3 (optional, L4_PHASES="... cost"): BPF time per connection ----

# Connection: close traffic through the VIP with BPF stats on: each
# program's run time per call, its calls per connection (connect4 runs
# once per connection) and its size (xlated instructions), so the close
# path's BPF cost is known deterministically even on a busy machine.
# Logged and kept as "cost" rows in the raw figures; no ratio is derived.
phase_cost() {
	L4DP_STATS=1 dp_up 1000 1000
	run_wrk close32 infermesh cost
	sed -i '/^wrk close32 infermesh cost /d' "$RAWDIR/raw"
	dp_down
	awk '$2 == "run_cnt" { cnt[$1] = $3; ns[$1] = $5; insns[$1] = $7 }
	     END { c = cnt["connect4"]; if (!c) exit
		   for (p in cnt) if (cnt[p]) {
			printf "cost %s calls_per_conn %.2f ns_per_call %.1f ns_per_conn %.1f insns %d\n",
				p, cnt[p] / c, ns[p] / cnt[p], ns[p] / c, insns[p]
			tot += ns[p] / c }
		   printf "cost all ns_per_conn %.1f\n", tot }' \
		"$work/l4dp.out" | tee -a "$RAWDIR/raw" >&2
}

# ---- phase 4 (optional, L4_PHASES="... perf"): where the time goes ----

# Flat profile (symbols above 0.5% of the selected samples) of DATA.
perf_flat() { # DATA OUT [REPORT-ARGS...]
	local data=$1 out=$2
	shift 2
	perf report -i "$data" --stdio --no-children --percentage relative \
		--sort sym -g none --percent-limit 0.5 "$@" 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -50 >"$out" || true
	log "profile: $out"
}

# perf record of the whole machine during one close32 run per path, kept
# to wrk's and nginx's samples; and of connect_lat alone against the VIP
# with the largest tables (BPF programs show as bpf_prog_*_im_*).
phase_perf() {
	local m
	command -v perf >/dev/null || { log "perf: not installed, skipped"; return 0; }
	dp_up 10000 10000
	for m in direct infermesh; do
		perf record -a -g -o "$work/perf.data" -- sleep "$DUR" >/dev/null 2>&1 &
		PIDS+=($!)
		run_wrk close32 $m perf
		wait "${PIDS[-1]}" || true
		perf_flat "$work/perf.data" "$RAWDIR/perf-close32-$m.txt" --comms wrk,nginx
	done
	sed -i '/^wrk close32 [a-z]* perf /d' "$RAWDIR/raw"
	run_in "$NSC" mesh perf record -g -o "$work/perf-connect.data" -- \
		taskset -c 0 "$CLAT" $VIP $VPORT "$CONNECTS" >/dev/null 2>&1 || true
	perf_flat "$work/perf-connect.data" "$RAWDIR/perf-connect-infermesh.txt"
	dp_down
}

main() {
	[ "$(id -u)" = 0 ] || die "needs root (namespaces, cgroups, BPF)"
	[ -n "$CG2" ] || die "no cgroup v2 mount"
	[ -x "$L4DP" ] && [ -x "$CLAT" ] || die "$L4DP not built (make OUT=$OUT bench)"
	command -v wrk >/dev/null && command -v nginx >/dev/null ||
		die "needs wrk and nginx (tools/packages.txt)"
	work=$(mktemp -d "${TMPDIR:-/tmp}/infermesh-bench-l4.XXXXXX")
	trap teardown EXIT
	trap 'exit 130' INT TERM
	teardown_stale
	mkdir -p "$RAWDIR"
	: >"$RAWDIR/raw"
	mk_net
	start_backend
	for ph in $PHASES; do "phase_$ph"; done
	python3 tools/bench/l4-report.py "$RAWDIR/raw" "$RESULTS"
}

# A run that died by SIGKILL left its namespaces and cgroups: same names.
teardown_stale() {
	local w=$work
	work=
	teardown
	work=$w
}

main "$@"
