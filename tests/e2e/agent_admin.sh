#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The agent's admin socket and the views built on it (`infermesh status`,
# `infermesh proxy-config secrets|tunnels|refusals`), against a real agent
# of the test mesh (examples/mesh as it is):
# - the socket is 0600; a non-root client is refused by the file mode and,
#   with the mode loosened on purpose, by the agent's SO_PEERCRED check
#   (counted);
# - status says what the agent holds: its pid, the generation in the
#   log, the CA of --ca-dir with the root's serial and dates as openssl
#   reads them from root-cert.pem;
# - secrets: exactly node-a's workload identities, each SVID's PEM chain
#   verifies against root-cert.pem and openssl reads the same serial, SAN
#   and dates from it as the JSON says; the lifetime is --svid-ttl, issued
#   while this test ran, rotation at half-life;
# - text output: aligned tables;
# - garbage, unknown and too long requests get a JSON error, silent
#   clients are closed at their deadline, all counted, and the agent goes
#   on answering;
# - a stale socket and a symlink at the path are replaced at start, the
#   symlink's target untouched; the socket goes when the agent stops; with
#   no agent the CLI names the socket and exits 1.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
# The views of an agent without --mtls (its checks say "no capture", "mTLS
# off"): tools/mesh.sh passes --mtls unless told not to.
export IMT_MTLS=0

TTL=600
STATE=/run/$IMT_PREFIX-mesh
SD=$STATE/state/node-a
SOCK=$SD/admin.sock
LOG=$STATE/log/agent-node-a.log
PY=$E2E_PY

e2e_need "$BIN" status --help
e2e_need setpriv --version

cli() { "$BIN" "$@" --state-dir "$SD"; }
live() { grep -q " live: " "$LOG" 2>/dev/null && [ -S "$SOCK" ]; }

# ask.py REQUEST-BYTES: one raw exchange with the socket, the answer on
# stdout ("EOF" when the agent closed without one)
ask() {
	"$PY" - "$SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
s.shutdown(socket.SHUT_WR)	# our EOF ends a request without '\n'
data = b""
while True:
    try:
        b = s.recv(65536)
    except ConnectionResetError:	# closed with our excess unread
        break
    if not b:
        break
    data += b
print(data.decode() if data else "EOF")
PY
}

check "mesh up" timeout 120 "$MESH" up examples/mesh
t0=$(date +%s)
pid=$("$MESH" agent node-a --svid-ttl 10m)
check "agent node-a up with its admin socket" wait_for 30 live
t1=$(date +%s)

# ---- the socket ----
check_eq "admin.sock is a socket, mode 0600" "$(stat -c '%F %a %U' "$SOCK")" "socket 600 root"

# ---- status ----
check "status -o json" cli status -o json
cp "$E2E_TMP/out" "$E2E_TMP/status.json"
sj() { e2e_json "$E2E_TMP/status.json" "$1"; }
gen=$(sed -n 's/.*generation \([0-9]*\) live:.*/\1/p' "$LOG" | tail -1)
check_eq "status: the agent's pid" "$(sj 'j["agent"]["pid"]')" "$pid"
check_eq "status: node" "$(sj 'j["agent"]["node"]')" "node-a"
check_eq "status: the generation the log says is live" "$(sj 'j["config"]["generation"]')" "$gen"
check_eq "status: applies, one per live line of the log" "$(sj 'j["config"]["applies"]')" \
	"$(grep -c " live: " "$LOG")"
check_eq "status: dataplane loaded, fresh, no capture (no --mtls)" \
	"$(sj '[j["dataplane"][k] for k in ("loaded", "adopted", "capture")]')" "[True, False, False]"
check_eq "status: mTLS off, and why" "$(sj 'j["mtls"]["enabled"], bool(j["mtls"]["why"])')" "(False, True)"
check_eq "status: the CA from --ca-dir" "$(sj 'j["ca"]["source"], j["ca"]["dir"]')" \
	"('cacerts', '$STATE/ca')"
root_serial=$(openssl x509 -in "$STATE/ca/root-cert.pem" -noout -serial | cut -d= -f2)
root_end=$(date -u -d "$(openssl x509 -in "$STATE/ca/root-cert.pem" -noout -enddate | cut -d= -f2)" +%s)
check_eq "status: the root's serial is root-cert.pem's" "$(sj 'j["ca"]["roots"][0]["serial"]')" "$root_serial"
check_eq "status: the root's not-after is root-cert.pem's" "$(sj 'j["ca"]["roots"][0]["not_after_unix"]')" "$root_end"
check_eq "status: SVID lifetime is --svid-ttl" "$(sj 'j["svids"]["ttl_s"]')" "$TTL"

