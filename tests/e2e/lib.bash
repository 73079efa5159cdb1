# SPDX-License-Identifier: Apache-2.0
# Sourced by the end-to-end tests (tests/e2e/*.sh, run as root by
# tests/run-all.sh) as their first line, `. "$(dirname "$0")/lib.bash"`.
# Not a test itself: run-all.sh runs only *.sh.
# The preamble every suite shares (unset variables are errors, the repo
# root is the working directory, a SKIP without root), labelled checks,
# a closing "N passed, N failed" line, and a mesh that is torn down on
# every exit, failed or not.
set -u
cd "$(dirname "$0")/../.." || exit 2
OUT=${OUT:-.output}
export OUT
MESH=tools/mesh.sh
BIN=$OUT/infermesh		# the agent, maps and uninstall
CLIENT=tools/mesh-client.py	# run in a pod by `mesh.sh exec`
# A prefix of this run's own: two suites running at once (two developers'
# `make test` on one machine) build two meshes side by side, each in its
# own namespaces, and never tear down each other's.
export IMT_PREFIX=${IMT_PREFIX:-imt$$}
passes=0 fails=0
E2E_TMP=$(mktemp -d /tmp/imt-e2e.XXXXXX)

e2e_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "*** SKIP: $(basename "$0"): needs root (namespaces, cgroups) ***" >&2
		exit 0
	fi
}

pass() { passes=$((passes + 1)); echo "ok   - $*"; }
fail() { fails=$((fails + 1)); echo "FAIL - $*"; }

# check LABEL CMD...: passes when CMD exits 0; shows its output if not.
check() {
	local label=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		pass "$label"
	else
		fail "$label (exit $?)"
		sed 's/^/       /' "$E2E_TMP/out" | head -20
	fi
}

# check_eq LABEL GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# Nothing of the mesh may remain: namespaces, cgroups, state, mounts, and
# no link of the host namespace carries the prefix.
mesh_gone() {
	local p=$IMT_PREFIX cg2 left=0
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	if ip netns list | awk '{ print $1 }' | grep -q "^$p-"; then
		echo "netns left: $(ip netns list | grep "^$p-" | tr '\n' ' ')"
		left=1
	fi
	[ -d "$cg2/$p-mesh" ] && { echo "cgroup left: $cg2/$p-mesh"; left=1; }
	[ -e "/run/$p-mesh" ] && { echo "state left: /run/$p-mesh"; left=1; }
	grep -q " /run/$p-mesh" /proc/self/mounts && { echo "mount left"; left=1; }
	ip -o link | grep -q ": $p-" && { echo "host link left"; left=1; }
	return "$left"
}

# On failure, the agents' last words before `down` removes their logs.
e2e_logs() {
	local f
	for f in "/run/$IMT_PREFIX-mesh"/log/agent-*.log; do
		[ -f "$f" ] || continue
		echo "--- $(basename "$f") (last 20 lines)"
		tail -n 20 "$f"
	done
}

e2e_exit() {
	local rc=$?
	{ [ "$fails" -gt 0 ] || [ "$rc" -ne 0 ]; } && e2e_logs
	timeout 60 "$MESH" down >/dev/null 2>&1
	rm -rf "$E2E_TMP"
	echo
	echo "$(basename "$0" .sh): $passes passed, $fails failed"
	# bash keeps the status from before an EXIT trap unless the trap
	# exits itself: without this line failed checks would exit 0
	{ [ "$fails" -eq 0 ] && [ "$rc" -eq 0 ]; } && exit 0
	exit 1
}
trap e2e_exit EXIT
e2e_need_root

# e2e_need CMD...: what the suite cannot run without (the binary, wrk);
# missing, it is a failure, not a skip: the build or the packages are broken.
e2e_need() {
	"$@" >/dev/null 2>&1 && return 0
	fail "needs: $* (make OUT=$OUT; tools/packages.txt)"
	exit 1
}

# e2e_need_agent: the suite runs the agent ($BIN).
e2e_need_agent() {
	e2e_need "$BIN" agent --help
}

