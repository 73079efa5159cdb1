#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the kTLS lane's VM (tools/ktls-lane.sh puts it in /lane/run):
# two real infermesh agents on Debian's 6.1 kernel, as tools/mesh.sh
# builds the test mesh: nodes lane-a and lane-b (network namespaces joined
# by a veth), each workload of /lane/mesh a pod (a namespace behind a veth
# on its node, in its own cgroup), the agents with --mtls. It proves the
# agents' BPF programs pass this kernel's verifier and work attached, and
# that their HBONE tunnels run on kTLS: both say their dataplane is
# loaded, the client's connect() to the service address reaches the echo
# pod on the other node (connect4 rewrote it, the agents carried it over
# an mTLS tunnel) and the reply comes back intact, both ends of the tunnel
# moved the kernel's TLS counters in their pod's namespace (the tunnel's
# sockets live there) and both agents report the tunnel's crypto as ktls;
# the intruder's connect() is refused by the DENY policy and counted
# (policy_deny up by one), and the agents stop on SIGTERM. Prints
# "LANE RESULT passed=N failed=M" as the other lane programs do.
B=/lane/agent/infermesh
IP=/lane/agent/ip	# iproute2's: busybox's cannot make a veth
CG=/sys/fs/cgroup/lane
GW=169.254.1.1
pass=0
fail=0
ok() { echo "LANE agent ok: $*"; pass=$((pass + 1)); }
bad() { echo "LANE agent FAIL: $*"; fail=$((fail + 1)); }

