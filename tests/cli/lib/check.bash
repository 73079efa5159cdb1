# SPDX-License-Identifier: Apache-2.0
# What the CLI suites share (sourced; tests/run-all.sh runs tests/cli/*.sh,
# not this folder): the binary under test, a scratch dir removed on exit,
# and checks that count. `check` keeps the last command's stdout and
# stderr in $tmp/out and $tmp/err for the checks after it.
set -u
OUT=${OUT:-.output}
BIN=$OUT/infermesh-san
passes=0 fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passes=$((passes + 1)); }
bad() { # why...: shows the last command's output
	fails=$((fails + 1))
	echo "FAIL: $*"
	head -5 "$tmp/out" "$tmp/err" 2>/dev/null
}

check() { # label, expected rc, command...
	local label=$1 want=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq "$want" ] && ok || bad "$label: exit $rc, want $want"
}

has() { # label, file, text
	grep -q -- "$3" "$2" && ok || bad "$1: no '$3' in $2"
}

says() { # label, text the last stderr must hold
	grep -qF -- "$2" "$tmp/err" && ok || bad "$1: stderr lacks '$2'"
}

json_ok() { # label: the last stdout is valid JSON
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" &&
		ok || bad "$1: output is not JSON"
}

json_error() { # label: the last stdout is exactly one JSON object with "error"
	python3 -c 'import json,sys; assert "error" in json.load(open(sys.argv[1]))' \
		"$tmp/out" && ok || bad "$1: not a JSON error"
}

finish() { # suite name: the closing line and the exit status
	echo "$1: $passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
