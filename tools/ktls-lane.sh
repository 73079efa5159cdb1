#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kTLS lane: this machine's kernel has no TLS, so the kernel path runs
# in Debian's stock 6.1 kernel booted under qemu (TCG: KVM does not work
# here). Takes the kernel package with apt-get download (unpacked with
# dpkg-deb -x, never installed), the TLS modules from it, busybox-static,
# and the static test programs (make $(OUT)/ktls-lane-test
# $(OUT)/ktls-lane-hbone $(OUT)/ktls-lane-proxy), and the agent with its
# shared libraries for tests/ktls/lane_agent.sh; builds an
# initramfs, boots it, and passes only when every program printed
# "LANE RESULT ... failed=0" and returned 0. Any missing piece (a download,
# a module, qemu) is a FAIL, never a skip. More programs: add them to
# LANE_PROGS; LANE_ONLY="prog..." runs only those (an iteration, not the
# verdict). Usage: tools/ktls-lane.sh [MiB per direction, default 32]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.output}
MIB=${1:-32}
WALL=${KTLS_LANE_TIMEOUT:-420}	# seconds for the whole boot and run
LANE=$OUT/ktls-lane
LANE_BINS=("$OUT/ktls-lane-test" "$OUT/ktls-lane-hbone" "$OUT/ktls-lane-proxy")
LANE_PROGS=("${LANE_BINS[@]}" tests/ktls/lane_agent.sh)
[ -z "${LANE_ONLY:-}" ] || read -ra LANE_PROGS <<<"$LANE_ONLY"
AGENT=$OUT/infermesh	# dynamic: goes in with its shared libraries
# insmod order: each module after those it needs (kernel-facts.md); the
# agents' test mesh needs veth, their tc guard the clsact qdisc and the
# bpf classifier
MODULES="gf128mul ghash-generic ctr gcm cryptd crypto_simd aesni-intel ghash-clmulni-intel tls
	sch_ingress cls_bpf veth"

fail() {
	echo "*** KTLS LANE FAIL: $* ***" >&2
	exit 1
}

# The newest 6.1 image the metapackage points at, downloaded once.
fetch_kernel() {
	local pkg deb
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-6\.1\.[0-9]+-[0-9]+-amd64$/ { print $2; exit }')
	[ -n "$pkg" ] || fail "apt offers no linux-image-6.1.0-*-amd64 (apt-get update?)"
	mkdir -p "$LANE/deb"
	deb=$(ls "$LANE"/deb/"${pkg}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		(cd "$LANE/deb" && apt-get download "$pkg") >&2 ||
			fail "apt-get download $pkg"
		deb=$(ls "$LANE"/deb/"${pkg}"_*.deb | head -1)
	fi
	rm -rf "$LANE/kernel"
	dpkg-deb -x "$deb" "$LANE/kernel" || fail "unpacking $deb"
	echo "$pkg"
}

# BIN into the tree as /lane/agent/NAME, with every shared library ldd
# names for it at the same paths (the loader included), so it runs
# unchanged in the VM.
copy_dynamic() { # ROOT BIN NAME
	local root=$1 bin=$2 lib
	[ -x "$bin" ] || fail "$bin not there (make, or tools/packages.txt)"
	! ldd "$bin" | grep -q 'not found' || fail "$bin: a library is missing (ldd)"
	mkdir -p "$root/lane/agent"
	cp "$bin" "$root/lane/agent/$3"
	for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# The agent, iproute2's ip (busybox's cannot make a veth) and the mesh
# for tests/ktls/lane_agent.sh.
copy_agent() { # ROOT
	copy_dynamic "$1" "$AGENT" infermesh
	copy_dynamic "$1" "$(command -v ip)" ip
	cp -r tests/ktls/lane-mesh "$1/lane/mesh"
}

# The initramfs tree: busybox, /init, the modules in order, the programs,
# the agent.
build_root() {
	local root=$LANE/root kdir m f
	kdir=$(echo "$LANE"/kernel/lib/modules/*)
	rm -rf "$root"
	mkdir -p "$root"/{bin,proc,sys,dev,lane/mod,lane/run}
	[ -x /bin/busybox ] || fail "no /bin/busybox (apt-get install busybox-static)"
	cp /bin/busybox "$root/bin/busybox"
	install -m 0755 tools/ktls-lane-init.sh "$root/init"
	for m in $MODULES; do
		f=$(find "$kdir" \( -name "$m.ko" -o -name "${m//-/_}.ko" \) | head -1)
		[ -n "$f" ] || fail "module $m not in the kernel package"
		cp "$f" "$root/lane/mod/$m.ko"
	done
	echo "$MODULES" >"$root/lane/modules"
	echo "$MIB" >"$root/lane/args"
	for p in "${LANE_PROGS[@]}"; do
		[ -x "$p" ] || fail "$p not built (make $p)"
		cp "$p" "$root/lane/run/"
	done
	copy_agent "$root"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$LANE/initrd.gz"
}

boot() {
	local vmlinuz
	vmlinuz=$(echo "$LANE"/kernel/boot/vmlinuz-*)
	command -v qemu-system-x86_64 >/dev/null ||
		fail "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
	timeout --kill-after=10 "$WALL" qemu-system-x86_64 -accel tcg -cpu max \
		-m 512 -smp 1 -nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$vmlinuz" -initrd "$LANE/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet" >"$LANE/console.log" 2>&1 ||
		true
}

# Every program ran to the end, printed a clean RESULT and returned 0.
verdict() {
	local log=$LANE/console.log n
	grep -a '^LANE' "$log" || true
	grep -aq '^LANE-DONE' "$log" ||
		fail "the VM did not finish within ${WALL}s (see $log)"
	n=${#LANE_PROGS[@]}
	[ "$(grep -ac '^LANE-RUN .* rc=0' "$log")" -eq "$n" ] ||
		fail "a lane program failed (see $log)"
	[ "$(grep -ac '^LANE RESULT passed=[1-9][0-9]* failed=0' "$log")" -eq "$n" ] ||
		fail "a lane case failed (see $log)"
	! grep -aq 'FAIL' "$log" || fail "a FAIL line in $log"
}

start=$(date +%s)
mkdir -p "$LANE"
# (the static link warns about glibc's NSS; the lane program uses none)
make -s "${LANE_BINS[@]}" "$AGENT" 2>"$LANE/build.log" ||
	{ cat "$LANE/build.log" >&2; fail "building the lane program"; }
pkg=$(fetch_kernel)
build_root
echo "ktls lane: $pkg under qemu TCG, $MIB MiB per direction" >&2
boot
verdict
echo "ktls lane: passed in $(($(date +%s) - start)) s"
