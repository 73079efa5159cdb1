#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A bounded libFuzzer run over the loader, validation and analyzers (make
# fuzz-smoke: 20000 inputs or 30 s from the seeds in tests/fuzz/corpus).
# Needs clang's libFuzzer runtime (libclang-rt-14-dev, in tools/packages.txt).
# Without it: a loud SKIP on a workstation, a failure in CI (CI=... set).
set -u
OUT=${OUT:-.output}
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT

printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ return 0; }\n' \
	>"$probe/p.c"
if ! ${CLANG:-clang} -fsanitize=fuzzer,address,undefined "$probe/p.c" \
	-o "$probe/p" >"$probe/log" 2>&1; then
	cat "$probe/log" >&2
	if [ -n "${CI:-}" ]; then
		echo "FAIL: fuzz_smoke: clang cannot link libFuzzer; install libclang-rt-14-dev" >&2
		exit 1
	fi
	echo "*** SKIP: fuzz_smoke: clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev) ***" >&2
	exit 0
fi
log=$OUT/fuzz-smoke.log
mkdir -p "$OUT"
if make --no-print-directory OUT="$OUT" fuzz-smoke >"$log" 2>&1; then
	grep -E '^(Done|#[0-9]+.*DONE)' "$log" | tail -1
	echo "fuzz_smoke: passed"
	exit 0
fi
tail -40 "$log"
echo "FAIL: fuzz_smoke: the fuzzer found a crash, leak or hang (full log: $log;" \
	"the input is $OUT/fuzz-crash-*, $OUT/fuzz-leak-* or $OUT/fuzz-timeout-*)"
exit 1
