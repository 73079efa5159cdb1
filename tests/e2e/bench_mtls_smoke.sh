#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The mTLS benchmark (tools/bench-mtls.sh) runs end to end in its quick
# mode: every contestant's path answers, each measure leaves its row, the
# proxies really held the idle connections, other benchmarks' rows are
# kept, and nothing of its mesh is left. Timings are never judged here:
# only that the figures exist and the paths carried traffic without errors.
# An unknown contestant is refused before anything is set up.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
for t in wrk nginx iperf3 haproxy stunnel openssl; do e2e_need command -v $t; done
BIN=${INFERMESH:-$OUT/infermesh}	# the binary the benchmark runs
e2e_need test -x "$BIN"

export MTLS_PREFIX=$IMT_PREFIX MTLS_RESULTS=$E2E_TMP/results.json MTLS_RAWDIR=$E2E_TMP/raw
# this tree's agent has --mtls: infermesh must run, never be left out
want=(direct haproxy stunnel infermesh)

# A row of another benchmark, which the mTLS rows must not replace.
echo '[{"name": "l4_ka32", "metric": "rps", "value": 1, "baseline": 1, "ratio": 1.0}]' \
	>"$MTLS_RESULTS"
check "bench-mtls quick run" env BENCH_QUICK=1 timeout 240 tools/bench-mtls.sh
cp "$E2E_TMP/out" "$E2E_TMP/run.log"

# row NAME METRIC: that row's value ("missing" if there is none).
row() {
	e2e_json "$MTLS_RESULTS" '([r["value"] for r in j if r["name"] == "'"$1"'" and r["metric"] == "'"$2"'"] or ["missing"])[0]'
}
positive() { awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }

for c in "${want[@]}"; do
	for tm in "ka32 rps" "close32 rps" "c1 p50_us" "iperf gbps"; do
		read -r t m <<<"$tm"
		v=$(row "mtls_${t}_$c" "$m")
		check "$c: $t $m measured ($v)" positive "$v"
	done
	check_eq "$c: keep-alive through its path without errors" "$(row "mtls_ka32_$c" errors)" 0.0
	[ "$c" = direct ] && continue
	check "$c: 100 idle connections (quick mode) held through its proxies (RSS row)" \
		grep -q "^conns $c 100 " "$MTLS_RAWDIR/raw"
	v=$(row "mtls_rss_${c}_client" idle_kib)
	check "$c: client-side proxy RSS read ($v KiB)" positive "$v"
done
check "infermesh was not left out" sh -c '! grep -q "infermesh left out" "$1"' _ "$E2E_TMP/run.log"
check_eq "the other benchmark's row is kept" "$(row l4_ka32 rps)" 1
check_eq "added latency against direct: direct's own is 0" "$(row mtls_c1_direct added_us)" 0.0
check "nothing of the benchmark's mesh left" mesh_gone

# Fail closed: an unknown contestant stops the run before any setup.
if MTLS_CONTESTANTS="direct nosuch" timeout 60 tools/bench-mtls.sh >"$E2E_TMP/bad" 2>&1; then
	fail "an unknown contestant is refused (it ran)"
else
	check "an unknown contestant is refused, named" grep -q "unknown contestant 'nosuch'" "$E2E_TMP/bad"
fi
check "nothing set up for the refused run" mesh_gone
