#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The mTLS benchmark (issue 8), called by tools/bench.sh after the L4 one,
# or alone (as root): one hop between two workloads on two nodes, side by
# side in one run, the same topology and payloads for every contestant.
#
# Topology: the test mesh (tools/mesh.sh) of tools/bench/mtls-mesh/: pod
# bench-client (10.10.1.10) on node-a, pod bench-server (10.10.2.10) on
# node-b. The server pod runs nginx (/1k, port 8080) and iperf3 -s (5201).
# CPU 0 is node-a (load generator, client-side proxy, node-a's agent), CPU
# 1 node-b (server-side proxy, backend, node-b's agent): the core model of
# ../shared/bench-peers/run-peers.sh (the peers' own setup; its README.md).
#
#   direct     plaintext, no mesh: the client dials 10.10.2.10 itself
#   haproxy    the haproxy pair in TCP mode (one thread each): client pod
#              127.0.0.1 -> mTLS -> server pod :12443 -> 127.0.0.1:8080
#   stunnel    the stunnel pair, the same hop on :10443
#   infermesh  `infermesh agent --mtls` on both nodes: the client dials the
#              service 10.96.7.10, connect4 sends the call to node-a's
#              agent, HBONE mTLS to node-b's agent, which connects to the app
# The peers use certificates made here like ../shared/bench-peers/
# gen-certs.sh does (ECDSA P-256, SPIFFE URI SANs, TLS 1.3 only, client
# certificate required and verified). Their processes and the direct
# client run in a cgroup outside the nodes' cgroup roots, so connect4
# never captures them; infermesh's client runs in its pod's cgroup.
#
# Measures, each contestant in turn, the order reversed every other round
# (ABBA) so that load drift hits all alike, $MTLS_REPS rounds of
# $MTLS_DUR s runs, medians:
#   c1       wrk -c1 keep-alive: p50, the latency the hop adds to direct
#   ka32     wrk -c32 keep-alive: requests/s, p50, p99, and the proxies'
#            CPU time per request (both sides; cgroup cpu.stat)
#   close32  wrk -c32 `Connection: close`: requests/s (a handshake or a
#            tunnel stream per request), the proxies' CPU per request
#   iperf    iperf3 throughput (Gbit/s, one stream)
#   rss      the proxies' RSS (KiB) on each side when idle (after start),
#            and per proxied connection: RSS with $MTLS_IDLE open idle
#            connections (tools/bench/idle_conns.py) minus RSS before
# Rows {name, metric, value, baseline, ratio} replace earlier mtls_* rows
# in $OUT/bench-results.json: baseline = direct, and for infermesh also
# rows against the best peer (tools/bench/mtls-report.py, which prints
# the side-by-side table and the issue's targets, met or not).
#
# Environment: OUT, BENCH_QUICK=1 (a smoke run: 1 round of 1 s, 100 idle
# connections), MTLS_DUR (3), MTLS_REPS (3), MTLS_IDLE (1000),
# MTLS_CONTESTANTS ("direct haproxy stunnel infermesh"), MTLS_PREFIX (the
# mesh's prefix, imbm), MTLS_BUDGET (300 s: rounds that would start past it
# are skipped, said so), MTLS_RESULTS, MTLS_RAWDIR (raw figures,
# $OUT/bench-mtls). Without `agent --mtls` in the binary, infermesh is
# left out with "infermesh --mtls not available".
# Leaves nothing behind: our processes are ended by pid, then the mesh is
# taken down (namespaces, cgroups), also after a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.output}
BIN=${INFERMESH:-$OUT/infermesh}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	DUR=${MTLS_DUR:-1} REPS=${MTLS_REPS:-1} IDLE=${MTLS_IDLE:-100}
else
	DUR=${MTLS_DUR:-3} REPS=${MTLS_REPS:-3} IDLE=${MTLS_IDLE:-1000}
