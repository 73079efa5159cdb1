#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: what infermesh does today, in about a minute, leaving nothing
# behind. Without root: analyze the example mesh, explain what it does, the
# findings on the user's own (seed) configuration, and what this kernel
# offers the dataplane. As root, then, the mesh live: the example mesh as
# it is (STRICT) on two test nodes (tools/mesh.sh), an agent with --mtls on
# each, and real connections showing mTLS between workloads, the 90/10
# canary split, refusals by principal and of STRICT plaintext (counted), and
# an ejected endpoint coming back. Every claim printed is checked first:
# a false one stops the demo with "NOT TRUE".
#
# Environment: OUT (build dir), DEMO_EXPLAIN_LINES, DEMO_LIVE=0 to skip
# the live part, IMT_PREFIX (the test mesh's names, default imdemo).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-.output}
export OUT
BIN=$OUT/infermesh
SEED=../shared/fixtures/seed
EXPLAIN_LINES=${DEMO_EXPLAIN_LINES:-60}
START=$SECONDS

[ -x "$BIN" ] || { echo "demo: $BIN not built (make OUT=$OUT)" >&2; exit 2; }

step() {
	if [ -t 1 ]; then
		printf '\n\033[1m== %s ==\033[0m\n' "$*"
	else
		printf '\n== %s ==\n' "$*"
	fi
}

# analyze exits 1 when it finds errors: that is the point of the demo, not
# a failure of it. Only a crash or unusable input (>1) stops us.
analyze() {
	local rc=0
	"$BIN" analyze "$@" || rc=$?
	[ "$rc" -le 1 ] || { echo "demo: analyze $* exited with $rc" >&2; exit 1; }
}

mesh=examples/mesh
if [ ! -d "$mesh" ]; then
	echo "note: $mesh/ is missing; using the seed configuration $SEED/"
	mesh=$SEED
fi

step "1. infermesh analyze -f $mesh/"
analyze -f "$mesh"

step "2. infermesh analyze -f $mesh/ --explain (first $EXPLAIN_LINES lines)"
explain=$("$BIN" analyze -f "$mesh" --explain --no-info 2>/dev/null |
	sed -n '/^\(Error\|Warning\|Info\) \[/q;p')
if [ -n "$explain" ]; then
	printf '%s\n' "$explain" | head -n "$EXPLAIN_LINES"
	total=$(printf '%s\n' "$explain" | wc -l)
	[ "$total" -gt "$EXPLAIN_LINES" ] &&
		echo "... ($((total - EXPLAIN_LINES)) more lines)"
else
	echo "(--explain printed nothing for this mesh)"
fi

step "3. the seed configuration ($SEED/): findings in brief"
if [ -d "$SEED" ]; then
	# python3 is a build dependency already; jq is not
	"$BIN" analyze -f "$SEED" -o json 2>/dev/null | python3 -c '
import json, os, sys
n = {}
for f in json.load(sys.stdin):
    where = "%s:%d" % (os.path.basename(f["file"]), f["line"]) if f["file"] else "-"
    print("%-8s %-8s %-60s %s" % (f["level"], f["code"], f["resource"] or "-", where))
    n[f["level"]] = n.get(f["level"], 0) + 1
print("\n%d errors, %d warnings, %d info" % (n.get("Error", 0), n.get("Warning", 0), n.get("Info", 0)))
'
else
	echo "(no $SEED/ beside the repository)"
fi

step "4. infermesh features: what this kernel offers the dataplane"
"$BIN" features

