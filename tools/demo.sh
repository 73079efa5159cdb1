#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: what infermesh does today, in about a minute, leaving nothing
# behind. Without root: analyze the example mesh, explain what it does, the
# findings on the user's own (seed) configuration, and what this kernel
# offers the dataplane. As root, then, the L4 mesh live: the example mesh
# on two test nodes (tools/mesh.sh), an agent on each, and real
# connections showing the 90/10 canary split, connections refused by
# policy and by STRICT mTLS, and an ejected endpoint coming back.
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
		*** The live L4 mesh (canary split, policy, STRICT drops,    ***
		*** ejection) NEEDS ROOT: network namespaces, cgroups, BPF.  ***
		*** Run:  sudo make demo                                     ***
		****************************************************************
	EOF
	exit 0
fi

# ---- the live mesh ----

MESH=tools/mesh.sh
export IMT_PREFIX=${IMT_PREFIX:-imdemo}
TMP=$(mktemp -d /tmp/imdemo.XXXXXX)
CFG=$TMP/config	# the agents watch it: nothing else goes there
VIP=10.96.0.5	# model-server (examples/mesh/01-services.yaml)
ORCH=10.96.0.2	# orchestrator
RERANKER=10.10.2.13
MS_V1A=10.10.1.14
BASE_EJECTION=5s
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

# N connections from POD to HOST:PORT, one request each; JSON (see
# tools/mesh-client.py).
count() { # POD HOST PORT N
	"$MESH" exec "$1" "$PY" tools/mesh-client.py count "$2" "$3" "$4" --deadline 30
}

# The answers of a count, as shares.
shares() {
	"$PY" -c '
import json, sys
j = json.load(sys.stdin)
n = j["connections"]
for k, v in sorted(j["answers"].items()):
    print("    %-20s %4d  %5.1f%%" % (k, v, 100.0 * v / n))
for k, v in sorted(j["errors"].items()):
    print("    %-20s %4d  (failed: %s)" % ("-", v, k))
print("    %d connections in %.1f s" % (n, j["elapsed_s"]))'
}

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

drops() { # NODE REASON
	maps_rows "$1" drops 'r["count"] if r["reason"] == "'"$2"'" else None'
}

# model-server's :8080 endpoints on NODE, as `maps dump endpoints` has them.
endpoints() { # NODE
	printf '    %-16s %-20s %-20s %-22s %s\n' ENDPOINT WORKLOAD LOCALITY STATE EJECTIONS
	maps_rows "$1" endpoints '"    %-16s %-20s %-20s %-22s %d" % (r["endpoint"], r["workload"].split("/")[1], r["locality"], "ejected (%.1f s left)" % (r["ejected_ms_left"] / 1000) if r["ejected"] else "healthy", r["ejections"]) if r["endpoint"].endswith(":8080") and "model-server" in (r["workload"] or "") else None'
}

ejected_left() { # NODE ENDPOINT: ms of ejection left, 0 when healthy
	maps_rows "$1" endpoints 'r["ejected_ms_left"] if r["endpoint"] == "'"$2"'" else None'
}

wait_vip() { # NODE
	for _ in $(seq 60); do
		[ -n "$(maps_rows "$1" services 'r["vip"] if r["vip"] == "'"$VIP"'" else None')" ] && return 0
		sleep 0.5
	done
	return 1
}

# The tc guard on the node side of each of NODE's pod veths, so that what
# reaches a pod in plaintext is judged there (STRICT ports drop it).
guard_flags() { # NODE
	"$MESH" pods | awk -v n="$1" '$2 == n { printf "--guard-egress-if %s ", $5 }'
}

pod_server_pids() { # POD
	cat "$("$MESH" pods | awk -v p="$1" '$1 == p { print $6 }')/cgroup.procs"
}

step "5. the example mesh, live"
cat <<-EOF
	Until mutual TLS exists, STRICT cannot carry traffic end to end: the
	traffic below runs on a PERMISSIVE copy of $mesh/ (tools/mesh-overlay.py):
	every port PERMISSIVE except gRPC 8081, which stays STRICT and shows by
	what it drops; model-server-access, which needs mTLS principals and HTTP
	paths, removed; model-server's baseEjectionTime $BASE_EJECTION instead of 30s, so
	an ejected endpoint comes back within the demo. The other
	AuthorizationPolicies stay: a plaintext caller has no identity, as in Istio.