# wait_for SECONDS CMD...: polls CMD every 0.25 s, at most SECONDS.
wait_for() {
	for _ in $(seq $(($1 * 4))); do
		"${@:2}" && return 0
		sleep 0.25
	done
	return 1
}

# e2e_agent_gone NODE: no process left in NODE's agent cgroup.
e2e_agent_gone() {
	local cg
	cg=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	! grep -q . "$cg/$IMT_PREFIX-mesh/agents/$1/cgroup.procs" 2>/dev/null
}

# e2e_wrk_failed OUT: the requests wrk's summary in OUT counts as failed
# (socket errors: connect, read, write, timeout; and non-2xx answers).
e2e_wrk_failed() {
	awk '/Socket errors/ { n += $4 + $6 + $8 + $10 } /Non-2xx/ { n += $NF } END { print n + 0 }' "$1" | tr -d ,
}

# ---- helpers of the outlier and policy tests ----

# The interpreter itself: a version manager's shim costs a second a call,
# and these tests call Python for every check.
E2E_PY=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}

# e2e_json FILE EXPR: a Python expression over the JSON in FILE (j).
e2e_json() {
	"$E2E_PY" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}

# e2e_copy_mesh DIR [permissive]: examples/mesh into DIR, each Service
# given a clusterIP (10.96.0.1, .2, ... in file order) unless it has one;
# with "permissive", every PeerAuthentication mode PERMISSIVE and the
# AuthorizationPolicies left out (until mTLS exists, STRICT carries no
# traffic end to end).
e2e_copy_mesh() {
	"$E2E_PY" - "$@" <<'PY'
import glob, os, sys, yaml
dst, loose, n = sys.argv[1], sys.argv[2:] == ["permissive"], 0
def permissive(m):
    if isinstance(m, dict) and "mode" in m:
        m["mode"] = "PERMISSIVE"
for f in sorted(glob.glob("examples/mesh/*.yaml")):
    out = []
    for d in yaml.safe_load_all(open(f)):
        if not d or (loose and d.get("kind") == "AuthorizationPolicy"):
            continue
        if d.get("kind") == "Service":
            n += 1
            d.setdefault("spec", {}).setdefault("clusterIP", f"10.96.0.{n}")
        if loose and d.get("kind") == "PeerAuthentication":
            permissive(d["spec"].get("mtls"))
            for v in (d["spec"].get("portLevelMtls") or {}).values():
                permissive(v)
        out.append(d)
    if out:
        with open(os.path.join(dst, os.path.basename(f)), "w") as fh:
            yaml.safe_dump_all(out, fh, sort_keys=False)
PY
}

# e2e_drops NODE REASON: that drop counter of NODE's maps (-1 if unread).
e2e_drops() {
	"$MESH" maps "$1" dump drops -o json >"$E2E_TMP/drops.json" 2>/dev/null || { echo -1; return; }
	e2e_json "$E2E_TMP/drops.json" 'sum(r["count"] for r in j["rows"] if r["reason"] == "'"$2"'")'
}

# e2e_proxy NODE EXPR: EXPR (Python) over the "proxy" object of NODE's
# `infermesh status -o json` (p): the --mtls agent's calls and the
# outcomes it charged to their hosts; "?" when it cannot be read.
e2e_proxy() {
	local out=$E2E_TMP/status-$1.json
	"$BIN" status --state-dir "/run/$IMT_PREFIX-mesh/state/$1" -o json >"$out" 2>/dev/null &&
		e2e_json "$out" "(lambda p: $2)(j[\"proxy\"])" 2>/dev/null || echo "?"
}

# e2e_delta BEFORE AFTER: AFTER - BEFORE, or "?" unless both are counts.
e2e_delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then
		echo $(($2 - $1))
	else
		echo "?"
	fi
}

# e2e_wait_live NODE SERVICE: waits (30 s at most) until NODE's maps have
# SERVICE ("fqdn:port"); prints its VIP.
e2e_wait_live() {
	local vip end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		if "$MESH" maps "$1" dump services -o json >"$E2E_TMP/svc.json" 2>/dev/null; then
			vip=$(e2e_json "$E2E_TMP/svc.json" '" ".join(sorted({r["vip"] for r in j["rows"] if r["service"] == "'"$2"'"}))')
			[ -n "$vip" ] && { echo "$vip"; return 0; }
		fi
		sleep 0.5
	done
	return 1
}

