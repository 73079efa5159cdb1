#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# examples/mesh is the seed's mesh said the way it was meant: it must
# analyze clean, with no error and no warning (infos are allowed).
set -u
OUT=${OUT:-.output}
BIN=$OUT/infermesh-san
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

"$BIN" analyze -f examples/mesh/ >"$tmp/text"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "FAIL: analyze examples/mesh exit $rc, want 0"
	fails=$((fails + 1))
fi
if grep -E '^(Error|Warning) \[' "$tmp/text"; then
	echo "FAIL: examples/mesh has errors or warnings (above)"
	fails=$((fails + 1))
fi
# the example must really be read: all 9 files and their 32 objects
if grep -q '^Info' "$tmp/text"; then
	:  # infos print instead of the summary line
elif ! grep -q 'analyzing 32 objects in 9 files' "$tmp/text"; then
	echo "FAIL: expected the 32 objects of the 9 files to load"
	fails=$((fails + 1))
fi
# and a broken copy must not be clean: the checks run on these objects
cp -r examples/mesh "$tmp/broken"
sed -i 's/maxEjectionPercent: 34/maxEjectionPercent: 30/' \
	"$tmp/broken/07-destinationrules.yaml"
"$BIN" analyze -f "$tmp/broken/" >"$tmp/broken.txt"
if ! grep -q 'IM1041' "$tmp/broken.txt"; then
	echo "FAIL: a 30% maxEjectionPercent on 3 endpoints went unreported"
	fails=$((fails + 1))
fi
# model-server's HTTP ports are judged per request; its metrics port and
# the other workloads' ports keep the TCP reduction
"$BIN" analyze --explain -f examples/mesh/ >"$tmp/explain.txt"
n=$(grep -c 'ports 8081, 8080: judged per request by the destination agent' \
	"$tmp/explain.txt")
if [ "$n" -ne 4 ]; then
	echo "FAIL: explain: the 4 model-server pods' HTTP ports judged per request ($n found)"
	fails=$((fails + 1))
fi
if [ "$(grep -c 'judged per request' "$tmp/explain.txt")" -ne 4 ]; then
	echo "FAIL: explain: only model-server's ports are judged per request"
	fails=$((fails + 1))
fi
# the same in JSON: model-server-v1-a's 8081 (HTTP2) and 8080 (HTTP)
"$BIN" analyze --explain -o json -f examples/mesh/ >"$tmp/explain.json"
got=$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(sorted((w["name"], p["port"], p["protocol"]) for w in j["workloads"]
	     for p in w["judgedPerRequest"] if w["name"] == "model-server-v1-a"))' \
	"$tmp/explain.json")
if [ "$got" != "[('model-server-v1-a', 8080, 'HTTP'), ('model-server-v1-a', 8081, 'HTTP2')]" ]; then
	echo "FAIL: explain -o json: model-server-v1-a judgedPerRequest: $got"
	fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] || { cat "$tmp/text"; exit 1; }
echo "example: examples/mesh analyzes clean"