fi
CONTESTANTS=${MTLS_CONTESTANTS:-direct haproxy stunnel infermesh}
BUDGET=${MTLS_BUDGET:-300}
RESULTS=${MTLS_RESULTS:-$OUT/bench-results.json}
RAWDIR=${MTLS_RAWDIR:-$OUT/bench-mtls}
export IMT_PREFIX=${MTLS_PREFIX:-imbm}
export OUT
MESH=tools/mesh.sh
MESHCFG=tools/bench/mtls-mesh
NSC=$IMT_PREFIX-pod-bench-client NSS=$IMT_PREFIX-pod-bench-server
SRV=10.10.2.10 VIP=10.96.7.10
SAN_DNS=bench-server.bench.svc.cluster.local
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CGROOT=${CG2:+$CG2/$IMT_PREFIX-mesh}
PIDS=()
declare -A PXC=() PXS=()	# contestant -> client-side / server-side pid

die() { echo "bench-mtls: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }

# ---- processes: ours by pid, then whatever the mesh's cgroups hold ----

stop_pid() { # PID
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	PIDS=()
	"$MESH" agent-stop node-a >/dev/null 2>&1 || true
	"$MESH" agent-stop node-b >/dev/null 2>&1 || true
	if [ -n "${work:-}" ]; then	# the daemons' logs outlive the run
		mkdir -p "$RAWDIR/logs"
		cp "$work"/*.log "$work"/*.err "$RAWDIR/logs/" 2>/dev/null || true
		cp "/run/$IMT_PREFIX-mesh"/log/agent-*.log "$RAWDIR/logs/" 2>/dev/null || true
	fi
	timeout 60 "$MESH" down >/dev/null 2>&1 || echo "bench-mtls: mesh down failed" >&2
	[ -n "${work:-}" ] && rm -rf "$work"
	return 0
}

# CMD in netns NS and cgroup CG, on CPU (the subshell joins the cgroup,
# then becomes nsenter, then taskset, then CMD: one pid).
run_in() { # NS CG CPU CMD...
	local ns=$1 cg=$2 cpu=$3
	shift 3
	(echo "$BASHPID" >"$cg/cgroup.procs" &&
	 exec nsenter --net="/run/netns/$ns" taskset -c "$cpu" "$@")
}

# A process of ours in the background, in netns NS, cgroup CG, on CPU;
# sets LAST_PID. Not through run_in: a function run with & is a subshell
# of its own, and $! would be that wrapper, not the process.
spawn() { # LOG STDIN NS CG CPU CMD...
	local log=$1 in=$2 ns=$3 cg=$4 cpu=$5
	shift 5
	(echo "$BASHPID" >"$cg/cgroup.procs" &&
	 exec nsenter --net="/run/netns/$ns" taskset -c "$cpu" "$@") >"$log" 2>&1 <"$in" &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

start_bg() { # NAME NS CG CPU CMD...
	local name=$1
	shift
	spawn "$work/$name.log" /dev/null "$@"
}

wait_listen() { # NS ADDR:PORT WHAT
	for _ in $(seq 100); do
		nsenter --net="/run/netns/$1" ss -Hltn "sport = :${2#*:}" |
			grep -q "${2%:*}:${2#*:}\|\*:${2#*:}\|0.0.0.0:${2#*:}" && return 0
		sleep 0.1
	done
	die "$3 never listened on $2 (its log: $RAWDIR/logs)"
}

# CPU time (µs) the contestant's proxies have used, both sides: the
# agents' cgroups (tools/mesh.sh) or the pair's own. On a shared machine
# CPU per request is steadier than requests per second.
proxy_cpu() { # CONTESTANT
	local cg=$CGROOT/px-$1
	[ "$1" = infermesh ] && cg=$CGROOT/agents
	awk '$1 == "usage_usec" { print $2; f = 1 } END { if (!f) print 0 }' \
		"$cg/cpu.stat" 2>/dev/null || echo 0
}

rss_kib() { # PID
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# ---- setup ----

pod_cg() { "$MESH" pods | awk -v p="$1" '$1 == p { print $6 }'; }

mesh_up() {
	timeout 120 "$MESH" up "$MESHCFG" >"$work/mesh.log" 2>&1 ||
		die "mesh up failed: $(tail -5 "$work/mesh.log")"
	CG_CLI=$(pod_cg bench-client) CG_SRV=$(pod_cg bench-server)
	# outside both nodes' roots, never captured: the plaintext clients
	# and, a cgroup per pair, the peers' proxies (their CPU time)
	CG_PLAIN=$CGROOT/plain
	mkdir -p "$CG_PLAIN" "$CGROOT/px-haproxy" "$CGROOT/px-stunnel"
	local ns
	for ns in "$NSC" "$NSS"; do
		nsenter --net="/run/netns/$ns" sysctl -qw \
			net.ipv4.ip_local_port_range="1024 65000" \
			net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=8192 >/dev/null
	done
}

# ECDSA P-256 CA and two leaves with SPIFFE URI SANs (X.509-SVID style);
# the server's also has a DNS SAN so that the peers can check its name.
mk_pki() {
	local d=$work/pki
	mkdir -p "$d"
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$d/ca.key" -sha256 -days 2 \
		-subj "/O=cluster.local/CN=bench-mtls-ca" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$d/ca.crt" 2>/dev/null
	mk_leaf server "URI:spiffe://cluster.local/ns/bench/sa/bench-server,DNS:$SAN_DNS"
	mk_leaf client "URI:spiffe://cluster.local/ns/bench/sa/bench-client"
	openssl verify -CAfile "$d/ca.crt" "$d/server.crt" "$d/client.crt" >/dev/null ||
		die "the benchmark's certificates do not verify"
}

mk_leaf() { # NAME SAN
	local d=$work/pki
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/$1.key" 2>/dev/null
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyAgreement" \
		"extendedKeyUsage=serverAuth,clientAuth" \
		"subjectAltName=critical,$2" >"$d/$1.ext"
	openssl req -new -key "$d/$1.key" -subj "/O=cluster.local" 2>/dev/null |
		openssl x509 -req -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
			-sha256 -days 1 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
	cat "$d/$1.crt" "$d/$1.key" >"$d/$1.pem"
	chmod 600 "$d/$1.key" "$d/$1.pem"
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
		  server { listen 8080 backlog=8192; root $work/www; }
		}
	EOF
	start_bg nginx "$NSS" "$CG_SRV" 1 nginx -p "$work" -e "$work/nginx.err" \
		-c "$work/nginx.conf"
	start_bg iperf3 "$NSS" "$CG_SRV" 1 iperf3 -s -p 5201
	wait_listen "$NSS" "0.0.0.0:8080" nginx
	wait_listen "$NSS" "0.0.0.0:5201" "iperf3 -s"
}

# ---- the contestants' proxies ----

start_haproxy() {
	local tls="ssl crt $work/pki/client.pem ca-file $work/pki/ca.crt verify required"
	local srv="ssl crt $work/pki/server.pem ca-file $work/pki/ca.crt verify required"
	tls="$tls verifyhost $SAN_DNS ssl-min-ver TLSv1.3"
	srv="$srv ssl-min-ver TLSv1.3"
	hap_cfg "127.0.0.1:12080" "server s $SRV:12443 $tls" \
		"127.0.0.1:12201" "server s $SRV:12444 $tls" >"$work/haproxy-c.cfg"
	hap_cfg "$SRV:12443 $srv" "server app 127.0.0.1:8080" \
		"$SRV:12444 $srv" "server app 127.0.0.1:5201" >"$work/haproxy-s.cfg"
	start_bg haproxy-s "$NSS" "$CGROOT/px-haproxy" 1 haproxy -db -f "$work/haproxy-s.cfg"
	PXS[haproxy]=$LAST_PID
	start_bg haproxy-c "$NSC" "$CGROOT/px-haproxy" 0 haproxy -db -f "$work/haproxy-c.cfg"
	PXC[haproxy]=$LAST_PID
	wait_listen "$NSS" "$SRV:12443" "haproxy (server side)"
	wait_listen "$NSC" "127.0.0.1:12080" "haproxy (client side)"
}

# One haproxy in TCP mode, one thread: HTTP and iperf frontends.
hap_cfg() { # HTTP_BIND HTTP_SERVER IPERF_BIND IPERF_SERVER
	cat <<-EOF
		global
		  nbthread 1
		  maxconn 8000
		defaults
		  mode tcp
		  timeout connect 5s
		  timeout client 120s
		  timeout server 120s
		  maxconn 8000
		listen http
		  bind $1
		  $2
		listen iperf
		  bind $3
		  $4
	EOF
}

start_stunnel() {
	local p=$work/pki
	stn_cfg "client = yes" 127.0.0.1:10080 "$SRV:10443" 127.0.0.1:10201 "$SRV:10444" \
		client "checkHost = $SAN_DNS" >"$work/stunnel-c.conf"
	stn_cfg "client = no" "$SRV:10443" 127.0.0.1:8080 "$SRV:10444" 127.0.0.1:5201 \
		server "requireCert = yes" >"$work/stunnel-s.conf"
	start_bg stunnel-s "$NSS" "$CGROOT/px-stunnel" 1 stunnel "$work/stunnel-s.conf"
	PXS[stunnel]=$LAST_PID
	start_bg stunnel-c "$NSC" "$CGROOT/px-stunnel" 0 stunnel "$work/stunnel-c.conf"
	PXC[stunnel]=$LAST_PID
	wait_listen "$NSS" "$SRV:10443" "stunnel (server side)"
	wait_listen "$NSC" "127.0.0.1:10080" "stunnel (client side)"
}

# One stunnel, foreground: HTTP and iperf services, TLS 1.3 mTLS.
stn_cfg() { # MODE HTTP_ACCEPT HTTP_CONNECT IPERF_ACCEPT IPERF_CONNECT CERT CHECK
	printf '%s\n' "foreground = yes" "pid =" "debug = 3"
	stn_service http "$1" "$2" "$3" "$6" "$7"
	stn_service iperf "$1" "$4" "$5" "$6" "$7"
}

stn_service() { # NAME MODE ACCEPT CONNECT CERT CHECK
	printf '%s\n' "[$1]" "$2" "accept = $3" "connect = $4" \
		"cert = $work/pki/$5.crt" "key = $work/pki/$5.key" \
		"CAfile = $work/pki/ca.crt" "verifyChain = yes" "$6" \
		"sslVersionMin = TLSv1.3" "socket = l:TCP_NODELAY=1" \
		"socket = r:TCP_NODELAY=1"
}

# Both nodes' agents with --mtls ($MTLS_AGENT_FLAGS), each on its node's
# CPU (affinity goes down to the agent and its threads). Returns 1, said
# so, when the binary has no --mtls.
start_infermesh() {
	local help
	# the whole help first: `| grep -q` would exit at the match and, under
	# pipefail, the agent's SIGPIPE on its next line would read as "absent"
	help=$("$BIN" agent --help 2>&1 || true)
	if [[ $help != *--mtls* ]]; then
		log "infermesh --mtls not available in $BIN: infermesh left out of this run"
		echo "unavailable infermesh" >>"$RAWDIR/raw"
		return 1
	fi
	# shellcheck disable=SC2086 # flags, one a word
	PXC[infermesh]=$(taskset -c 0 "$MESH" agent node-a ${MTLS_AGENT_FLAGS:---mtls})
	# shellcheck disable=SC2086
	PXS[infermesh]=$(taskset -c 1 "$MESH" agent node-b ${MTLS_AGENT_FLAGS:---mtls})
}

# ---- how each contestant's client reaches the server ----

client_of() { # CONTESTANT: sets C_CG, C_IP, C_HTTP, C_IPERF
	case $1 in
	direct) C_CG=$CG_PLAIN C_IP=$SRV C_HTTP=8080 C_IPERF=5201 ;;
	haproxy) C_CG=$CG_PLAIN C_IP=127.0.0.1 C_HTTP=12080 C_IPERF=12201 ;;
	stunnel) C_CG=$CG_PLAIN C_IP=127.0.0.1 C_HTTP=10080 C_IPERF=10201 ;;
	infermesh) C_CG=$CG_CLI C_IP=$VIP C_HTTP=8080 C_IPERF=5201 ;;
	*) die "unknown contestant $1" ;;
	esac
}

# One GET /1k through the contestant's path must answer 200 with 1 KiB,
# within SECONDS (the agents program the kernel and open their listeners
# after start).
sanity() { # CONTESTANT SECONDS
	local got end=$((SECONDS + $2))
	client_of "$1"
	while :; do
		got=$(run_in "$NSC" "$C_CG" 0 curl -s -m 3 -o /dev/null \
			-w '%{http_code} %{size_download}' "http://$C_IP:$C_HTTP/1k" 2>&1) || true
		[ "$got" = "200 1024" ] && return 0
		[ "$SECONDS" -ge "$end" ] && die "$1: GET /1k through its path answered '$got'"
		sleep 0.2
	done
}

# ---- measures ----

us() { # wrk's "1.23ms" / "456.00us" / "1.2s" -> µs
	awk '{ v = $1; m = 1
	       if (v ~ /us$/) sub(/us$/, "", v)
	       else if (v ~ /ms$/) { sub(/ms$/, "", v); m = 1000 }
	       else if (v ~ /s$/) { sub(/s$/, "", v); m = 1000000 }
	       printf "%.1f", v * m }' <<<"$1"
}

run_wrk() { # TEST CONTESTANT REP (0: warm-up, not recorded)
	local f=$RAWDIR/wrk-$1-$2-$3.txt c=32 hdr=() rps p50 p99 err n c0 c1 cpu
	client_of "$2"
	c0=$(proxy_cpu "$2")
	[ "$1" = c1 ] && c=1
	[ "$1" = close32 ] && hdr=(-H 'Connection: close')
	run_in "$NSC" "$C_CG" 0 timeout $((DUR + 30)) wrk -t1 -c$c -d"${DUR}s" \
		--latency "${hdr[@]}" "http://$C_IP:$C_HTTP/1k" >"$f" 2>&1 || true
	c1=$(proxy_cpu "$2")
	n=$(awk '/requests in/ { print $1 }' "$f")
	cpu=$(awk -v a="$c0" -v b="$c1" -v n="${n:-0}" 'BEGIN { printf "%.1f", n ? (b - a) / n : 0 }')
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$f")
	p50=$(us "$(awk '$1 == "50%" { print $2 }' "$f")")
	p99=$(us "$(awk '$1 == "99%" { print $2 }' "$f")")
	err=$(awk '/Socket errors|Non-2xx/ { gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) s += $i }
		END { print s + 0 }' "$f")
	[ -n "$rps" ] || { log "wrk $1 $2: no result (see $f)"; return 0; }
	[ "$3" = 0 ] && return 0
	echo "wrk $1 $2 $3 $rps $p50 $p99 $err $cpu" >>"$RAWDIR/raw"
	log "$2 $1 r$3: $rps req/s p50 ${p50}us p99 ${p99}us errors $err proxy cpu/req ${cpu}us"
}

run_iperf() { # CONTESTANT REP
	local f=$RAWDIR/iperf-$1-$2.json g stall note=""
	client_of "$1"
	run_in "$NSC" "$C_CG" 0 timeout $((DUR + 30)) iperf3 -c "$C_IP" -p "$C_IPERF" \
		-t "$DUR" --connect-timeout 3000 -J >"$f" 2>&1 || true
	# Gbit/s received, and the seconds in which nothing moved (a stall)
	read -r g stall < <(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print("%.3f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9),
      sum(1 for i in j["intervals"] if i["sum"]["bytes"] == 0))' "$f" 2>/dev/null) ||
		true
	[ -n "${g:-}" ] || { log "iperf3 $1: no result (see $f)"; return 0; }
	echo "iperf $1 $2 $g" >>"$RAWDIR/raw"
	[ "${stall:-0}" -gt 0 ] && note=", stalled: $stall of $DUR s without a byte"
	log "$1 iperf r$2: $g Gbit/s$note"
}

# Rounds of every test per contestant, the order reversed every other
# round; a round that would start past the budget is skipped, said so.
phase_rounds() {
	local rep c order t0=$SECONDS
	for c in "${LIVE[@]}"; do run_wrk ka32 "$c" 0; done	# warm every path
	for rep in $(seq "$REPS"); do
		if [ $((SECONDS - t0)) -ge "$BUDGET" ]; then
			log "budget of ${BUDGET}s spent: rounds $rep..$REPS skipped"
			break
		fi
		order=("${LIVE[@]}")
		[ $((rep % 2)) = 0 ] && mapfile -t order < <(printf '%s\n' "${LIVE[@]}" | tac)
		for c in "${order[@]}"; do
			run_wrk c1 "$c" "$rep"
			run_wrk ka32 "$c" "$rep"
			run_wrk close32 "$c" "$rep"
			run_iperf "$c" "$rep"
		done
	done
}

# RSS of each side's proxy with $IDLE idle connections open through it
# (each answered once end to end), against just before.
phase_rss() {
	local c fifo out pid fd b0 b1 h0 h1
	for c in "${LIVE[@]}"; do
		[ -n "${PXC[$c]:-}" ] || continue
		client_of "$c"
		fifo=$work/hold-$c out=$RAWDIR/idle-$c.txt
		mkfifo "$fifo"
		b0=$(rss_kib "${PXC[$c]}") b1=$(rss_kib "${PXS[$c]}")
		spawn "$out" "$fifo" "$NSC" "$C_CG" 0 timeout 120 python3 \
			tools/bench/idle_conns.py "$C_IP" "$C_HTTP" "$IDLE" 90
		pid=$LAST_PID
		exec {fd}>"$fifo"
		for _ in $(seq 450); do
			grep -q '^open ' "$out" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q "^open $IDLE\$" "$out"; then
			h0=$(rss_kib "${PXC[$c]}") h1=$(rss_kib "${PXS[$c]}")
			echo "conns $c $IDLE $b0 $b1 $h0 $h1" >>"$RAWDIR/raw"
			log "$c: RSS client ${b0} -> ${h0} KiB, server ${b1} -> ${h1} KiB with $IDLE idle connections"
		else
			log "$c: $IDLE idle connections did not open: $(tail -1 "$out")"
		fi
		exec {fd}>&-
		stop_pid "$pid"
	done
}

main() {
	local c
	[ "$(id -u)" = 0 ] || die "needs root (namespaces, cgroups, BPF)"
	[ -n "$CG2" ] || die "no cgroup v2 mount"
	[ -x "$BIN" ] || die "$BIN not built (make OUT=$OUT)"
	for c in $CONTESTANTS; do	# refused before anything is set up
		case $c in direct | haproxy | stunnel | infermesh) ;;
		*) die "unknown contestant '$c' (direct haproxy stunnel infermesh)" ;;
		esac
	done
	for c in wrk nginx iperf3 haproxy stunnel curl openssl; do
		command -v $c >/dev/null || die "needs $c (tools/packages.txt)"
	done
	work=$(mktemp -d "${TMPDIR:-/tmp}/infermesh-bench-mtls.XXXXXX")
	trap teardown EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$RAWDIR"
	rm -rf "$RAWDIR/logs"
	: >"$RAWDIR/raw"
	echo "load start $(cut -d' ' -f1-3 /proc/loadavg) cpus $(nproc)" >>"$RAWDIR/raw"
	log "mTLS benchmark: $CONTESTANTS; $REPS rounds of ${DUR}s, $IDLE idle connections"
	mk_pki
	mesh_up
	start_backend
	LIVE=()
	for c in $CONTESTANTS; do
		case $c in
		haproxy) start_haproxy ;;
		stunnel) start_stunnel ;;
		infermesh) start_infermesh || continue ;;
		esac
		sanity "$c" 30
		[ -n "${PXC[$c]:-}" ] && echo "rss $c idle $(rss_kib "${PXC[$c]}") $(rss_kib "${PXS[$c]}")" >>"$RAWDIR/raw"
		LIVE+=("$c")
	done
	phase_rounds
	phase_rss
	echo "load end $(cut -d' ' -f1-3 /proc/loadavg) cpus $(nproc)" >>"$RAWDIR/raw"
	python3 tools/bench/mtls-report.py "$RAWDIR/raw" "$RESULTS"
}

main "$@"
