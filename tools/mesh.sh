#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test mesh (issue 3): two "node" network namespaces joined by a veth,
# and each WorkloadEntry of the config (infermesh.io/node and
# infermesh.io/cgroup annotations, an address) as a "pod": a network
# namespace behind a veth on its node, with its address, its processes in
# its own cgroup v2 and a small HTTP server on its ports. Shared by the
# end-to-end tests, the demo and the benchmarks.
#
#   tools/mesh.sh up [CONFIG_DIR]   build it (default examples/mesh); runs
#                                   `down` first, so twice in a row works
#   tools/mesh.sh down              remove everything, even after a failed run
#   tools/mesh.sh exec POD CMD...   run CMD in POD's namespace and cgroup
#   tools/mesh.sh node NODE CMD...  run CMD in NODE's namespace
#   tools/mesh.sh ext CMD...        run CMD on a host outside the mesh
#   tools/mesh.sh agent NODE [FLAGS...]   start `infermesh agent --mtls`
#                                   for NODE in the background, print its
#                                   pid: mesh calls between pods are mTLS
#                                   (IMT_MTLS=0: without --mtls;
#                                   IMT_AGENT_BIN=.output/infermesh-san:
#                                   that binary runs the agent); its
#                                   exit status goes to agent-NODE.rc
#   tools/mesh.sh agent-stop NODE   SIGTERM it and wait (bounded)
#   tools/mesh.sh maps NODE list|dump ...   `infermesh maps` on NODE's pins
#   tools/mesh.sh pods              NAME NODE ADDRESS NETNS NODE-IF CGROUP
#   tools/mesh.sh env               the paths below, as shell assignments
#
# Layout (prefix $IMT_PREFIX, default "imt"; nothing else is touched):
#   netns   imt-NODE (node), imt-pod-POD (pod), imt-ext (outside host)
#   links   inside the namespaces only: node0 joins the nodes
#           (10.10.0.N/24), vpI is pod I's node side (169.254.1.1, the
#           pods' gateway), each pod's eth0 has its /32 address; vext
#           leads to imt-ext (10.10.3.10), behind the first node
#   cgroups CG2/imt-mesh/NODE/<infermesh.io/cgroup> per pod, so that
#           CG2/imt-mesh/NODE is the node's --cgroup-root;
#           CG2/imt-mesh/agents/NODE, CG2/imt-mesh/ext
#   state   /run/imt-mesh: plan, logs, a bpffs of its own (bpffs/NODE is
#           the agent's --pin-root), agent state dirs (state/NODE), the
#           mesh CA every agent is given (ca/, `infermesh ca init`)
# Addresses exist only inside these namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

P=${IMT_PREFIX:-imt}
STATE=${IMT_STATE:-/run/$P-mesh}
OUT=${OUT:-.output}
BIN=${INFERMESH:-$OUT/infermesh}
AGENT_BIN=${IMT_AGENT_BIN:-$BIN}	# e.g. the ASan build, for one agent
PY=${PYTHON:-}	# see up()
EXT_IP=10.10.3.10
GW=169.254.1.1

die() { echo "mesh: $*" >&2; exit 1; }

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CGROOT=${CG2:+$CG2/$P-mesh}

# ---- the plan: nodes and pods, from the WorkloadEntries ----

plan() { cat "$STATE/plan"; }

pod_field() { # POD FIELD(2=ns 3=node 4=ip 5=cgroup 6=ports)
	plan | awk -v p="$1" -v f="$2" '
		$1 == "pod" && $2 == p { print $(f + 1); found = 1 }
		END { exit !found }' || die "no pod $1 (see: tools/mesh.sh pods)"
}

pod_cgroup() { echo "$CGROOT/$(pod_field "$1" 3)/$(pod_field "$1" 5)"; }

# Runs CMD in netns NS with its process in cgroup CG: the subshell joins
# the cgroup, then becomes nsenter, which becomes CMD (same pid). nsenter,
# not `ip netns exec`: that one also remounts /sys, which hides the cgroup
# v2 mount from the agent.
run_in() { # NS CG CMD...
	local ns=$1 cg=$2
	shift 2
	(echo "$BASHPID" >"$cg/cgroup.procs" && exec nsenter --net="/run/netns/$ns" "$@")
}

# ---- down: by our prefix only, each step tolerant of what is missing ----

