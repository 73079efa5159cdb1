#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command line contract: exit codes, JSON output, abbreviations, errors.
# shellcheck source=tests/cli/lib/check.bash
. "$(dirname "$0")/lib/check.bash" || exit 2
cat >"$tmp/good.yaml" <<'Y'
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
Y
cat >"$tmp/bad.yaml" <<'Y'
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRIKT}}
Y
printf 'a: [1, 2\n' >"$tmp/broken.yaml"

check "clean config exits 0" 0 "$BIN" analyze -f "$tmp/good.yaml"
check "errors exit 1" 1 "$BIN" analyze -f "$tmp/bad.yaml"
grep -q "bad.yaml:4:" "$tmp/out" && passes=$((passes + 1)) ||
	{ fails=$((fails + 1)); echo "FAIL: error names file:line"; }
check "json findings" 1 "$BIN" analyze -o json -f "$tmp/bad.yaml"
json_ok "json findings"
check "global -o json" 1 "$BIN" -o json analyze -f "$tmp/bad.yaml"
json_ok "global -o json"
check "unreadable input exits 2" 2 "$BIN" analyze -f "$tmp/missing.yaml"
check "syntax error only exits 2" 2 "$BIN" analyze -f "$tmp/broken.yaml"
check "abbreviated command" 0 "$BIN" an -f "$tmp/good.yaml"
check "unknown command exits 2" 2 "$BIN" frobnicate
check "json error for unknown command" 2 "$BIN" -o json frobnicate
json_ok "json error for unknown command"
check "no inputs exits 2" 2 "$BIN" analyze
check "help" 0 "$BIN" --help

finish cli
