#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Mutual TLS end to end on examples/mesh as it is (STRICT, its
# AuthorizationPolicies, no overlay), both agents with --mtls (tools/mesh.sh
# agent):
#   - orchestrator -> vector-retriever:8080 (allowed by principal) works from
#     a real client (curl), through the service address and to each
#     endpoint, and the backend sees orchestrator's own pod address;
#   - on the node link, a capture shows the call only as TLS to :15008, from
#     orchestrator's address to the endpoint's, and none of the request's
#     bytes (a marker in the URL and a header); the same search finds a
#     marker sent in plaintext across the same link (the control);
#   - api-gateway -> vector-retriever:8080 is refused at connect() and
#     counted as policy_no_allow on node-a (the source judges first);
#   - model-server:8080 is judged per HTTP request (model-server-access
#     names methods and paths): the kernel lets its callers' connect()
#     through at L4 (the principal part of the rule), and no request that
#     the policy does not allow gets an answer from the backend (without
#     the HTTP filter the agent refuses the CONNECT itself: 401);
#   - a process with orchestrator's address but outside the mesh's cgroups
#     is not captured: its plaintext to a STRICT port is dropped by the
#     destination's guard (strict_plaintext on node-b), while PERMISSIVE
#     9090 takes it;
#   - a stopped agent leaves capture on: calls fail (refused), never go out
#     in plaintext; the restarted agent carries them again (time measured,
#     printed, not judged);
#   - both agents' proxy counters, logged at SIGTERM, say what they carried.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

e2e_need_agent
e2e_need tcpdump --version
e2e_need curl --version

VR=10.96.0.3		# vector-retriever (01-services.yaml, in file order)
MS=10.96.0.5		# model-server
ORCH_IP=10.10.1.11
VR_A=10.10.1.12		# node-a, like orchestrator
VR_B=10.10.2.12		# node-b: across the node link
RERANKER=10.10.2.13
MARK=imt-mtls-marker-$$-$RANDOM
CTRL=imt-plain-marker-$$-$RANDOM
CURL=(curl -s --max-time 5)

check "mesh up (examples/mesh, STRICT)" timeout 120 "$MESH" up
eval "$("$MESH" env)"
LOG=$IMT_STATE/log

"$MESH" agent node-a >/dev/null
"$MESH" agent node-b >/dev/null
check "node-a agent: proxy listening in its 5 pods" wait_for 60 e2e_listening node-a
check "node-b agent: proxy listening in its 5 pods" wait_for 60 e2e_listening node-b
check "orchestrator pod: the agent's 127.0.0.1:15001 and :15008" \
	bash -c "'$MESH' exec orchestrator ss -Hltn | grep -q '127.0.0.1:15001 ' &&
		 '$MESH' exec orchestrator ss -Hltn | grep -q '$ORCH_IP:15008 '"

# ---- the node link, captured while orchestrator calls across it ----

# capture_start FILE: tcpdump on node-a's end of the node link, ready
# (-Z root: it would drop to its own user, who cannot write our tmp dir;
# --immediate-mode: packets still in the ring at SIGINT would be lost).
capture_start() {
	nsenter --net="/run/netns/$IMT_PREFIX-node-a" \
		tcpdump --immediate-mode -Z root -U -nni node0 -w "$1" tcp \
		2>"$1.err" &
	cap_pid=$!
	wait_for 10 grep -q "listening on node0" "$1.err"
}
capture_stop() {
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
}
# count FILE FILTER: packets of the capture matching a tcpdump filter.
count() {
	tcpdump -nnr "$1" "$2" 2>/dev/null | wc -l
}
PAYLOAD='(((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)'
DATA='tcp[((tcp[12]&0xf0)>>2):1]'

PCAP=$E2E_TMP/mtls.pcap
check "capture on the node link started" capture_start "$PCAP"
got=$(timeout 10 "$MESH" exec orchestrator "${CURL[@]}" -H "X-Marker: $MARK" \
	"http://$VR_B:8080/peer?m=$MARK")
check_eq "orchestrator -> vector-retriever-b:8080 (node-b) over mTLS: the app sees orchestrator's address" \
	"$got" "vector-retriever-b $ORCH_IP"
for _ in 1 2 3 4 5 6; do
	timeout 10 "$MESH" exec orchestrator "${CURL[@]}" -H "X-Marker: $MARK" \
		"http://$VR:8080/peer?m=$MARK"
done >"$E2E_TMP/vip"
check_eq "orchestrator -> vector-retriever:8080 (service address), 6 calls answered from orchestrator's address" \
	"$(grep -c " $ORCH_IP\$" "$E2E_TMP/vip")" 6
has_tls() { [ "$(count "$PCAP" "tcp port 15008 and $PAYLOAD")" -gt 0 ]; }
check "the capture holds the tunnel's TLS (payload packets on :15008)" \
	wait_for 5 has_tls
capture_stop
check_eq "no payload on the node link but on :15008" \
	"$(count "$PCAP" "tcp and not port 15008 and $PAYLOAD")" 0
check "the tunnel runs from orchestrator's address to the endpoint's :15008 (SYN seen)" \
	test "$(count "$PCAP" "src host $ORCH_IP and dst host $VR_B and dst port 15008 and tcp[tcpflags] == tcp-syn")" -ge 1
check "TLS handshake records (0x16) from orchestrator's side" \
	test "$(count "$PCAP" "src host $ORCH_IP and dst port 15008 and $PAYLOAD and $DATA = 0x16")" -ge 1
