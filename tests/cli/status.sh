#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `infermesh status` and `infermesh proxy-config` without an agent: usage
# errors exit 2, a missing agent exits 1 naming the socket it looked for,
# and with -o json every error is one JSON object on stdout. The views of
# a running agent are tested as root (tests/e2e/agent_admin.sh).
# shellcheck source=tests/cli/lib/check.bash
. "$(dirname "$0")/lib/check.bash" || exit 2
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

finish status