# ---- secrets ----
check "proxy-config secrets -o json" cli proxy-config secrets -o json
cp "$E2E_TMP/out" "$E2E_TMP/secrets.json"
want=$("$PY" - <<'PY'
import glob, yaml
ids = set()
for f in glob.glob("examples/mesh/*.yaml"):
    for d in yaml.safe_load_all(open(f)):
        if d and d.get("kind") == "WorkloadEntry" and \
           (d["metadata"].get("annotations") or {}).get("infermesh.io/node") == "node-a":
            ids.add("spiffe://cluster.local/ns/%s/sa/%s" % (d["metadata"]["namespace"],
                    d["spec"].get("serviceAccount", "default")))
print(sorted(ids))
PY
)
check_eq "secrets: exactly node-a's workload identities" \
	"$(e2e_json "$E2E_TMP/secrets.json" 'sorted(s["identity"] for s in j["secrets"])')" "$want"
check_eq "status: SVID count" "$(sj 'j["svids"]["count"]')" \
	"$(e2e_json "$E2E_TMP/secrets.json" 'len(j["secrets"])')"
n=$(e2e_json "$E2E_TMP/secrets.json" 'len(j["secrets"])')
for i in $(seq 0 $((n - 1))); do
	s() { e2e_json "$E2E_TMP/secrets.json" "j['secrets'][$i]$1"; }
	id=$(s '["identity"]')
	s '["pem"]' >"$E2E_TMP/chain.pem"
	check "$id: the chain verifies against root-cert.pem" \
		openssl verify -CAfile "$STATE/ca/root-cert.pem" "$E2E_TMP/chain.pem"
	check_eq "$id: serial as openssl reads it" "$(s '["serial"]')" \
		"$(openssl x509 -in "$E2E_TMP/chain.pem" -noout -serial | cut -d= -f2)"
	check_eq "$id: SAN as openssl reads it" "$(s '["san"]')" \
		"['$(openssl x509 -in "$E2E_TMP/chain.pem" -noout -ext subjectAltName | tail -1 | sed 's/^ *//')']"
	check_eq "$id: the SAN is the identity" "$(s '["san"]')" "['URI:$id']"
	check_eq "$id: not-after as openssl reads it" "$(s '["not_after_unix"]')" \
		"$(date -u -d "$(openssl x509 -in "$E2E_TMP/chain.pem" -noout -enddate | cut -d= -f2)" +%s)"
	# notBefore is backdated 300 s (SVID_BACKDATE) from the issue time
	issued=$(($(s '["not_before_unix"]') + 300))
	check "$id: issued while this test ran ($t0 <= $issued <= $t1)" \
		test "$t0" -le "$issued" -a "$issued" -le "$t1"
	check_eq "$id: not-after = issue time + --svid-ttl" "$(s '["not_after_unix"]')" "$((issued + TTL))"
	check_eq "$id: next rotation at half-life" "$(s '["next_rotation_unix"]')" "$((issued + TTL / 2))"
	check_eq "$id: valid" "$(s '["valid"]')" "True"
done
check_eq "secrets: the roots are root-cert.pem's" \
	"$(e2e_json "$E2E_TMP/secrets.json" '[r["serial"] for r in j["roots"]]')" "['$root_serial']"

# ---- text output: aligned tables ----
# aligned.py FILE: every row has a cell starting where each header starts
aligned() {
	"$PY" - "$1" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 2, "a header and rows"
starts = [m.start() for m in re.finditer(r"(?:^|  )(\S)", lines[0])]
starts = [s if s == 0 else s + 2 for s in starts]
for l in lines[1:]:
    for s in starts[1:]:
        assert l[s - 2:s] == "  " and l[s] != " ", (l, s)
PY
}
check "status text" cli status
cp "$E2E_TMP/out" "$E2E_TMP/status.txt"	# check writes over out
check "status text names the node" grep -q "^NODE  *node-a$" "$E2E_TMP/status.txt"
check "status text: one aligned value column" "$PY" -c '
import sys
ls = open(sys.argv[1]).read().splitlines()
col = {len(l) - len(l[l.index("  "):].lstrip()) for l in ls}
assert len(ls) >= 8 and len(col) == 1, (ls, col)' "$E2E_TMP/status.txt"
check "secrets text" cli proxy-config secrets
cp "$E2E_TMP/out" "$E2E_TMP/secrets.txt"
check "secrets text: aligned table" aligned "$E2E_TMP/secrets.txt"
check_eq "secrets text: one row per SVID and the root" "$(wc -l <"$E2E_TMP/secrets.txt")" "$((n + 2))"
check "refusals text" cli proxy-config refusals
cp "$E2E_TMP/out" "$E2E_TMP/refusals.txt"
check "refusals text: aligned table" aligned "$E2E_TMP/refusals.txt"
check "tunnels text" cli proxy-config tunnels
cp "$E2E_TMP/out" "$E2E_TMP/tunnels.txt"
check "tunnels text: none, and why" grep -q "no tunnels; mTLS off" "$E2E_TMP/tunnels.txt"