check "TLS application data records (0x17, 0x0303) both ways" \
	bash -c "[ $(count "$PCAP" "dst port 15008 and $PAYLOAD and $DATA = 0x17")  -ge 1 ] &&
		 [ $(count "$PCAP" "src port 15008 and $PAYLOAD and $DATA = 0x17") -ge 1 ]"
check_eq "the request's marker is nowhere in the capture" \
	"$(grep -ac "$MARK" "$PCAP")" 0

# The control: the same capture and search see plaintext crossing the
# link (the outside host, behind node-a, to reranker's PERMISSIVE 9090).
CTRL_PCAP=$E2E_TMP/plain.pcap
check "control capture started" capture_start "$CTRL_PCAP"
got=$(timeout 10 "$MESH" ext "${CURL[@]}" "http://$RERANKER:9090/peer?m=$CTRL")
check_eq "outside host -> reranker:9090 in plaintext" "$got" "reranker $IMT_EXT_IP"
check "control: the plaintext marker is found in its capture" \
	wait_for 5 grep -aq "$CTRL" "$CTRL_PCAP"
capture_stop

# ---- refusals, counted at the source ----

before=$(e2e_drops node-a policy_no_allow)
timeout 10 "$MESH" exec api-gateway "${CURL[@]}" "http://$VR:8080/" >/dev/null
check_eq "api-gateway -> vector-retriever:8080 refused at connect() (curl: cannot connect)" "$?" 7
check_eq "counted once by node-a's connect4 as policy_no_allow" \
	"$(e2e_drops node-a policy_no_allow)" "$((before + 1))"

before=$(e2e_drops node-a policy_no_allow)
for pod in orchestrator api-gateway; do
	got=$(timeout 10 "$MESH" exec "$pod" "${CURL[@]}" -w '\n%{http_code}' \
		"http://$MS:8080/")
	rc=$?
	check "$pod -> model-server:8080: connect() passes at L4 (curl: not 'cannot connect')" \
		test "$rc" -ne 7
	check "$pod -> model-server:8080: GET / gets no answer from the backend" \
		test "$(tail -n 1 <<<"$got")" != 200 -a \
		-z "$(grep '^model-server' <<<"$got")"
done
check_eq "neither refused by node-a's connect4 (policy_no_allow +0)" \
	"$(e2e_drops node-a policy_no_allow)" "$before"
got=$(timeout 10 "$MESH" exec orchestrator "${CURL[@]}" "http://$MS:9090/")
check "orchestrator -> model-server:9090 (its port rule) works" \
	grep -q '^model-server' <<<"$got"

# ---- a process with a pod's address, outside the mesh's cgroups ----

# outsider CMD...: in orchestrator's network namespace, in the outside
# host's cgroup: the pod's address, but no mesh workload to connect4.
outsider() {
	(echo "$BASHPID" >"$IMT_CGROOT/ext/cgroup.procs" &&
	 exec nsenter --net="/run/netns/$IMT_PREFIX-pod-orchestrator" "$@")
}
before=$(e2e_drops node-b strict_plaintext)
outsider curl -s --max-time 3 "http://$VR_B:8080/" >/dev/null
check_eq "outsider (orchestrator's address) -> vector-retriever-b:8080 STRICT: plaintext times out" "$?" 28
check "dropped by node-b's guard as strict_plaintext" \
	test "$(e2e_drops node-b strict_plaintext)" -gt "$before"
got=$(outsider curl -s --max-time 5 "http://$VR_B:9090/peer")
check_eq "outsider -> vector-retriever-b:9090 PERMISSIVE takes plaintext" \
	"$got" "vector-retriever-b $ORCH_IP"

# ---- the agent stops: capture stays, calls fail closed ----

check "node-a agent stopped (SIGTERM)" "$MESH" agent-stop node-a
timeout 10 "$MESH" exec orchestrator "${CURL[@]}" "http://$VR_B:8080/" >/dev/null
check_eq "no agent: orchestrator's call is refused (captured, nobody listens), not sent in plaintext" "$?" 7
t0=$(date +%s%N)
"$MESH" agent node-a >/dev/null
answered() {
	[ "$(timeout 10 "$MESH" exec orchestrator curl -s --max-time 2 "http://$VR_B:8080/")" = vector-retriever-b ]
}
if wait_for 60 answered; then
	pass "restarted node-a agent carries orchestrator's calls again"
	echo "       measured: $((($(date +%s%N) - t0) / 1000000)) ms from starting the agent to the first answered call"
else
	fail "restarted node-a agent carries orchestrator's calls again"
fi

# ---- the proxies' own counters ----

check "node-a agent stopped" "$MESH" agent-stop node-a
check "node-b agent stopped" "$MESH" agent-stop node-b
# carried NODE: calls carried, streams, tunnels and streams answered, as
# NODE's first agent logged them when it stopped (node-a's second one only
# carried the restart's probes)
carried() {
	sed -n 's/.*mTLS: \([0-9]*\) captured calls carried in \([0-9]*\) streams, \([0-9]*\) tunnels and \([0-9]*\) streams answered.*/\1 \2 \3 \4/p' \
		"$LOG/agent-$1.log" | head -1
}
read -r out_calls out_streams _ _ <<<"$(carried node-a)"
read -r _ _ in_tunnels in_streams <<<"$(carried node-b)"
echo "       node-a: $(carried node-a); node-b: $(carried node-b) (calls, streams, tunnels, answered)"
check "node-a's proxy counters read: it carried orchestrator's 8 calls" \
	test "${out_calls:-0}" -ge 8 -a "${out_streams:-0}" -ge 8
check "node-b's proxy counters read: it answered tunnels and streams" \
	test "${in_tunnels:-0}" -ge 1 -a "${in_streams:-0}" -ge 1
