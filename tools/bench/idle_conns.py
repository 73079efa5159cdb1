#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Holds N proxied connections open and idle, for tools/bench-mtls.sh to
read the proxies' memory per connection.

  idle_conns.py HOST PORT N [HOLD_S]

Each connection sends one keep-alive GET /1k and reads the whole answer
before it counts: a connection only counts once the proxy path behind it is
up end to end (for infermesh: the tunnel stream and the server agent's leg
to the app). Prints "open N" when all are, then holds them until stdin
closes or HOLD_S (60) pass, and closes them. Bounded: 30 s to open them
all, else it exits 1 naming how many made it.
"""
import resource
import select
import selectors
import socket
import sys
import time

REQ = b"GET /1k HTTP/1.1\r\nHost: bench\r\n\r\n"
BODY = 1024
OPEN_S = 30


def answered(buf):
    """True once buf holds the headers and the 1 KiB body."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    return bool(sep) and head.startswith(b"HTTP/1.1 200") and len(body) >= BODY


def open_all(host, port, n):
    """n connections, each with its request answered; exits on timeout."""
    end = time.monotonic() + OPEN_S
    sel = selectors.DefaultSelector()  # epoll: more than FD_SETSIZE sockets
    socks, bufs, done = [], {}, 0
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=OPEN_S)
        s.sendall(REQ)
        s.setblocking(False)
        socks.append(s)
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ)
    while done < n and time.monotonic() < end:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            chunk = s.recv(65536)
            if not chunk:
                sys.exit(f"idle_conns: a connection closed before its answer ({done} done)")
            bufs[s] += chunk
            if answered(bufs[s]):
                sel.unregister(s)
                done += 1
    if done < n:
        sys.exit(f"idle_conns: {done} of {n} answered in {OPEN_S} s")
    sel.close()
    return socks


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    want = n + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    socks = open_all(host, port, n)
    print(f"open {len(socks)}", flush=True)
    # held until the benchmark has read the memory (closes our stdin)
    select.select([sys.stdin], [], [], hold)
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
