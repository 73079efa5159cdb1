#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `infermesh maps` without pins: usage errors exit 2, unreadable pins exit
# 1, and with -o json every error is still one JSON object on stdout.
# Reading real pins is tested as root (tests/bpf/test_maps_cli.c,
# tests/e2e/mesh_lb.sh).
# shellcheck source=tests/cli/lib/check.bash
. "$(dirname "$0")/lib/check.bash" || exit 2
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

finish maps
