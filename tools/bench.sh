#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: times `infermesh analyze` on a generated mesh of 10,000 objects
# (tools/gen-mesh.py): median wall time of 5 runs, peak RSS, and, when
# valgrind is installed, an instruction count under callgrind (on a 1,000
# object mesh: callgrind runs ~50x slower). A 1,000 object run is timed too,
# so the two sizes show how analyze scales. Results go to
# $OUT/bench-results.json as [{name, metric, value, baseline, ratio}]; the
# baseline of the large mesh is the small mesh's figure of the same run scaled
# linearly, so ratio 1.0 means analyze grows linearly (no stored baselines:
# numbers from another day on a shared machine do not compare).
#
# Environment: OUT (build dir, default .output), BENCH_OBJECTS (10000),
# BENCH_RUNS (5), BENCH_CALLGRIND=0 to skip callgrind, BENCH_TLS_N (400
# handshakes per TLS run), BENCH_STREAM_MIB (256 MiB per stream run),
# BENCH_L4=0 / BENCH_MTLS=0 to skip those phases, BENCH_QUICK=1 for a
# smoke run of every phase (one run each, short).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.output}
BIN=$OUT/infermesh
if [ "${BENCH_QUICK:-0}" = 1 ]; then	# a smoke run: every phase, briefly
	: "${BENCH_RUNS:=1}" "${BENCH_CALLGRIND:=0}" "${BENCH_TLS_N:=50}" "${BENCH_STREAM_MIB:=16}"
	export L4_DUR=${L4_DUR:-1} L4_REPS=${L4_REPS:-1} L4_ROUNDS=${L4_ROUNDS:-1}
	export L4_CONNECTS=${L4_CONNECTS:-2000} BENCH_QUICK
fi
OBJECTS=${BENCH_OBJECTS:-10000}
RUNS=${BENCH_RUNS:-5}
RESULTS=$OUT/bench-results.json

[ -x "$BIN" ] || { echo "bench: $BIN not built (make OUT=$OUT)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/infermesh-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Runs analyze on $1 once; prints "wall_ms peak_rss_kib cpu_ms" (cpu: user
# plus system, steadier than wall time on a busy machine). Exit status 0 and
# 1 (findings with errors) are both a completed analysis; anything else is
# a crash or unusable input and stops the bench.
run_once() {
	local t0 t1 rc=0 usage
	t0=$(date +%s%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M %U %S' -o "$work/usage" "$BIN" analyze \
			-f "$1" >/dev/null 2>&1 || rc=$?
		usage=$(tail -n 1 "$work/usage")
	else	# getrusage of the child, through python3's resource module
		usage=$(python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(u.ru_maxrss, u.ru_utime, u.ru_stime)
sys.exit(rc)' "$BIN" analyze -f "$1") || rc=$?
	fi
	t1=$(date +%s%N)
	if [ "$rc" -gt 1 ]; then
		echo "bench: analyze -f $1 exited with $rc" >&2
		exit 1
	fi
	echo "$(((t1 - t0) / 1000000)) $usage" |
		awk '{ printf "%d %d %d\n", $1, $2, ($3 + $4) * 1000 }'
}

# Median wall and cpu time, largest peak RSS, of $RUNS runs on $1.
measure() {
	for _ in $(seq "$RUNS"); do run_once "$1"; done >"$work/runs"
	sort -n -k1,1 "$work/runs" | awk '{ w[NR] = $1 } END { printf "%d ", w[int((NR + 1) / 2)] }'
	sort -n -k3,3 "$work/runs" | awk '{ c[NR] = $3; if ($2 > r) r = $2 }
		END { print r, c[int((NR + 1) / 2)] }'
}

# Instructions executed, from callgrind's "summary:" line.
instructions() {
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$BIN" analyze -f "$1" >/dev/null 2>&1 || true
	awk '/^summary:/ { print $2 }' "$work/cg.out"
}

echo "generating meshes in $work ..."
python3 tools/gen-mesh.py --objects "$OBJECTS" "$work/big"
python3 tools/gen-mesh.py --objects 1000 --namespaces 10 "$work/small"

results=()
add() { # name metric value
	results+=("$1 $2 $3")
}

tag=$((OBJECTS / 1000))k
for size in "$tag:big" "1k:small"; do
	label=${size%%:*} dir=$work/${size#*:}
	echo "timing analyze on $label objects, $RUNS runs ..."
	read -r wall rss cpu < <(measure "$dir")
	add "analyze_$label" wall_ms "$wall"
	add "analyze_$label" cpu_ms "$cpu"
	add "analyze_$label" peak_rss_kib "$rss"
done
if [ "${BENCH_CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
	echo "counting instructions under callgrind (1k objects) ..."
	add analyze_1k instructions "$(instructions "$work/small")"
else
	echo "note: valgrind not installed (or BENCH_CALLGRIND=0): no instruction count"
fi

# CPU per mTLS handshake per side (tools/bench/tls_handshake.c): TCP alone,
# full, resumed, and the crypto floor of one side; medians of 3 runs.
if [ -x "$OUT/bench/tls_handshake" ]; then
	echo "timing TLS handshakes (${BENCH_TLS_N:-400} per run, 3 runs) ..."
	while read -r line; do
		results+=("$line")
	done < <("$OUT/bench/tls_handshake" "${BENCH_TLS_N:-400}")
fi

# One HBONE stream over one loopback tunnel against TLS alone and plain
# TCP (tools/bench/hbone_stream.c): MiB/s and each side's CPU per MiB,
# medians of 5 runs of BENCH_STREAM_MIB (256) MiB.
if [ -x "$OUT/bench/hbone_stream" ]; then
	echo "timing one HBONE stream vs TLS vs plain (${BENCH_STREAM_MIB:-256} MiB, 5 runs) ..."
	while read -r line; do
		results+=("$line")
	done < <("$OUT/bench/hbone_stream" "${BENCH_STREAM_MIB:-256}" 5)
fi

printf '%s\n' "${results[@]}" | python3 tools/bench-report.py "$RESULTS"

# The L4 dataplane benchmark (tools/bench-l4.sh: direct vs infermesh, wrk
# and connect() latency) appends its l4_* rows to the same file. It needs
# root (namespaces, cgroups, BPF); BENCH_L4=0 skips it.
if [ "${BENCH_L4:-1}" = 0 ]; then
	echo "note: BENCH_L4=0: L4 dataplane benchmark skipped"
elif [ "$(id -u)" != 0 ]; then
	echo "note: not root: L4 dataplane benchmark skipped (tools/bench-l4.sh)"
else
	OUT=$OUT tools/bench-l4.sh
fi

# The mTLS benchmark (tools/bench-mtls.sh: direct, the haproxy and stunnel
# pairs and infermesh --mtls side by side) appends its mtls_* rows; root
# only as well; BENCH_MTLS=0 skips it, BENCH_QUICK=1 makes it a smoke run.
if [ "${BENCH_MTLS:-1}" = 0 ]; then
	echo "note: BENCH_MTLS=0: mTLS benchmark skipped"
elif [ "$(id -u)" != 0 ]; then
	echo "note: not root: mTLS benchmark skipped (tools/bench-mtls.sh)"
else
	OUT=$OUT tools/bench-mtls.sh
fi