# e2e_server_pid POD: the pid of POD's server (the one process of its cgroup).
e2e_server_pid() {
	cat "$("$MESH" pods | awk -v p="$1" '$1 == p { print $6 }')/cgroup.procs"
}

# e2e_server_kill POD: stops POD's server and waits until it is gone.
e2e_server_kill() {
	local pid
	pid=$(e2e_server_pid "$1") || return 1
	[ -n "$pid" ] || return 1
	# shellcheck disable=SC2086 # one pid a word
	kill -KILL $pid
	for _ in $(seq 50); do
		[ -z "$(e2e_server_pid "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# e2e_server_start POD: starts POD's server again, in its namespace and
# cgroup, and waits (15 s at most, as `mesh.sh up` does) until it listens.
e2e_server_start() {
	local name=$1 addr ports log=$E2E_TMP/server-$1.log
	addr=$("$MESH" pods | awk -v p="$name" '$1 == p { print $3 }')
	ports=$(awk -v p="$name" '$1 == "pod" && $2 == p { print $7 }' "$("$MESH" env | sed -n 's/^IMT_STATE=//p')/plan")
	: >"$log"
	"$MESH" exec "$name" "$E2E_PY" tools/mesh-server.py "$name" "$addr" "$ports" >"$log" 2>&1 </dev/null &
	for _ in $(seq 150); do
		grep -q "serving on" "$log" && return 0
		sleep 0.1
	done
	return 1
}

# ---- helpers of the least-request test ----

# e2e_ep_active NODE IP:PORT: the active connections NODE's kernel counts
# for that endpoint (-1 if unread). Tolerant of the dump's layout: the row
# is found by its "endpoint" field ("IP:PORT", or "ip" and "port"), the
# count is the integer field named "active" (or containing "active", e.g.
# "active_connections"), at any depth of the row; an endpoint listed in
# several rows (one per subset) shows its one state in each: the largest.
e2e_ep_active() {
	"$MESH" maps "$1" dump endpoints -o json >"$E2E_TMP/ep-active.json" 2>/dev/null || { echo -1; return; }
	"$E2E_PY" - "$E2E_TMP/ep-active.json" "$2" <<-'PY'
		import json, sys
		j, want = json.load(open(sys.argv[1])), sys.argv[2]
		rows = j.get("rows", []) if isinstance(j, dict) else j
		def addr(r):
		    if "endpoint" in r:
		        return str(r["endpoint"])
		    return f'{r.get("ip", r.get("address"))}:{r.get("port")}'
		def active(v):
		    if isinstance(v, dict):
		        for k in sorted(v, key=lambda k: k != "active"):
		            if "active" in k and isinstance(v[k], int) and not isinstance(v[k], bool):
		                return v[k]
		        for x in v.values():
		            n = active(x)
		            if n is not None:
		                return n
		    return None
		got = [active(r) for r in rows if isinstance(r, dict) and addr(r) == want]
		got = [n for n in got if n is not None]
		print(max(got) if got else -1)
	PY
}

# e2e_wait_ep_active NODE IP:PORT WANT: polls (5 s at most) until the
# count is WANT; prints the last count read.
e2e_wait_ep_active() {
	local got
	for _ in $(seq 25); do
		got=$(e2e_ep_active "$1" "$2")
		[ "$got" = "$3" ] && break
		sleep 0.2
	done
	echo "$got"
}

# ---- helpers of the mTLS tests ----

# e2e_cert DIR NAME CA SAN [START END]: DIR/NAME.pem (the leaf, then CA's
# ca-cert.pem when it is not the root) and DIR/NAME.key, an ECDSA P-256
# leaf shaped like the mesh's, signed by CA (a directory in the cacerts
# layout, e.g. the mesh's) with openssl, as another node of the mesh would
# be issued one (any SAN, any CA, any dates: e2e_svid below is the
# plain case); SAN an openssl subjectAltName value ("URI:spiffe://...",
# "" for none); START and END (YYYYMMDDHHMMSSZ) its validity, else one day
# from now.
e2e_cert() {
	local d=$1 n=$2 ca=$3 san=$4 dates=(-days 1)
	[ $# -ge 6 ] && dates=(-startdate "$5" -enddate "$6")
	mkdir -p "$d/ca-db"
	: >"$d/ca-db/index.txt"
	openssl rand -hex 8 >"$d/ca-db/serial"
	printf '%s\n' "[ca]" "default_ca = c" "[c]" "database = $d/ca-db/index.txt" \
		"new_certs_dir = $d/ca-db" "serial = $d/ca-db/serial" \
		"default_md = sha256" "policy = p" \
		"unique_subject = no" "[p]" "organizationName = optional" >"$d/ca-db/ca.cnf"
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth,clientAuth" \
		${san:+"subjectAltName=critical,$san"} >"$d/$n.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$n.key" -subj "/O=cluster.local" -out "$d/$n.csr" 2>/dev/null &&
	openssl ca -batch -config "$d/ca-db/ca.cnf" -cert "$ca/ca-cert.pem" \
		-keyfile "$ca/ca-key.pem" -notext "${dates[@]}" \
		-extfile "$d/$n.ext" -in "$d/$n.csr" -out "$d/$n.pem" 2>/dev/null &&
	{ cmp -s "$ca/ca-cert.pem" "$ca/root-cert.pem" ||
	  cat "$ca/ca-cert.pem" >>"$d/$n.pem"; }
}

# e2e_listening NODE: NODE's agent (--mtls) has its in-pod listeners open
# in every local workload: its log says "mTLS: listening for N of N".
e2e_listening() {
	grep -q 'mTLS: listening for \([1-9][0-9]*\) of \1 local workloads' \
		"${IMT_STATE:-/run/$IMT_PREFIX-mesh}/log/agent-$1.log" 2>/dev/null
}

# e2e_refusals NODE SOURCE REASON: NODE's `proxy-config refusals` count
# (source proxy, tls, tls_out, hbone, l7), -1 if unread.
e2e_refusals() {
	"$BIN" proxy-config refusals --state-dir "${IMT_STATE:-/run/$IMT_PREFIX-mesh}/state/$1" -o json \
		>"$E2E_TMP/ref.json" 2>/dev/null || { echo -1; return; }
	e2e_json "$E2E_TMP/ref.json" \
		"sum(r['count'] for r in j['refusals'] if (r['source'], r['reason']) == ('$2', '$3'))"
}

# ---- an HBONE peer outside the mesh (tests/interop/hbone_peer.py) ----

# e2e_need_h2py: sets PY to a python3 with h2 (Debian: python3-h2).
e2e_need_h2py() {
	local p
	PY=
	for p in "$E2E_PY" python3 /usr/bin/python3; do
		if "$p" -c 'import h2' 2>/dev/null; then PY=$p; break; fi
	done
	e2e_need test -n "$PY"
}

# e2e_svid DIR NAME SA: DIR/NAME.pem (leaf, then the CA's certificate when
# it is not the root) and DIR/NAME.key, URI SAN
# spiffe://cluster.local/ns/ai-inference/sa/SA, signed by the running
# mesh's CA (cacerts layout) with openssl, as another Istio-compatible
# node would be issued it: the agent is not involved.
e2e_svid() {
	e2e_cert "$1" "$2" "$IMT_STATE/ca" \
		"URI:spiffe://cluster.local/ns/ai-inference/sa/$3"	# IMT_*: `eval "$("$MESH" env)"`
}

# e2e_hbone_call POD DIR NAME HOST:PORT AUTHORITY PEER_ID [REQUEST]: the
# Python peer's one CONNECT (hbone_peer.py call), in POD's network
# namespace but the outside host's cgroup, so no connect4 of the mesh
# sees it: its tunnel leaves from POD's address, straight to HOST:PORT.
e2e_hbone_call() {
	local pod=$1
	shift
	(echo "$BASHPID" >"$IMT_CGROOT/ext/cgroup.procs" &&
	 exec timeout 45 nsenter --net="/run/netns/$IMT_PREFIX-pod-$pod" \
		"$PY" tests/interop/hbone_peer.py call "$@")
}