EOF
mkdir "$CFG"
"$PY" tools/mesh-overlay.py "$mesh" "$CFG" --base-ejection "$BASE_EJECTION" ||
	die "cannot write the overlay"
t=$SECONDS
timeout 120 "$MESH" up "$CFG" || die "tools/mesh.sh up failed"
# This demo shows the kernel's direct L4 path in plaintext (the agents
# without --mtls); tests/e2e/mesh_mtls.sh runs the mesh as it is over mTLS.
export IMT_MTLS=0
for node in node-a node-b; do
	# shellcheck disable=SC2046 # one flag a word
	"$MESH" agent "$node" $(guard_flags "$node") >/dev/null || die "agent $node"
done
{ wait_vip node-a && wait_vip node-b; } || die "the agents never made model-server's VIP live"
echo "two nodes, 10 pods, an agent on each: $((SECONDS - t)) s"
for f in "/run/$IMT_PREFIX-mesh"/log/agent-*.log; do
	sed 's/^/    /' "$f"
done

step "6. canary: 500 connections api-gateway -> model-server:8080 ($VIP)"
echo "VirtualService route 'canary': v1-stable 90, v2-experimental 10; the kernel"
echo "picks the endpoint at connect(), v1 in the caller's zone (us-east-1a) first:"
count api-gateway "$VIP" 8080 500 | shares

step "7. denied: AuthorizationPolicy decided at connect(), from the caller's cgroup"
echo "reranker -> orchestrator:8080 (orchestrator-access allows only api-gateway's principal):"
echo "    $(try_connect reranker "$ORCH" 8080)"
echo "reranker -> orchestrator:9090 (the metrics port, allowed to anyone):"
echo "    $(try_connect reranker "$ORCH" 9090)"
echo "(until mTLS exists no caller has a principal: api-gateway is refused on 8080 too)"

step "8. STRICT (gRPC port 8081): plaintext is dropped, and counted"
before_b=$(drops node-b strict_plaintext)
before_a=$(drops node-a strict_plaintext)
echo "host outside the mesh -> reranker $RERANKER:8081, plaintext:"
echo "    $(try_connect ext "$RERANKER" 8081)"
echo "api-gateway -> model-server:8081, plaintext from a mesh workload:"
echo "    $(try_connect api-gateway "$VIP" 8081)"
echo "maps dump drops, strict_plaintext:"
echo "    node-b (the destination's guard) $before_b -> $(drops node-b strict_plaintext)"
echo "    node-a (the source, at connect()) $before_a -> $(drops node-a strict_plaintext)"
echo "host outside the mesh -> reranker $RERANKER:9090 (PERMISSIVE):"
echo "    $(try_connect ext "$RERANKER" 9090)"

step "9. outlier detection: model-server-v1-a stopped, ejected, back"
# shellcheck disable=SC2046 # one pid a word
kill $(pod_server_pids model-server-v1-a) 2>/dev/null
echo "model-server-v1-a's server stopped; 50 connections from api-gateway:"
count api-gateway "$VIP" 8080 50 | shares
echo "maps dump endpoints on node-a (5 refused connects in a row eject it):"
endpoints node-a
"$MESH" exec model-server-v1-a "$PY" tools/mesh-server.py model-server-v1-a "$MS_V1A" \
	8080,8081,9090 >"$TMP/v1a.log" 2>&1 </dev/null &
for _ in $(seq 100); do
	grep -q "serving on" "$TMP/v1a.log" && break
	sleep 0.1
done
echo "server restarted; the kernel lets the endpoint back after baseEjectionTime"
echo "($BASE_EJECTION), without the agent's help:"
for _ in $(seq 60); do
	left=$(ejected_left node-a "$MS_V1A:8080")
	[ "${left:-0}" = 0 ] && break
	sleep 0.25
done
endpoints node-a
echo "50 connections from api-gateway:"
count api-gateway "$VIP" 8080 50 | shares

step "10. clean up"
