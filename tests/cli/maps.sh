#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `infermesh maps` without pins: usage errors exit 2, unreadable pins exit
# 1, and with -o json every error is still one JSON object on stdout.
# Reading real pins is tested as root (tests/bpf/test_maps_cli.c,
# tests/e2e/mesh_lb.sh).
set -u
OUT=${OUT:-.output}
BIN=$OUT/infermesh-san
passes=0 fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # label, expected rc, command...
	local label=$1 want=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		passes=$((passes + 1))
	else
		fails=$((fails + 1))
		echo "FAIL: $label: exit $rc, want $want"
		head -5 "$tmp/out" "$tmp/err"
	fi
}

has() { # label, file, text
	if grep -q -- "$3" "$2"; then
		passes=$((passes + 1))
	else
		fails=$((fails + 1))
		echo "FAIL: $1: no '$3' in $2:"
		head -5 "$2"
	fi
}

json_error() { # label: stdout is exactly one JSON object with "error"
	if python3 -c 'import json,sys; assert "error" in json.load(open(sys.argv[1]))' "$tmp/out"; then
		passes=$((passes + 1))
	else
		fails=$((fails + 1))
		echo "FAIL: $1: not a JSON error"
		head -3 "$tmp/out"
	fi
}

check "no verb" 2 "$BIN" maps --pin-root "$tmp"
check "unknown verb" 2 "$BIN" maps frob --pin-root "$tmp"
check "dump without NAME lists the views" 2 "$BIN" maps dump --pin-root "$tmp"
has "view list names services" "$tmp/err" "services    im_svc"
has "view list names drops" "$tmp/err" "drops       im_drops_v2"
has "view list names idlevels" "$tmp/err" "idlevels    im_idlvl"
has "view list names local" "$tmp/err" "local       im_local"
check "unknown view" 2 "$BIN" maps dump nosuch --pin-root "$tmp"
check "bad --gen" 2 "$BIN" maps dump services --gen 2 --pin-root "$tmp"
check "missing pin root" 1 "$BIN" maps list --pin-root "$tmp/none"
has "says which directory" "$tmp/err" "$tmp/none"
check "missing pin root, JSON" 1 "$BIN" maps list --pin-root "$tmp/none" -o json
json_error "missing pin root, JSON"
check "nothing pinned" 1 "$BIN" maps list --pin-root "$tmp"
has "says nothing is pinned" "$tmp/err" "no dataplane maps pinned"
check "map not pinned, JSON" 1 "$BIN" maps dump services --pin-root "$tmp" -o json
json_error "map not pinned, JSON"
check "abbreviated: m l" 1 "$BIN" m l --pin-root "$tmp"

echo "maps: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
