#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every suite and prints one closing line "N passed, N failed".
# Privileged suites need root: anywhere else they print SKIP loudly and count
# as skipped, never as passed.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-.output}
passed=0 failed=0 skipped=0
failed_names=()

run() { # name, command...
	local name=$1
	shift
	printf '\n===== %s =====\n' "$name"
	"$@"
	local rc=$?
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		# a status above 128 is a signal: say so, CUnit cannot
		[ "$rc" -gt 128 ] && echo "*** $name killed by signal $((rc - 128)) ***"
		echo "*** FAILED: $name (exit $rc) ***"
		failed=$((failed + 1))
		failed_names+=("$name")
	fi
}

skip() {
	printf '\n===== %s =====\n' "$1"
	printf '*** SKIP: %s: %s ***\n' "$1" "$2" >&2
	skipped=$((skipped + 1))
}

for s in unit proxy conformance badinput; do
	[ -x "$OUT/tests/$s" ] && run "$s" "$OUT/tests/$s"
done
for t in tests/cli/*.sh; do
	[ -f "$t" ] && run "cli/$(basename "$t" .sh)" env OUT="$OUT" bash "$t"
done

if [ "$(id -u)" -ne 0 ]; then
	for s in bpf e2e; do
		[ -d "tests/$s" ] && skip "$s" "needs root (BPF programs, namespaces, cgroups)"
	done
else
	[ -x "$OUT/tests/bpf" ] && run bpf "$OUT/tests/bpf"
	for t in tests/e2e/*.sh; do
		[ -f "$t" ] && run "e2e/$(basename "$t" .sh)" env OUT="$OUT" bash "$t"
	done
fi

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