# ---- who may ask ----
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
check "a non-root client is refused" bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups $BIN status --state-dir $SD 2>$E2E_TMP/err"
check "... by the socket's mode, and the error names the socket" \
	grep -q "$SOCK: permission denied" "$E2E_TMP/err"
chmod 0666 "$SOCK"	# loosened on purpose: the agent must still refuse
nobody "$BIN" status --state-dir "$SD" -o json >"$E2E_TMP/nobody.json" 2>&1
check_eq "with the mode loosened, the agent refuses uid 65534 (SO_PEERCRED)" \
	"$(e2e_json "$E2E_TMP/nobody.json" 'j["error"]')" \
	"the agent: permission denied: uid 65534 is neither root nor the agent's user"
chmod 0600 "$SOCK"

# ---- garbage, silence, and the agent still answering ----
check_eq "garbage bytes: a JSON error" "$(ask '\x00\xff\x1b[2J\n' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["error"])')" \
	"not a request line"
check_eq "an unknown request: a JSON error listing the requests" \
	"$(ask 'frobnicate\n' | "$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["error"], j["requests"])')" \
	"unknown request ['status', 'secrets', 'tunnels', 'refusals']"
check_eq "a request line too long: a JSON error" \
	"$(ask "$(printf 'x%.0s' $(seq 300))" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["error"])')" \
	"request line too long"
check_eq "a request without newline, then EOF: answered" \
	"$(ask 'tunnels' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["tunnels"])')" "[]"
# silent clients: the loop answers others meanwhile and closes them at
# their deadline
"$PY" - "$SOCK" "$BIN" "$SD" >"$E2E_TMP/silent.out" 2>&1 <<'PY'
import socket, subprocess, sys, time
silent = []
for _ in range(7):	# ADMIN_CLIENTS - 1: one slot left for status
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    silent.append(s)
r = subprocess.run([sys.argv[2], "status", "--state-dir", sys.argv[3]],
                   capture_output=True, timeout=30)
print("status while 7 are silent:", r.returncode)
for s in silent:
    s.settimeout(15)
    print("closed by the agent:", s.recv(1) == b"")
PY
check_eq "status answered while 7 clients sat silent" \
	"$(grep -c "status while 7 are silent: 0" "$E2E_TMP/silent.out")" 1
check_eq "each silent client closed by the agent at its deadline" \
	"$(grep -c "closed by the agent: True" "$E2E_TMP/silent.out")" 7
check "refusals -o json" cli proxy-config refusals -o json
cp "$E2E_TMP/out" "$E2E_TMP/ref.json"
adm() { e2e_json "$E2E_TMP/ref.json" "[r['count'] for r in j['refusals'] if r['source'] == 'admin' and r['reason'] == '$1'][0]"; }
check_eq "refusals: 3 bad requests counted" "$(adm bad_request)" 3
check_eq "refusals: the non-root peer counted" "$(adm refused_peer)" 1
check_eq "refusals: 7 silent clients timed out" "$(adm timed_out)" 7
check_eq "refusals: every authorization verdict reason listed" \
	"$(e2e_json "$E2E_TMP/ref.json" "len([r for r in j['refusals'] if r['source'] == 'authz'])")" 9
check "the agent still serves" cli status -o json
check_eq "... the same agent" "$(e2e_json "$E2E_TMP/out" 'j["agent"]["pid"]')" "$pid"

# ---- stop, stale socket and symlink at start, no agent ----
check "agent stopped" "$MESH" agent-stop node-a
check "its socket is gone" test ! -e "$SOCK"
check "without an agent: status fails" bash -c "! $BIN status --state-dir $SD 2>$E2E_TMP/err"
check "... naming the socket" grep -q "$SOCK: no such socket" "$E2E_TMP/err"
"$BIN" status --state-dir "$SD" -o json >"$E2E_TMP/none.json" 2>/dev/null
check "... and in JSON, an error on stdout" e2e_json "$E2E_TMP/none.json" 'j["error"]'
"$PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
check "a stale socket left behind: status says nobody listens" \
	bash -c "! $BIN status --state-dir $SD 2>$E2E_TMP/err && grep -q 'nobody listens' $E2E_TMP/err"
echo victim >"$E2E_TMP/victim"
rm -f "$SOCK" && ln -s "$E2E_TMP/victim" "$SOCK"
pid=$("$MESH" agent node-a --svid-ttl 10m)
check "restarted over a symlink at the socket's path" wait_for 30 live
check_eq "the symlink replaced by a socket of mode 0600" "$(stat -c '%F %a' "$SOCK")" "socket 600"
check_eq "the symlink's target untouched" "$(cat "$E2E_TMP/victim")" "victim"
check "the restarted agent answers" cli status -o json
check_eq "... as the new agent" "$(e2e_json "$E2E_TMP/out" 'j["agent"]["pid"], j["dataplane"]["adopted"]')" \
	"($pid, True)"
check "agent stopped" "$MESH" agent-stop node-a
