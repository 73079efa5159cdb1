#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: what infermesh does today, in under a minute, leaving nothing
# behind: analyze the example mesh, explain what it does, the findings on
# the user's own (seed) configuration, and what this kernel offers the
# dataplane.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
OUT=${OUT:-.output}
BIN=$OUT/infermesh
SEED=../shared/fixtures/seed
EXPLAIN_LINES=${DEMO_EXPLAIN_LINES:-60}

[ -x "$BIN" ] || { echo "demo: $BIN not built (make OUT=$OUT)" >&2; exit 2; }

step() {
	if [ -t 1 ]; then
		printf '\n\033[1m== %s ==\033[0m\n' "$*"
	else
		printf '\n== %s ==\n' "$*"
	fi
}

# analyze exits 1 when it finds errors: that is the point of the demo, not
# a failure of it. Only a crash or unusable input (>1) stops us.
analyze() {
	local rc=0
	"$BIN" analyze "$@" || rc=$?
	[ "$rc" -le 1 ] || { echo "demo: analyze $* exited with $rc" >&2; exit 1; }
}

mesh=examples/mesh
if [ ! -d "$mesh" ]; then
	echo "note: $mesh/ is missing; using the seed configuration $SEED/"
	mesh=$SEED
fi

step "1. infermesh analyze -f $mesh/"
analyze -f "$mesh"

step "2. infermesh analyze -f $mesh/ --explain (first $EXPLAIN_LINES lines)"
explain=$("$BIN" analyze -f "$mesh" --explain --no-info 2>/dev/null |
	sed -n '/^\(Error\|Warning\|Info\) \[/q;p')
if [ -n "$explain" ]; then
	printf '%s\n' "$explain" | head -n "$EXPLAIN_LINES"
	total=$(printf '%s\n' "$explain" | wc -l)
	[ "$total" -gt "$EXPLAIN_LINES" ] &&
		echo "... ($((total - EXPLAIN_LINES)) more lines)"
else
	echo "(--explain printed nothing for this mesh)"
fi

step "3. the seed configuration ($SEED/): findings in brief"
if [ -d "$SEED" ]; then
	# python3 is a build dependency already; jq is not
	"$BIN" analyze -f "$SEED" -o json 2>/dev/null | python3 -c '
import json, os, sys
n = {}
for f in json.load(sys.stdin):
    where = "%s:%d" % (os.path.basename(f["file"]), f["line"]) if f["file"] else "-"
    print("%-8s %-8s %-60s %s" % (f["level"], f["code"], f["resource"] or "-", where))
    n[f["level"]] = n.get(f["level"], 0) + 1
print("\n%d errors, %d warnings, %d info" % (n.get("Error", 0), n.get("Warning", 0), n.get("Info", 0)))
'
else
	echo "(no $SEED/ beside the repository)"
fi

step "4. infermesh features: what this kernel offers the dataplane"
"$BIN" features
[ "$(id -u)" -eq 0 ] || echo "(run as root to try the BPF hooks themselves)"