if [ "${DEMO_LIVE:-1}" = 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	cat <<-EOF

		****************************************************************
		*** The live mesh (mTLS, canary split, policy, STRICT drops, ***
		*** ejection) NEEDS ROOT: network namespaces, cgroups, BPF.  ***
		*** Run:  sudo make demo                                     ***
		****************************************************************
	EOF
	exit 0
fi

# ---- the live mesh ----

MESH=tools/mesh.sh
export IMT_PREFIX=${IMT_PREFIX:-imdemo}
export IMT_MTLS=1	# tools/mesh.sh's agents run --mtls
TMP=$(mktemp -d /tmp/imdemo.XXXXXX)
CFG=$TMP/config	# the agents watch it: nothing else goes there
POOLS=tools/demo-pools.yaml
VR=10.96.0.3		# vector-retriever (examples/mesh/01-services.yaml)
MS=10.96.0.5		# model-server
EJECT=10.96.1.2		# demo-eject ($POOLS)
ORCH_IP=10.10.1.11
VR_B=10.10.2.12
RERANKER=10.10.2.13
EJ2=10.10.2.53		# demo-eject-2
ID=spiffe://cluster.local/ns/ai-inference/sa
# The interpreter itself, not a version manager's shim: a shim costs a
# second per client run on a busy machine.
PY=$(python3 -c 'import sys; print(sys.executable)')

cleanup() {
	timeout 60 "$MESH" down >/dev/null 2>&1
	rm -rf "$TMP"
	echo
	echo "demo: mesh removed; $((SECONDS - START)) s of wall time in all"
}
trap cleanup EXIT

die() {
	echo "demo: $*" >&2
	for f in "/run/$IMT_PREFIX-mesh"/log/agent-*.log; do
		[ -f "$f" ] && tail -n 5 "$f" >&2
	done
	exit 1
}

# Every claim the demo prints is checked: claim LABEL CMD... prints LABEL
# when CMD succeeds and stops the demo, loudly, when it does not.
claim() {
	local label=$1
	shift
	"$@" >/dev/null 2>&1 || die "NOT TRUE: $label"
	echo "  checked: $label"
}
is() { [ "$1" = "$2" ]; }

# JSON on stdin, a Python expression over it (j) printed.
# One connection from POD (or "ext", the host outside the mesh) to
# HOST:PORT, one SYN's worth of patience: what the caller sees.
try_connect() { # POD HOST PORT
	local where=(exec "$1")
	[ "$1" = ext ] && where=(ext)
	"$MESH" "${where[@]}" "$PY" -c '
import errno, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    with socket.create_connection((host, port), timeout=0.8) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b"".join(iter(lambda: s.recv(4096), b""))
        print("answered by", reply.split(b"\r\n\r\n")[-1].decode().strip())
except socket.timeout:
    print("no answer: timed out (dropped on the way)")
except OSError as e:
    print("connect() failed at once: %s (%s)" % (errno.errorcode.get(e.errno, "?"), e.strerror))
' "$2" "$3"
}

# N connections from POD to HOST:PORT, one request each, into FILE as
# JSON (tools/mesh-client.py count); its answers, as shares, printed.
count() { # POD HOST PORT N FILE [--request "METHOD PATH"]
	"$MESH" exec "$1" "$PY" tools/mesh-client.py count "$2" "$3" "$4" --deadline 30 "${@:6}" >"$5"
	"$PY" - "$5" <<-'PY'
		import json, sys
		j = json.load(open(sys.argv[1]))
		n = j["connections"]
		for k, v in sorted(j["answers"].items()):
		    print("    %-20s %4d  %5.1f%%" % (k, v, 100.0 * v / n))
		for k, v in sorted(j["errors"].items()):
		    print("    %-20s %4d  (failed: %s)" % ("-", v, k))
		print("    %d connections in %.1f s" % (n, j["elapsed_s"]))
	PY
}
json_of() { "$PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# From `maps dump NAME -o json` on NODE, EXPR over its rows (r).
maps_rows() { # NODE NAME EXPR
	"$MESH" maps "$1" dump "$2" -o json 2>/dev/null | "$PY" -c '
import json, sys
try:
    rows = json.load(sys.stdin)["rows"]
except (ValueError, KeyError):
    sys.exit(1)	# no pins yet, or not this view
for r in rows:
    v = eval(sys.argv[1])
    if v is not None:
        print(v)' "$3"
}

drops() { # NODE REASON: that drop counter (0 when never counted)
	local n
	n=$(maps_rows "$1" drops 'r["count"] if r["reason"] == "'"$2"'" else None')
	echo "${n:-0}"
}

# Requests refused by per-request AuthorizationPolicy (no ALLOW rule
# matched), summed over both nodes' agents (`proxy-config refusals`).
l7_denied() {
	local node n sum=0
	for node in node-a node-b; do
		n=$(proxy_config "$node" refusals -o json |
			"$PY" -c 'import json, sys; print(sum(r["count"] for r in json.load(sys.stdin)["refusals"] if (r["source"], r["reason"]) == ("l7", "no_allow_match")))') || n=-1000
		sum=$((sum + n))
	done
	echo "$sum"
}

# demo-eject's endpoints on NODE, as `maps dump endpoints` has them.
endpoints() { # NODE
	printf '    %-16s %-14s %-22s %s\n' ENDPOINT WORKLOAD STATE EJECTIONS
	maps_rows "$1" endpoints '"    %-16s %-14s %-22s %d" % (r["endpoint"], r["workload"].split("/")[1], "ejected (%.1f s left)" % (r["ejected_ms_left"] / 1000) if r["ejected"] else "healthy", r["ejections"]) if "demo-eject" in (r["workload"] or "") else None'
}
ejected() { # NODE ENDPOINT: "True" while ejected
	maps_rows "$1" endpoints 'r["ejected"] if r["endpoint"] == "'"$2"'" else None'
}
is_healthy() { is "$(ejected "$1" "$2")" False; }

# `infermesh proxy-config VIEW` of NODE's agent (its admin socket).
proxy_config() { # NODE VIEW [-o json]
	"$BIN" proxy-config "$2" --state-dir "/run/$IMT_PREFIX-mesh/state/$1" "${@:3}"
}

wait_for() { # SECONDS CMD...: polls CMD every 0.25 s, at most SECONDS
	for _ in $(seq $(($1 * 4))); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	return 1
}
# Every local workload of NODE has the agent's :15001 and :15008.
all_listening() { # NODE
	grep -Eq "mTLS: listening for ([0-9]+) of \1 local workloads" \
		"/run/$IMT_PREFIX-mesh/log/agent-$1.log"
}
vip_live() { # NODE VIP
	[ -n "$(maps_rows "$1" services 'r["vip"] if r["vip"] == "'"$2"'" else None')" ]
}

pod_cgroup() { "$MESH" pods | awk -v p="$1" '$1 == p { print $6 }'; }
server_stop() { # POD: its server killed, and gone
	# shellcheck disable=SC2046 # one pid a word
	kill $(cat "$(pod_cgroup "$1")/cgroup.procs") 2>/dev/null
	# shellcheck disable=SC2016 # $1 is the inner shell's
	wait_for 5 bash -c '! grep -q . "$1/cgroup.procs"' _ "$(pod_cgroup "$1")"
}
server_start() { # POD ADDRESS: its server again, listening
	"$MESH" exec "$1" "$PY" tools/mesh-server.py "$1" "$2" 8080 >"$TMP/$1.log" 2>&1 </dev/null &
	wait_for 5 grep -q "serving on" "$TMP/$1.log"
}

step "5. the example mesh, live, as it is: STRICT mutual TLS"
cat <<-EOF
	$mesh/ as it is (STRICT everywhere but the metrics port 9090, its
	AuthorizationPolicies), on two test nodes (tools/mesh.sh: network
	namespaces, a veth per pod, a cgroup per workload), next to a small
	service of the demo's own ($POOLS).
	An agent per node, with --mtls: the kernel picks the endpoint at
	connect(), and the agents carry the call between the workloads' own
	addresses as HBONE (HTTP/2 CONNECT over TLS 1.3), each side proving
	its SPIFFE identity.
EOF
mkdir "$CFG"
cp "$mesh"/*.yaml "$POOLS" "$CFG/" || die "cannot copy the config"
t=$SECONDS
timeout 120 "$MESH" up "$CFG" || die "tools/mesh.sh up failed"
for node in node-a node-b; do
	"$MESH" agent "$node" >/dev/null || die "agent $node"
done
for node in node-a node-b; do
	wait_for 60 all_listening "$node" || die "$node: the agent's proxy does not listen in every pod"
	wait_for 30 vip_live "$node" "$EJECT" || die "$node: the agent never made the services live"
done
echo "two nodes, $("$MESH" pods | wc -l) pods, an agent on each: $((SECONDS - t)) s"
for f in "/run/$IMT_PREFIX-mesh"/log/agent-*.log; do
	grep -E " live: |mTLS: listening" "$f" | tail -n 2 | sed "s/^/    $(basename "$f" .log): /"
done

step "6. mTLS between workloads: orchestrator -> vector-retriever:8080 ($VR)"
echo "vector-retriever-access allows orchestrator's principal; 30 connections:"
count orchestrator "$VR" 8080 30 "$TMP/vr.json"
claim "all 30 answered by vector-retriever's endpoints" is \
	"$(json_of "$TMP/vr.json" 'sum(v for k, v in j["answers"].items() if k.startswith("vector-retriever-"))')" 30
got=$("$MESH" exec orchestrator curl -s --max-time 5 "http://$VR_B:8080/peer")
echo "vector-retriever-b says who called: $got"
claim "the app sees orchestrator's own address ($ORCH_IP), not a proxy's" is "$got" "vector-retriever-b $ORCH_IP"
echo "infermesh proxy-config tunnels (node-a):"
proxy_config node-a tunnels | sed 's/^/    /'
proxy_config node-a tunnels -o json >"$TMP/tunnels.json" || die "proxy-config tunnels failed"
claim "node-a's outbound tunnels run from orchestrator's address and identity to vector-retriever's" is \
	"$(json_of "$TMP/tunnels.json" 'sorted({(t["local_ip"], t["local_id"], t["peer_id"]) for t in j["tunnels"] if t["direction"] == "outbound"})')" \
	"[('$ORCH_IP', '$ID/orchestrator', '$ID/vector-retriever')]"
claim "they carried the 31 calls as streams, fewer tunnels than calls (pooled)" "$PY" -c '
import json, sys
t = [t for t in json.load(open(sys.argv[1]))["tunnels"] if t["direction"] == "outbound"]
sys.exit(not (sum(x["streams_total"] for x in t) == 31 and len(t) < 31))' "$TMP/tunnels.json"

step "7. canary: 500 requests POST /v1/predict api-gateway -> model-server:8080 ($MS)"
cat <<-EOF
	VirtualService model-server, route 'canary': v1-stable 90, v2-experimental
	10. The kernel picks the subset by weight at connect() (v1 in the caller's
	zone, us-east-1a, first), the agents carry the call over mTLS, and
	model-server's agent judges each HTTP request by model-server-access
	(api-gateway's principal, POST, /v1/predict). One connection per request:
EOF
count api-gateway "$MS" 8080 500 "$TMP/canary.json" --request "POST /v1/predict"
claim "500 requests, none failed" is \
	"$(json_of "$TMP/canary.json" 'j["connections"] if j["complete"] and not j["errors"] else -1')" 500
claim "each reached model-server's POST /v1/predict handler" is \
	"$(json_of "$TMP/canary.json" 'all(k.endswith(" POST /v1/predict") for k in j["answers"])')" True
v2=$(json_of "$TMP/canary.json" 'sum(v for k, v in j["answers"].items() if k.startswith("model-server-v2 "))')
# 5 standard deviations of a binomial: 10% of 500 is 50 +- 34
claim "v2-experimental got 10% ($v2 of 500: within 5 standard deviations, 16..84)" test "$v2" -ge 16 -a "$v2" -le 84

step "8. refused by principal and by request, counted"
before_a=$(drops node-a policy_no_allow)
before_b=$(drops node-b policy_no_allow)
echo "api-gateway -> vector-retriever:8080 (vector-retriever-access names orchestrator only):"
out=$(try_connect api-gateway "$VR" 8080)
echo "    $out"
claim "refused with EPERM at connect(), at the source" grep -q "EPERM" <<<"$out"
echo "reranker -> model-server:8080 (model-server-access names api-gateway and orchestrator only):"
out=$(try_connect reranker "$MS" 8080)
echo "    $out"
claim "refused with EPERM at connect()" grep -q "EPERM" <<<"$out"
echo "maps dump drops, policy_no_allow: node-a $before_a -> $(drops node-a policy_no_allow), node-b $before_b -> $(drops node-b policy_no_allow)"
claim "each refusal counted once, on the caller's node" is \
	"$(drops node-a policy_no_allow) $(drops node-b policy_no_allow)" "$((before_a + 1)) $((before_b + 1))"
before=$(l7_denied)
echo "api-gateway GET / on model-server:8080 (model-server-access allows POST on its paths only):"
out=$("$MESH" exec api-gateway curl -s --max-time 5 -w ' (HTTP %{http_code})' "http://$MS:8080/")
echo "    $out"
claim "answered 403 by model-server's agent (the workload answers any GET with 200)" is "$out" "RBAC: access denied (HTTP 403)"
echo "proxy-config refusals, l7 no_allow_match (both nodes): $before -> $(l7_denied)"
claim "counted once" is "$(l7_denied)" "$((before + 1))"

step "9. STRICT: plaintext from a process outside the mesh is dropped, and counted"
before=$(drops node-b strict_plaintext)
echo "host outside the mesh -> reranker $RERANKER:8081 (STRICT), plaintext:"
out=$(try_connect ext "$RERANKER" 8081)
echo "    $out"
claim "no answer: dropped on the way" grep -q "timed out" <<<"$out"
echo "host outside the mesh -> vector-retriever-b $VR_B:8080 (STRICT), plaintext:"
out=$(try_connect ext "$VR_B" 8080)
echo "    $out"
claim "no answer" grep -q "timed out" <<<"$out"
echo "maps dump drops, strict_plaintext on node-b (the destination's tc guard): $before -> $(drops node-b strict_plaintext)"
claim "both dropped by node-b's guard, counted as strict_plaintext" test "$(drops node-b strict_plaintext)" -ge $((before + 2))
echo "host outside the mesh -> reranker $RERANKER:9090 (PERMISSIVE: metrics-plaintext):"
out=$(try_connect ext "$RERANKER" 9090)
echo "    $out"
claim "answered in plaintext" is "$out" "answered by reranker"

step "10. outlier detection: demo-eject-2 stopped, ejected, back"
cat <<-EOF
	demo-eject: two endpoints, ROUND_ROBIN, ejected after 2 failed calls for
	3 s. Its calls go over mTLS: the destination's agent answers 503 for a
	stopped workload, the caller's agent charges that to the endpoint in the
	kernel's outlier state, and connect4 skips it from then on.
EOF
server_stop demo-eject-2 || die "demo-eject-2's server did not stop"
echo "demo-eject-2's server stopped; 20 connections from api-gateway, in order:"
# on one CPU: the kernel keeps the round-robin position per CPU, as Envoy
# does per worker, so one CPU sees one exact rotation
"$MESH" exec api-gateway taskset -c 0 "$PY" tools/mesh-client.py probe "$EJECT" 8080 20 >"$TMP/probe1.json"
echo "    $(json_of "$TMP/probe1.json" '" ".join(j["results"])')"
failed=$(json_of "$TMP/probe1.json" '" ".join(x for x in j["results"] if x != "demo-eject-1")')
claim "exactly 2 calls failed ($failed), both to demo-eject-2 (ROUND_ROBIN: every other one), then none" "$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
bad = [i for i, x in enumerate(r) if x != "demo-eject-1"]
sys.exit(not (len(bad) == 2 and bad[1] - bad[0] == 2 and "demo-eject-2" not in r))' "$TMP/probe1.json"
echo "maps dump endpoints on node-a:"
endpoints node-a
claim "demo-eject-2 is ejected in the kernel's table" is "$(ejected node-a "$EJ2:8080")" True
server_start demo-eject-2 "$EJ2" || die "demo-eject-2's server did not start"
echo "server restarted; the kernel lets the endpoint back after baseEjectionTime"
echo "(3 s), without the agent's help:"
claim "demo-eject-2 healthy again within 10 s" wait_for 10 is_healthy node-a "$EJ2:8080"
endpoints node-a
"$MESH" exec api-gateway "$PY" tools/mesh-client.py probe "$EJECT" 8080 10 >"$TMP/probe2.json"
echo "10 connections from api-gateway: $(json_of "$TMP/probe2.json" '" ".join(j["results"])')"
claim "both endpoints answer again, none failed" is \
	"$(json_of "$TMP/probe2.json" 'sorted(set(j["results"]))')" "['demo-eject-1', 'demo-eject-2']"

step "11. clean up"