# wait_for N CMD...: up to N tenths of a second until CMD succeeds
wait_for() {
	wf_n=$1
	shift
	wf_i=0
	while [ "$wf_i" -lt "$wf_n" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		wf_i=$((wf_i + 1))
	done
	return 1
}

# in_pod NETNS CGROUP CMD...: CMD in that namespace with its process in
# that cgroup (the cgroup first: nsenter then becomes CMD, same pid)
in_pod() {
	sh -c 'ns=$0 cg=$1 && shift && echo $$ >"$cg/cgroup.procs" &&
		exec nsenter --net="/run/netns/$ns" "$@"' "$@"
}

node() { # NAME
	$IP netns add "$1"
	$IP -n "$1" link set lo up
	nsenter --net="/run/netns/$1" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
	mkdir -p "$CG/$1" "$CG/agents/$1" "/sys/fs/bpf/$1"
}

pod() { # NAME NODE NODE-IF ADDRESS
	$IP netns add "pod-$1"
	$IP -n "$2" link add "$3" type veth peer name eth0 netns "pod-$1"
	$IP -n "pod-$1" link set lo up
	$IP -n "pod-$1" addr add "$4/32" dev eth0
	$IP -n "pod-$1" link set eth0 up
	$IP -n "pod-$1" route add "$GW" dev eth0 scope link
	$IP -n "pod-$1" route add default via "$GW" dev eth0
	$IP -n "$2" addr add "$GW/32" dev "$3"
	$IP -n "$2" link set "$3" up
	$IP -n "$2" route add "$4/32" dev "$3"
	mkdir -p "$CG/$2/$1"
}

agent() { # NODE: starts it, its pid in agent_NODE
	sh -c 'echo $$ >"$1/cgroup.procs" && exec nsenter --net="/run/netns/$0" "$2" agent -v \
		--config /lane/mesh --node "$0" --pin-root "/sys/fs/bpf/$0" \
		--state-dir "/lane/state/$0" --cgroup-root "$3/$0" --ca-dir /lane/ca --mtls' \
		"$1" "$CG/agents/$1" "$B" "$CG" >"/tmp/agent-$1.log" 2>&1 &
	eval "agent_${1#lane-}=$!"
}

# (the agent gone ends the wait at once)
loaded() { # NODE PID
	kill -0 "$2" || return 0
	"$B" status --state-dir "/lane/state/$1" -o json | tr -d ' \n' |
		grep -q '"loaded":true'
}

policy_denies() {
	"$B" maps dump drops --pin-root /sys/fs/bpf/lane-a \
		--state-dir /lane/state/lane-a | awk '$1 == "policy_deny" { print $3 }'
}

# tls_stat NETNS FIELD: that namespace's /proc/net/tls_stat counter
tls_stat() {
	nsenter --net="/run/netns/$1" cat /proc/net/tls_stat |
		awk -v f="$2" '$1 == f { print $2 }'
}

# tls_moved NETNS FIELD BEFORE: the counter read and above BEFORE
tls_moved() {
	tm_now=$(tls_stat "$1" "$2")
	if [ -n "$3" ] && [ -n "$tm_now" ] && [ "$tm_now" -gt "$3" ]; then
		ok "$1: $2 $3 -> $tm_now (kernel TLS on the tunnel's socket)"
	else
		bad "$1: $2 '$3' -> '$tm_now' (not moved, or unreadable)"
	fi
}

# tunnel_ktls NODE DIRECTION: the node's one tunnel, in that direction,
# with its crypto in the kernel
tunnel_ktls() {
	tk_j=$("$B" proxy-config tunnels --state-dir "/lane/state/$1" -o json |
		tr -d ' \n')
	tk_n=$(echo "$tk_j" | grep -o '"direction":"[a-z]*"' | wc -l)
	tk_d=$(echo "$tk_j" | grep -o '"direction":"[a-z]*"' | cut -d'"' -f4)
	tk_c=$(echo "$tk_j" | grep -o '"crypto":"[a-z]*"' | cut -d'"' -f4)
	if [ "$tk_n" = 1 ] && [ "$tk_d" = "$2" ] && [ "$tk_c" = ktls ]; then
		ok "$1: one $2 tunnel, crypto ktls"
	else
		bad "$1: tunnels $tk_n, direction '$tk_d', crypto '$tk_c': $tk_j"
	fi
}

# the pod's listener of the agent's proxy (the agent makes it in the pod's
# namespace once a process runs there)
listening() { # NETNS PORT
	nsenter --net="/run/netns/$1" netstat -tln | grep -q ":$2 "
}

stop() { # NODE PID
	kill "$2"
	if wait_for 100 sh -c '! kill -0 "$0"' "$2"; then
		wait "$2"
		rc=$?
		# -v lines carry the time since start: "NAME: [+N ms] stopped"
		if [ "$rc" = 0 ] && grep -Eq "^infermesh agent $1: (\[[^]]*\] )?stopped" "/tmp/agent-$1.log"; then
			ok "agent $1 stopped on SIGTERM, exit 0"
		else
			bad "agent $1's stop: exit $rc, or no 'stopped' line in its log"
		fi
	else
		bad "agent $1 still running 10 s after SIGTERM"
		kill -9 "$2"
	fi
}

mkdir -p /sys/fs/bpf /sys/fs/cgroup /tmp /run/netns
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
node lane-a
node lane-b
$IP -n lane-a link add node0 type veth peer name node0 netns lane-b
$IP -n lane-a addr add 10.10.0.1/24 dev node0
$IP -n lane-b addr add 10.10.0.2/24 dev node0
$IP -n lane-a link set node0 up
$IP -n lane-b link set node0 up
$IP -n lane-a route add 10.10.2.0/24 via 10.10.0.2
$IP -n lane-b route add 10.10.1.0/24 via 10.10.0.1
pod client lane-a vp0 10.10.1.10
pod intruder lane-a vp1 10.10.1.12
pod echo lane-b vp0 10.10.2.11
"$B" ca init /lane/ca >/dev/null || bad "ca init"

# a process in each pod before the agents start, as a pod's would be: the
# agent finds a pod's namespace through a process in its cgroup
holders=
for p in client:lane-a intruder:lane-a echo:lane-b; do
	in_pod "pod-${p%:*}" "$CG/${p#*:}/${p%:*}" sleep 600 &
	holders="$holders $!"
done

agent lane-a
agent lane-b
# the verifier under TCG is slow: up to 120 s for the load and first apply
for n in a b; do
	eval "pid=\$agent_$n"
	if wait_for 1200 loaded "lane-$n" "$pid" && kill -0 "$pid"; then
		ok "agent lane-$n's dataplane loaded and attached on $(uname -r)"
	else
		bad "agent lane-$n's dataplane not loaded on $(uname -r)"
	fi
done

# the echo workload: per connection, answers with what it read
printf '#!/bin/sh\nread -r l\necho "echo:$l"\n' >/tmp/reply
chmod +x /tmp/reply
in_pod pod-echo "$CG/lane-b/echo" nc -ll -p 8080 -e /tmp/reply &
wait_for 50 nsenter --net=/run/netns/pod-echo sh -c 'netstat -tln | grep -q ":8080 "' ||
	bad "echo not listening"
# the call goes through both agents' in-pod listeners: wait for them
wait_for 300 listening pod-client 15001 || bad "lane-a: no :15001 in pod-client"
wait_for 300 listening pod-echo 15008 || bad "lane-b: no :15008 in pod-echo"

c_tx=$(tls_stat pod-client TlsTxSw) c_rx=$(tls_stat pod-client TlsRxSw)
e_tx=$(tls_stat pod-echo TlsTxSw) e_rx=$(tls_stat pod-echo TlsRxSw)

# 10.96.0.1 is routed nowhere: only connect4 can make this work
got=$(echo "lane-$$" | in_pod pod-client "$CG/lane-a/client" nc -w 10 10.96.0.1 8080)
if [ "$got" = "echo:lane-$$" ]; then
	ok "client (lane-a) -> service 10.96.0.1:8080 reached echo on lane-b (connect4 balanced it)"
else
	bad "client -> service: got '$got'"
fi
tls_moved pod-client TlsTxSw "$c_tx"
tls_moved pod-client TlsRxSw "$c_rx"
tls_moved pod-echo TlsTxSw "$e_tx"
tls_moved pod-echo TlsRxSw "$e_rx"
tunnel_ktls lane-a outbound
tunnel_ktls lane-b inbound

before=$(policy_denies)
[ -n "$before" ] || bad "drops counter cannot be read"
# EPERM from connect4, not any failure (an unreachable address also fails)
err=$(echo x | in_pod pod-intruder "$CG/lane-a/intruder" nc -w 10 10.96.0.1 8080 2>&1 >/dev/null)
case $err in
*"not permitted"*) ok "intruder refused at connect(): $err" ;;
*) bad "intruder not refused by policy: '$err'" ;;
esac
after=$(policy_denies)
if [ -n "$before" ] && [ "$after" = "$((before + 1))" ]; then
	ok "policy_deny counted: $before -> $after"
else
	bad "policy_deny $before -> $after"
fi

stop lane-a "$agent_a"
stop lane-b "$agent_b"
for h in $holders; do
	kill "$h"
done
# the agents' own lines; after a failure the logs' ends too (a refused
# program: the verifier's last words)
for n in lane-a lane-b; do
	if [ "$fail" = 0 ]; then
		grep '^infermesh agent' "/tmp/agent-$n.log"
	else
		grep -v '^libbpf: elf:\|^libbpf: map\|^libbpf: sec' "/tmp/agent-$n.log" | tail -40
	fi | sed "s/^/LANE agent $n log: /"
done

echo "LANE RESULT passed=$pass failed=$fail"
[ "$fail" = 0 ]
