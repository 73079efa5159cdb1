#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `infermesh ca init|check`: the layout and modes it writes, a CA never
# replaced, bad directories refused with the file and the fix named; and
# the agent's --svid-ttl checked before anything starts.
# shellcheck source=tests/cli/lib/check.bash
. "$(dirname "$0")/lib/check.bash" || exit 2
mode() { stat -c %a "$1"; }

check "init" 0 "$BIN" ca init "$tmp/ca"
for f in ca-key.pem ca-cert.pem cert-chain.pem root-cert.pem; do
	[ -s "$tmp/ca/$f" ] && ok || bad "init wrote no $f"
done
[ "$(mode "$tmp/ca/ca-key.pem")" = 600 ] && ok || bad "key mode $(mode "$tmp/ca/ca-key.pem")"
[ "$(mode "$tmp/ca")" = 700 ] && ok || bad "dir mode $(mode "$tmp/ca")"
grep -q 'BEGIN PRIVATE KEY' "$tmp/ca/ca-key.pem" && ok || bad "key is not PKCS#8"
sum=$(sha256sum "$tmp/ca/ca-key.pem")

check "init over a CA is refused" 1 "$BIN" ca init "$tmp/ca"
says "init over a CA" "already"
[ "$(sha256sum "$tmp/ca/ca-key.pem")" = "$sum" ] && ok || bad "the key was replaced"

check "check" 0 "$BIN" ca check "$tmp/ca"
check "check, abbreviated, json" 0 "$BIN" -o json ca ch "$tmp/ca"
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["intermediates"] == 0' \
	"$tmp/out" && ok || bad "check -o json"

chmod 0644 "$tmp/ca/ca-key.pem"
check "a world-readable key is refused" 1 "$BIN" ca check "$tmp/ca"
says "world-readable key" "ca-key.pem"
says "world-readable key" "chmod 0600"
chmod 0600 "$tmp/ca/ca-key.pem"

"$BIN" ca init "$tmp/other" >/dev/null
cp "$tmp/other/root-cert.pem" "$tmp/ca/root-cert.pem"
check "a root that is not ca-cert's is refused" 1 "$BIN" ca check "$tmp/ca"
says "foreign root" "does not chain"

rm "$tmp/ca/cert-chain.pem"
check "a missing file is refused" 1 "$BIN" ca check "$tmp/ca"
says "missing file" "cert-chain.pem"

check "json error" 1 "$BIN" -o json ca check "$tmp/none"
python3 -c 'import json,sys; assert "error" in json.load(open(sys.argv[1]))' \
	"$tmp/out" && ok || bad "json error"
check "no directory is bad usage" 2 "$BIN" ca init
check "unknown verb is bad usage" 2 "$BIN" ca frob "$tmp/x"

for ttl in 1s 0 -5h 10x 24hh 400000h; do
	check "--svid-ttl $ttl is bad usage" 2 "$BIN" agent --config "$tmp" \
		--node n --svid-ttl "$ttl"
	says "--svid-ttl $ttl" "--svid-ttl"
done

finish ca
