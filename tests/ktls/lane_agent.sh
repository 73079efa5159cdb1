#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the kTLS lane's VM (tools/ktls-lane.sh puts it in /lane/run):
# one real infermesh agent on Debian's 6.1 kernel, with the mesh in
# /lane/mesh. It proves the agent's BPF programs pass this kernel's
# verifier and work attached: the agent says its dataplane is loaded, a
# client's connect() to the service address reaches the echo workload
# (connect4 rewrote it), and the intruder's is refused by the DENY policy
# and counted (policy_deny up by one). Prints "LANE RESULT passed=N
# failed=M" as the other lane programs do.
B=/lane/agent/infermesh
CG=/sys/fs/cgroup/lane
ST=/lane/state
PIN=/sys/fs/bpf/lane
pass=0
fail=0
ok() { echo "LANE agent ok: $*"; pass=$((pass + 1)); }
bad() { echo "LANE agent FAIL: $*"; fail=$((fail + 1)); }

# in_cg CG CMD...: run CMD with its process in cgroup CG
in_cg() {
	cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# wait_for N CMD...: up to N tenths of a second until CMD succeeds
wait_for() {
	n=$1
	shift
	i=0
	while [ "$i" -lt "$n" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

policy_denies() {
	"$B" maps dump drops --pin-root "$PIN" --state-dir "$ST" |
		awk '$1 == "policy_deny" { print $3 }'
}

# (the agent gone ends the wait at once)
loaded() {
	kill -0 "$agent" || return 0
	"$B" status --state-dir "$ST" -o json | tr -d ' \n' | grep -q '"loaded":true'
}

mkdir -p /sys/fs/bpf /sys/fs/cgroup /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p "$CG/lane-a/client" "$CG/lane-a/echo" "$CG/lane-a/intruder" "$CG/agent" "$PIN"
for a in 10.10.1.10 10.10.1.11 10.10.1.12; do
	ip addr add "$a/32" dev lo
done

# -v: libbpf's messages, so a program this kernel refuses shows the
# verifier's reason in the console
# (not through in_cg: a function run with & is a subshell of its own, and
# $! would be that wrapper; this sh execs the agent, so $! is the agent)
sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG/agent" \
	"$B" agent -v --config /lane/mesh --node lane-a \
	--pin-root "$PIN" --state-dir "$ST" --cgroup-root "$CG/lane-a" \
	>/tmp/agent.log 2>&1 &
agent=$!
# the verifier under TCG is slow: up to 120 s for the load and first apply
if wait_for 1200 loaded && kill -0 "$agent"; then
	ok "agent's dataplane loaded and attached on $(uname -r)"
else
	bad "agent's dataplane not loaded on $(uname -r)"
fi

# the echo workload: per connection, answers with what it read
printf '#!/bin/sh\nread -r l\necho "echo:$l"\n' >/tmp/reply
chmod +x /tmp/reply
in_cg "$CG/lane-a/echo" nc -ll -p 8080 -e /tmp/reply &
wait_for 50 sh -c 'netstat -tln | grep -q ":8080 "' || bad "echo not listening"

# 10.96.0.1 is routed nowhere in the VM: only connect4 can make this work
got=$(echo "lane-$$" | in_cg "$CG/lane-a/client" nc -w 10 10.96.0.1 8080)
if [ "$got" = "echo:lane-$$" ]; then
	ok "client -> service 10.96.0.1:8080 reached echo (connect4 balanced it)"
else
	bad "client -> service: got '$got'"
fi

before=$(policy_denies)
[ -n "$before" ] || bad "drops counter cannot be read"
# EPERM from connect4, not any failure (an unreachable address also fails)
err=$(echo x | in_cg "$CG/lane-a/intruder" nc -w 10 10.96.0.1 8080 2>&1 >/dev/null)
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

gone() { ! kill -0 "$agent"; }
kill "$agent"
if wait_for 100 gone; then
	wait "$agent"
	rc=$?
	if [ "$rc" = 0 ] && grep -q '^infermesh agent lane-a: stopped' /tmp/agent.log; then
		ok "agent stopped on SIGTERM, exit 0"
	else
		bad "agent's stop: exit $rc"
	fi
else
	bad "agent still running 10 s after SIGTERM"
	kill -9 "$agent"
fi
# the agent's own lines; after a failure the log's end too (a refused
# program: the verifier's last words)
if [ "$fail" = 0 ]; then
	grep '^infermesh agent' /tmp/agent.log
else
	grep -v '^libbpf: elf:\|^libbpf: map\|^libbpf: sec' /tmp/agent.log | tail -60
fi | sed 's/^/LANE agent log: /'

echo "LANE RESULT passed=$pass failed=$fail"
[ "$fail" = 0 ]