# Our processes are exactly those in our cgroups: each is ended by its pid,
# politely first. Bounded: 3 s, then SIGKILL, then 3 s more.
kill_ours() {
	local sig pids i
	[ -n "$CGROOT" ] && [ -d "$CGROOT" ] || return 0
	for sig in TERM KILL; do
		for i in $(seq 30); do
			pids=$(find "$CGROOT" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
			[ -z "$pids" ] && return 0
			if [ "$i" = 1 ]; then
				# shellcheck disable=SC2086 # one pid a word
				kill -"$sig" $pids 2>/dev/null || true
			fi
			sleep 0.1
		done
	done
	echo "mesh: still running in $CGROOT: $pids" >&2
}

down() {
	local ns
	kill_ours
	if mountpoint -q "$STATE/bpffs" 2>/dev/null; then
		umount -l "$STATE/bpffs" || true
	fi
	if [ -n "$CGROOT" ] && [ -d "$CGROOT" ]; then
		find "$CGROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
		[ -d "$CGROOT" ] && echo "mesh: could not remove $CGROOT" >&2
	fi
	for ns in $(ip netns list 2>/dev/null | awk -v p="$P-" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$ns" || true
	done
	rm -rf "$STATE"
	return 0
}

# ---- up ----

add_node() { # NAME
	local ns=$P-$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
	mkdir -p "$CGROOT/$1" "$CGROOT/agents/$1"
	: >"$STATE/batch-$1"
}

node_subnets() { # NODE
	plan | awk -v n="$1" '$1 == "node" && $2 == n { gsub(",", " ", $5); print $5 }'
}

link_nodes() { # the node link, and routes to the other node's pods
	local a b sub
	a=$(plan | awk '$1 == "node" && $3 == 1 { print $2 }')
	b=$(plan | awk '$1 == "node" && $3 == 2 { print $2 }')
	[ -n "$b" ] || return 0
	ip -n "$P-$a" link add node0 type veth peer name node0 netns "$P-$b"
	echo "addr add 10.10.0.1/24 dev node0" >>"$STATE/batch-$a"
	echo "addr add 10.10.0.2/24 dev node0" >>"$STATE/batch-$b"
	echo "link set node0 up" | tee -a "$STATE/batch-$b" >>"$STATE/batch-$a"
	for sub in $(node_subnets "$b"); do
		echo "route add $sub via 10.10.0.2" >>"$STATE/batch-$a"
	done
	for sub in $(node_subnets "$a"); do
		echo "route add $sub via 10.10.0.1" >>"$STATE/batch-$b"
	done
	echo "route add $EXT_IP/32 via 10.10.0.1" >>"$STATE/batch-$b"
}

# A namespace NS behind veth IF on node NODE, with address IP. The node's
# side is queued in its batch (one `ip` run per node, not three per pod:
# each costs tens of milliseconds).
attach_host() { # NS NODE IF IP
	local ns=$1 nns=$P-$2 ifc=$3 ip=$4
	ip netns add "$ns"
	ip -n "$nns" link add "$ifc" type veth peer name eth0 netns "$ns"
	ip -n "$ns" -batch - <<-EOF
		link set lo up
		addr add $ip/32 dev eth0
		link set eth0 up
		route add $GW dev eth0 scope link
		route add default via $GW dev eth0
	EOF
	cat >>"$STATE/batch-$2" <<-EOF
		addr add $GW/32 dev $ifc
		link set $ifc up
		route add $ip/32 dev $ifc
	EOF
}

add_pod() { # NAME NODE IP CGROUP PORTS INDEX
	local cg=$CGROOT/$2/$4
	attach_host "$P-pod-$1" "$2" "vp$6" "$3"
	mkdir -p "$cg"
	run_in "$P-pod-$1" "$cg" "$PY" tools/mesh-server.py "$1" "$3" "$5" \
		>"$STATE/log/$1.log" 2>&1 </dev/null &
}

# A server prints its line once every port is bound; `up` fails unless
# all have, within 15 s.
wait_servers() {
	local name i
	for name in $(plan | awk '$1 == "pod" { print $2 }'); do
		for i in $(seq 150); do
			grep -q "serving on" "$STATE/log/$name.log" 2>/dev/null && break
			[ "$i" = 150 ] && die "$name: server not up (see $STATE/log/$name.log)"
			sleep 0.1
		done
	done
}

up() {
	local cfg=${1:-examples/mesh} i=0 node name ip cg ports
	[ "$(id -u)" = 0 ] || die "needs root (namespaces, cgroups)"
	[ -n "$CG2" ] || die "no cgroup v2 mount"
	[ -d "$cfg" ] || die "no config directory $cfg"
	down
	# The interpreter itself, not a version manager's shim: ten servers
	# start at once, and a shim costs a second or more each.
	[ -n "$PY" ] || PY=$(python3 -c 'import sys; print(sys.executable)')
	mkdir -p "$STATE/log" "$STATE/state" "$STATE/bpffs"
	"$PY" tools/mesh-plan.py "$cfg" >"$STATE/plan.tmp" || die "cannot plan the mesh from $cfg"
	echo "config $(cd "$cfg" && pwd)" >>"$STATE/plan.tmp"
	mv "$STATE/plan.tmp" "$STATE/plan"
	mount -t bpf bpf "$STATE/bpffs"
	mkdir -p "$CGROOT/ext"
	for node in $(plan | awk '$1 == "node" { print $2 }'); do
		add_node "$node"
	done
	link_nodes
	while read -r _ name _ node ip cg ports; do
		add_pod "$name" "$node" "$ip" "$cg" "$ports" "$i"
		i=$((i + 1))
	done < <(plan | awk '$1 == "pod"')
	attach_host "$P-ext" "$(plan | awk '$1 == "node" && $3 == 1 { print $2 }')" vext "$EXT_IP"
	for node in $(plan | awk '$1 == "node" { print $2 }'); do
		ip -n "$P-$node" -batch "$STATE/batch-$node"
	done
	wait_servers
	echo "mesh: up: $(plan | grep -c '^node ') nodes, $i pods (tools/mesh.sh pods)"
}

# ---- agents ----

agent() { # NODE [FLAGS...]
	local node=$1 cfg
	shift
	plan | awk -v n="$node" '$1 == "node" && $2 == n { f = 1 } END { exit !f }' ||
		die "no node $node"
	[ -x "$BIN" ] || die "$BIN not built (make OUT=$OUT)"
	[ -x "$AGENT_BIN" ] || die "$AGENT_BIN not built (make OUT=$OUT)"
	cfg=$(plan | awk '$1 == "config" { print $2 }')
	mkdir -p "$STATE/bpffs/$node" "$STATE/state/$node"
	# one CA for the whole mesh, so the nodes' SVIDs verify each other,
	# and --mtls: the mesh's calls go through the agents' HBONE tunnels
	# (IMT_MTLS=0: the kernel's direct L4 path only)
	local mtls=--mtls
	[ "${IMT_MTLS:-1}" = 0 ] && mtls=""
	[ -e "$STATE/ca/ca-cert.pem" ] || "$BIN" ca init "$STATE/ca" >/dev/null ||
		die "could not make the mesh CA in $STATE/ca"
	# Not through run_in: this subshell joins the cgroup and starts
	# nsenter, which execs the agent (the same pid), then waits for it and
	# writes its exit status to agent-NODE.rc: a test tells a clean stop
	# (0) from a crash or a sanitizer's report.
	rm -f "$STATE/agent-$node.pid" "$STATE/agent-$node.rc"
	(echo "$BASHPID" >"$CGROOT/agents/$node/cgroup.procs" || exit 1
	 nsenter --net="/run/netns/$P-$node" "$AGENT_BIN" agent --config "$cfg" \
		--node "$node" --pin-root "$STATE/bpffs/$node" \
		--state-dir "$STATE/state/$node" --cgroup-root "$CGROOT/$node" \
		--ca-dir "$STATE/ca" ${mtls:+"$mtls"} "$@" &
	 echo $! >"$STATE/agent-$node.pid.tmp"
	 mv "$STATE/agent-$node.pid.tmp" "$STATE/agent-$node.pid"
	 wait $!
	 echo $? >"$STATE/agent-$node.rc") >>"$STATE/log/agent-$node.log" 2>&1 </dev/null &
	for _ in $(seq 50); do
		[ -s "$STATE/agent-$node.pid" ] && break
		sleep 0.1
	done
	cat "$STATE/agent-$node.pid" 2>/dev/null || die "agent $node did not start"
}

agent_stop() { # NODE
	local f=$STATE/agent-$1.pid pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	rm -f "$f"
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "mesh: agent $1 ($pid) ignored SIGTERM for 5 s; killing it" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

pods() {
	plan | awk -v p="$P" -v cg="$CGROOT" '$1 == "pod" {
		printf "%s %s %s %s-pod-%s vp%d %s/%s/%s\n", $2, $4, $5, p, $2, i++, cg, $4, $6 }'
}

env_out() {
	cat <<-EOF
		IMT_PREFIX=$P
		IMT_STATE=$STATE
		IMT_CGROOT=$CGROOT
		IMT_BPFFS=$STATE/bpffs
		IMT_EXT_IP=$EXT_IP
	EOF
}

need_up() { [ -f "$STATE/plan" ] || die "the mesh is not up (tools/mesh.sh up)"; }

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
up) up "$@" ;;
down) down ;;
exec)
	[ $# -ge 2 ] || die "usage: tools/mesh.sh exec POD CMD..."
	need_up
	pod=$1
	shift
	run_in "$P-pod-$pod" "$(pod_cgroup "$pod")" "$@"
	;;
node)
	[ $# -ge 2 ] || die "usage: tools/mesh.sh node NODE CMD..."
	need_up
	node=$1
	shift
	run_in "$P-$node" "$CGROOT/agents/$node" "$@"
	;;
ext)
	[ $# -ge 1 ] || die "usage: tools/mesh.sh ext CMD..."
	need_up
	run_in "$P-ext" "$CGROOT/ext" "$@"
	;;
agent)
	[ $# -ge 1 ] || die "usage: tools/mesh.sh agent NODE [FLAGS...]"
	need_up
	agent "$@"
	;;
agent-stop)
	[ $# -eq 1 ] || die "usage: tools/mesh.sh agent-stop NODE"
	agent_stop "$1"
	;;
maps)
	[ $# -ge 2 ] || die "usage: tools/mesh.sh maps NODE list|dump [NAME] [-o json]"
	need_up
	node=$1
	shift
	"$BIN" maps "$@" --pin-root "$STATE/bpffs/$node" --state-dir "$STATE/state/$node"
	;;
pods) need_up && pods ;;
env) env_out ;;
*)
	sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
