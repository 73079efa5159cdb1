# SPDX-License-Identifier: Apache-2.0
# Sourced by the end-to-end tests (tests/e2e/*.sh, run as root by
# tests/run-all.sh). Not a test itself: run-all.sh runs only *.sh.
# Labelled checks, a closing "N passed, N failed" line, and a mesh that is
# torn down on every exit, failed or not.
OUT=${OUT:-.output}
export OUT
MESH=tools/mesh.sh
# A prefix of this run's own: two suites running at once (two developers'
# `make test` on one machine) build two meshes side by side, each in its
# own namespaces, and never tear down each other's.
export IMT_PREFIX=${IMT_PREFIX:-imt$$}
passes=0 fails=0
E2E_TMP=$(mktemp -d /tmp/imt-e2e.XXXXXX)

e2e_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "*** SKIP: $(basename "$0"): needs root (namespaces, cgroups) ***" >&2
		exit 0
	fi
}

pass() { passes=$((passes + 1)); echo "ok   - $*"; }
fail() { fails=$((fails + 1)); echo "FAIL - $*"; }

# check LABEL CMD...: passes when CMD exits 0; shows its output if not.
check() {
	local label=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		pass "$label"
	else
		fail "$label (exit $?)"
		sed 's/^/       /' "$E2E_TMP/out" | head -20
	fi
}

# check_eq LABEL GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# Nothing of the mesh may remain: namespaces, cgroups, state, mounts, and
# no link of the host namespace carries the prefix.
mesh_gone() {
	local p=$IMT_PREFIX cg2 left=0
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	if ip netns list | awk '{ print $1 }' | grep -q "^$p-"; then
		echo "netns left: $(ip netns list | grep "^$p-" | tr '\n' ' ')"
		left=1
	fi
	[ -d "$cg2/$p-mesh" ] && { echo "cgroup left: $cg2/$p-mesh"; left=1; }
	[ -e "/run/$p-mesh" ] && { echo "state left: /run/$p-mesh"; left=1; }
	grep -q " /run/$p-mesh" /proc/self/mounts && { echo "mount left"; left=1; }
	ip -o link | grep -q ": $p-" && { echo "host link left"; left=1; }
	return "$left"
}

# On failure, the agents' last words before `down` removes their logs.
e2e_logs() {
	local f
	for f in "/run/$IMT_PREFIX-mesh"/log/agent-*.log; do
		[ -f "$f" ] || continue
		echo "--- $(basename "$f") (last 20 lines)"
		tail -n 20 "$f"
	done
}

e2e_exit() {
	local rc=$?
	{ [ "$fails" -gt 0 ] || [ "$rc" -ne 0 ]; } && e2e_logs
	timeout 60 "$MESH" down >/dev/null 2>&1
	rm -rf "$E2E_TMP"
	echo
	echo "$(basename "$0" .sh): $passes passed, $fails failed"
	[ "$fails" -eq 0 ] && [ "$rc" -eq 0 ]
}
trap e2e_exit EXIT
