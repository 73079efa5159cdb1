#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `infermesh status` and `infermesh proxy-config` without an agent: usage
# errors exit 2, a missing agent exits 1 naming the socket it looked for,
# and with -o json every error is one JSON object on stdout. The views of
# a running agent are tested as root (tests/e2e/agent_admin.sh).
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

check "status --help" 0 "$BIN" status --help
has "status --help shows the flags" "$tmp/out" "--state-dir DIR"
check "status with an unknown flag" 2 "$BIN" status --frob
check "status --node without a value" 2 "$BIN" status --node
check "proxy-config without a view" 2 "$BIN" proxy-config
has "proxy-config lists its views" "$tmp/err" "secrets|tunnels|refusals"
check "proxy-config with an unknown view" 2 "$BIN" proxy-config routes --state-dir "$tmp"
check "no agent: status" 1 "$BIN" status --state-dir "$tmp"
has "no agent: the error names the socket" "$tmp/err" "$tmp/admin.sock: no such socket"
check "no agent: status -o json" 1 "$BIN" status --state-dir "$tmp" -o json
json_error "no agent: status -o json"
check "no agent: proxy-config secret (istioctl's spelling)" 1 "$BIN" proxy-config secret --state-dir "$tmp"
has "no agent: proxy-config names the socket" "$tmp/err" "$tmp/admin.sock"
check "no agent: proxy-config tunnels -o json" 1 "$BIN" proxy-config tunnels --state-dir "$tmp" -o json
json_error "no agent: proxy-config tunnels -o json"
check "abbreviated: st" 1 "$BIN" st --state-dir "$tmp"

echo "status: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
