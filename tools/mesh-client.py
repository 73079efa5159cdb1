#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A test mesh client: real connect()s from inside a pod (its cgroup is what
the kernel judges), one process for thousands of them.

  mesh-client.py count HOST PORT N [--deadline S] [--request "METHOD PATH"]
      N connections one after the other, each one request (GET /, or
      METHOD PATH without a body) with `Connection: close`; an answer
      other than 200 is a failure (EPROTO); prints JSON {"answers": {name: count},
      "errors": {errno name: count}, "elapsed_s": t}. Stops at the
      deadline (default 120 s) or after 10 failures in a row, and says
      so ("complete": false).
  mesh-client.py hold HOST PORT K --pidfile F [--max-seconds S]
                 [--only NAME [--max-tries T]]
      opens K connections and keeps them open until SIGTERM (or S seconds,
      default 60); writes its pid to F and prints "held K" once they are up.
      With --only, each connection asks once (keep-alive GET) who answers
      and is kept only if NAME does, else closed at once: the K kept ones
      all load one endpoint, all through the address dialled. Gives up
      after T connections (default 50 x K) and prints "held k of NAME
      after N tries" either way.
  mesh-client.py probe HOST PORT N [--timeout S]
      N connections one after the other, never stopping on failures;
      prints JSON {"results": [name or errno name, ...], "ms": [...]}, one
      entry per attempt in order, with how long each took (connect()
      refused at the source returns at once; a dropped SYN waits for the
      timeout, default 2 s).
"""
import errno
import json
import os
import signal
import socket
import sys
import time


def one_request(host, port, timeout=5.0, request="GET /"):
    method, path = request.split(" ", 1)
    body = "Content-Length: 0\r\n" if method != "GET" else ""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{body}Connection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError(errno.EPROTO, "bad response")
    return body.decode().strip()


def count(host, port, n, deadline_s, request):
    answers, errors = {}, {}
    start = time.monotonic()
    done = in_a_row = 0
    for done in range(1, n + 1):
        try:
            name = one_request(host, port, request=request)
            answers[name] = answers.get(name, 0) + 1
            in_a_row = 0
        except OSError as e:
            key = errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__
            errors[key] = errors.get(key, 0) + 1
            in_a_row += 1
        if time.monotonic() - start > deadline_s or in_a_row >= 10:
            break
    print(json.dumps({"answers": answers, "errors": errors, "connections": done,
                      "complete": done == n,
                      "elapsed_s": round(time.monotonic() - start, 3)}))


def errname(e):
    if isinstance(e, socket.timeout):
        return "TIMEOUT"
    return errno.errorcode.get(e.errno, str(e)) if e.errno else type(e).__name__


def probe(host, port, n, timeout):
    results, ms = [], []
    for _ in range(n):
        t = time.monotonic()
        try:
            results.append(one_request(host, port, timeout))
        except OSError as e:
            results.append(errname(e))
        ms.append(round((time.monotonic() - t) * 1000, 1))
    print(json.dumps({"results": results, "ms": ms}))


def ask(s, host):
    """One keep-alive GET on s: the name that answered (s stays open)."""
    s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError(errno.ECONNRESET, "closed before the answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise OSError(errno.ECONNRESET, "closed in the answer")
        body += chunk
    if not head.startswith(b"HTTP/1.1 200"):
        raise OSError(errno.EPROTO, "bad response")
    return body.decode().strip()


def hold_only(host, port, k, name, max_tries):
    """Connections answered by name, up to k of them in max_tries."""
    socks, tries = [], 0
    while len(socks) < k and tries < max_tries:
        tries += 1
        s = socket.create_connection((host, port), timeout=5.0)
        if ask(s, host) == name:
            socks.append(s)
        else:
            s.close()
    print(f"held {len(socks)} of {name} after {tries} tries", flush=True)
    return socks


def hold(host, port, k, pidfile, max_s, only=None, max_tries=0):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(pidfile, "w") as f:
        f.write(f"{os.getpid()}\n")
    if only:
        socks = hold_only(host, port, k, only, max_tries or 50 * k)
    else:
        socks = [socket.create_connection((host, port), timeout=5.0) for _ in range(k)]
        print(f"held {len(socks)}", flush=True)
    end = time.monotonic() + max_s
    while not stop and time.monotonic() < end:
        time.sleep(0.05)
    for s in socks:
        s.close()


def main():
    a = sys.argv[1:]
    opt = lambda name, dflt: a[a.index(name) + 1] if name in a else dflt
    if len(a) >= 4 and a[0] == "count":
        count(a[1], int(a[2]), int(a[3]), float(opt("--deadline", 120)), opt("--request", "GET /"))
    elif len(a) >= 4 and a[0] == "hold" and "--pidfile" in a:
        hold(a[1], int(a[2]), int(a[3]), opt("--pidfile", None), float(opt("--max-seconds", 60)),
             opt("--only", None), int(opt("--max-tries", 0)))
    elif len(a) >= 4 and a[0] == "probe":
        probe(a[1], int(a[2]), int(a[3]), float(opt("--timeout", 2)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
