#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HBONE interop, both ways, on loopback: infermesh's proxy objects
# (.output/tests/hbone-peer, built under ASan) against an independent peer
# written with Python's ssl and h2 (tests/interop/hbone_peer.py), with
# certificates of one test CA.
#  1. Python client -> infermesh server: a 300 KiB echo with half-close;
#     400 (foreign IP, no port, bad port, a GET), 401 (denied identity), 503
#     (no upstream); RST_STREAM(PROTOCOL_ERROR) for what HTTP/2 refuses;
#     201 streams -> one REFUSED_STREAM; PING ACKed; oversize headers and
#     garbage end the connection. The server counts each refusal by reason
#     and exits clean (no leak under ASan).
#  2. infermesh client -> Python server: 200 with the echo, 503, 400, 401
#     for the denied identity; a server that breaks HTTP/2 after its 200
#     resets the connection's streams and is counted.
set -u
OUT=${OUT:-.output}
PEER=$OUT/tests/hbone-peer
tmp=$(mktemp -d)
srv=
cleanup() {
	exec 7>&- 2>/dev/null
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import h2' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "FAIL: no python3 with h2 (Debian: python3-h2)"; exit 1; }
[ -x "$PEER" ] || { echo "FAIL: $PEER is missing (make $PEER)"; exit 1; }

# start_server CMD...: runs a server whose stdin is a FIFO we hold open (it
# stops when we close it) and waits for its "port N" line
start_server() {
	rm -f "$tmp/ctl" "$tmp/srv.out"
	mkfifo "$tmp/ctl"
	"$@" <"$tmp/ctl" >"$tmp/srv.out" 2>&1 &
	srv=$!
	exec 7>"$tmp/ctl"
	port=
	for _ in $(seq 100); do
		port=$(awk '$1 == "port" { print $2 }' "$tmp/srv.out")
		[ -n "$port" ] && return 0
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	cat "$tmp/srv.out"
	return 1
}

# stop_server: closes its stdin, waits (bounded) and returns its status
stop_server() {
	local rc
	exec 7>&-
	for _ in $(seq 100); do
		kill -0 "$srv" 2>/dev/null || break
		sleep 0.1
	done
	kill "$srv" 2>/dev/null
	wait "$srv"
	rc=$?
	srv=
	return $rc
}

"$PEER" certs "$tmp" || { echo "FAIL: hbone-peer certs"; exit 1; }

echo "-- Python client -> infermesh server"
start_server "$PEER" serve "$tmp" || { echo "FAIL: infermesh server did not start"; exit 1; }
timeout 180 "$PY" tests/interop/hbone_peer.py client "$tmp" "$port" >"$tmp/py.out" 2>&1
rc=$?
cat "$tmp/py.out"
[ "$rc" -eq 0 ] || fail "python client exit $rc"
n=$(grep -c '^ok ' "$tmp/py.out")
[ "$n" -eq 13 ] || fail "$n of 13 cases passed"
stop_server || fail "infermesh server exit status (ASan leak or crash)"
grep '^refused' "$tmp/srv.out" | grep -v ' 0$'
refused() { awk -v r="$1" '$1 == "refused" && $2 == r { print $3 }' "$tmp/srv.out"; }
# want: reason count (why)
while read -r reason want why; do
	got=$(refused "$reason")
	[ "$got" = "$want" ] || fail "refused $reason = '$got', want $want ($why)"
done <<'W'
bad_request 3 no-port and bad-port authorities, a GET
headers_too_big 1 the 70 KB header
too_many_streams 1 the 201st stream
bad_stream 2 CONNECT with :path, an :authority with spaces
h2_protocol 1 the garbage
W

echo "-- infermesh client -> Python server"
start_server "$PY" tests/interop/hbone_peer.py server "$tmp" ||
	{ echo "FAIL: python server did not start"; exit 1; }
timeout 60 "$PEER" client "$tmp" "$port" 127.0.0.1:7 127.0.0.1:9 10.255.0.1:7 \
	>"$tmp/c.out" 2>&1 || fail "infermesh client exit $?"
timeout 60 "$PEER" client "$tmp" "$port" --as denied 127.0.0.1:7 \
	>>"$tmp/c.out" 2>&1 || fail "infermesh client (denied) exit $?"
# the server answers 200, then breaks HTTP/2: both streams of that
# connection end reset (not EOF) and the client counts it
timeout 60 "$PEER" client "$tmp" "$port" 127.0.0.1:666 127.0.0.1:7 \
	>>"$tmp/c.out" 2>&1 || fail "infermesh client (broken server) exit $?"
cat "$tmp/c.out"
cat >"$tmp/c.want" <<'W'
127.0.0.1:7 status=200 echo=ok end=eof
127.0.0.1:9 status=503 echo=none end=eof
10.255.0.1:7 status=400 echo=none end=eof
127.0.0.1:7 status=401 echo=none end=eof
127.0.0.1:666 status=200 echo=none end=reset
127.0.0.1:7 status=0 echo=none end=reset
client refused h2_protocol 1
W
diff -u "$tmp/c.want" "$tmp/c.out" || fail "infermesh client saw other answers"
stop_server || true

[ "$fails" -eq 0 ] && echo "hbone_interop: all passed"
[ "$fails" -eq 0 ]
