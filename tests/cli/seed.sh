#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed's mesh (../shared/fixtures/seed/): every object Istio would
# reject, every part it would silently ignore and every pitfall of the seed
# is reported, at the field at fault, with a fix; errors make the exit 1.
set -u
OUT=${OUT:-.output}
BIN=$OUT/infermesh-san
SEED=../shared/fixtures/seed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

[ -d "$SEED" ] || { echo "FAIL: $SEED is missing"; exit 1; }

"$BIN" analyze -f "$SEED/" -o json >"$tmp/json"
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: analyze -o json exit $rc, want 1"; fails=$((fails + 1)); }
"$BIN" analyze -f "$SEED/" >"$tmp/text"
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: analyze exit $rc, want 1"; fails=$((fails + 1)); }

# code file line (line * when the finding belongs to another analyzer and
# its exact line is that analyzer's choice); one per line; why after #
cat >"$tmp/want" <<'W'
IST0106 01-peer-authentication.yaml *   # portLevelMtls on a namespace-wide PA is rejected
IM1030  01-peer-authentication.yaml 24  # so the 9090 PERMISSIVE exemption never applies
IM1020  02-authorization-policies.yaml 20 # /v2/models/*/infer is a literal string
IM1070  03-egress.yaml 25               # SIMPLE on a TLS port: TLS in TLS
IM1071  03-egress.yaml 28               # h2UpgradePolicy on a TLS-only host
IM1011  03-egress.yaml 38               # restrict-egress has no selector: every workload
IM1012  03-egress.yaml 43               # operation.hosts is inbound :authority, not egress
IST0109 04-virtualservice-ab.yaml *     # two VirtualServices for model-server
IM1004  04-virtualservice-ab.yaml 11    # header route: Istio's default retries
IM1004  04-virtualservice-ab.yaml 21    # cohort route: Istio's default retries
IM1002  04-virtualservice-ab.yaml 41    # 60s < 3 tries x 30s
IM1005  04-virtualservice-ab.yaml 43    # retries on inference requests
IM1006  04-virtualservice-ab.yaml 45    # gRPC-only retryOn
IM1051  05-destinationrule-subsets.yaml 24 # subset connectionPool drops tcp limits
IM1051  05-destinationrule-subsets.yaml 31
IM1050  06-circuit-breakers.yaml 9      # second trafficPolicy for model-server ignored
IM1043  06-circuit-breakers.yaml 22     # maxEjectionPercent 50 on an unsized pool
IM1042  06-circuit-breakers.yaml 23     # minHealthPercent 30 can never trigger
IM1010  06-circuit-breakers.yaml 33     # vector-retriever: no identity boundary
IST0109 07-virtualservice-streaming.yaml *
IM1007  07-virtualservice-streaming.yaml 11 # /v1/stream dropped: gets 60s and retries
IM1007  07-virtualservice-streaming.yaml 22 # /v1/embeddings dropped
IM1002  07-virtualservice-streaming.yaml 29 # 15s < 4 tries x 5s
IST0106 08-locality.yaml *              # distribute and failover together: rejected
IM1080  09-telemetry.yaml 15            # header may be absent: label "unknown"
IM1080  09-telemetry.yaml 18
IM1082  09-telemetry.yaml 23            # zipkin is not a MeshConfig provider
IM1090  - 0                             # holdApplicationUntilProxyStarts unknown
W

python3 - "$tmp/json" "$tmp/want" <<'PY' || fails=$((fails + 1))
import json, os, sys
found = json.load(open(sys.argv[1]))
have = [(f["code"], os.path.basename(f["file"] or "-"), f["line"] or 0)
        for f in found]
bad = 0
for raw in open(sys.argv[2]):
    code, file, line = raw.split("#")[0].split()
    ok = any(c == code and fl == file and (line == "*" or ln == int(line))
             for c, fl, ln in have)
    if not ok:
        print(f"FAIL: missing {code} at {file}:{line}  ({raw.split('#')[-1].strip()})")
        bad += 1
# every infermesh finding carries a fix
for f in found:
    if f["code"].startswith("IM1") and not f.get("fix"):
        print(f"FAIL: {f['code']} at {f['file']}:{f['line']} has no fix")
        bad += 1
sys.exit(1 if bad else 0)
PY

# text: every finding about an object names file:line, and has a fix line
python3 - "$tmp/text" <<'PY' || fails=$((fails + 1))
import re, sys
lines = open(sys.argv[1]).read().splitlines()
bad = 0
heads = [i for i, l in enumerate(lines) if re.match(r"(Error|Warning|Info) \[", l)]
if len(heads) < 25:
    print(f"FAIL: only {len(heads)} findings in text output"); bad += 1
for i in heads:
    l = lines[i]
    if "(" in l.split("]", 1)[1][:2] and not re.search(r"\.yaml:\d+:\d+\)", l):
        print(f"FAIL: no file:line: {l}"); bad += 1
    if i + 1 >= len(lines) or not lines[i + 1].startswith("    fix: "):
        print(f"FAIL: no fix line after: {l}"); bad += 1
sys.exit(1 if bad else 0)
PY

if [ "$fails" -ne 0 ]; then
	echo "seed: $fails check(s) failed; output was:"
	cat "$tmp/text"
	exit 1
fi
echo "seed: every expected finding present"
