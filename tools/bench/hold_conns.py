#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Many concurrent connections, each proven end to end, held at once
(tests/e2e/mesh_mtls_load.sh: 10,000 through the mTLS tunnels).

  hold_conns.py echo ADDR PORT
      an epoll echo server (one thread, any number of connections: the
      mesh's threaded mesh-server.py cannot hold thousands); prints
      "serving on ADDR:PORT" once it listens
  hold_conns.py hold HOST PORT N [--window W] [--deadline S]
      opens N connections to HOST:PORT, at most W (256) still unproven at
      a time; each counts once one byte it sent came back. Prints one JSON
      line {"held": n, "failed": n, "errors": {...}, "seconds": s} when
      all are proven, or at the deadline (S, 120 s) with what it has; then
      holds them until a line (or EOF) on stdin, closes them all and
      prints "closed N". Exits 1 unless all N were held.

Both raise their open-file limit to what they need (root may raise the
hard limit too) and say so if they cannot.
"""
import errno
import json
import resource
import selectors
import socket
import sys
import time


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        sys.stderr.write(f"hold_conns: open files limited to {hard}, want {want}\n")


def echo(addr, port):
    raise_nofile(16384)  # 10,000 held, and room
    lis = socket.socket()
    lis.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lis.bind((addr, port))
    lis.listen(4096)
    lis.setblocking(False)
    sel = selectors.DefaultSelector()  # epoll
    sel.register(lis, selectors.EVENT_READ)
    print(f"serving on {addr}:{port}", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is lis:
                accept_all(lis, sel)
                continue
            try:
                data = s.recv(65536)
                if data:
                    s.send(data)  # a few bytes: the buffer takes them
                    continue
            except OSError:
                pass
            sel.unregister(s)
            s.close()


def accept_all(lis, sel):
    while True:
        try:
            c, _ = lis.accept()
        except BlockingIOError:
            return
        except OSError as e:  # EMFILE: say it, the client counts the rest
            sys.stderr.write(f"hold_conns: accept: {e}\n")
            return
        c.setblocking(False)
        sel.register(c, selectors.EVENT_READ)


class Holder:
    """Connections in flight (connecting, then waiting for the echo) and
    the proven ones."""

    def __init__(self, host, port, n, window):
        self.dst, self.n, self.window = (host, port), n, window
        self.sel = selectors.DefaultSelector()
        self.held, self.pending, self.opened = [], 0, 0
        self.errors = {}

    def fail(self, s, err):
        name = errno.errorcode.get(err, str(err)) if isinstance(err, int) else err
        self.errors[name] = self.errors.get(name, 0) + 1
        self.sel.unregister(s)
        s.close()
        self.pending -= 1

    def start_one(self):
        s = socket.socket()
        s.setblocking(False)
        err = s.connect_ex(self.dst)
        self.opened += 1
        self.pending += 1
        self.sel.register(s, selectors.EVENT_WRITE)
        if err not in (0, errno.EINPROGRESS):
            self.fail(s, err)

    def on_event(self, s, mask):
        if mask & selectors.EVENT_WRITE:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return self.fail(s, err)
            s.send(b"x")
            self.sel.modify(s, selectors.EVENT_READ)
            return None
        try:
            got = s.recv(16)
        except OSError as e:
            return self.fail(s, e.errno)
        if got != b"x":
            return self.fail(s, "closed" if not got else "garbage")
        self.sel.unregister(s)
        self.held.append(s)
        self.pending -= 1
        return None

    def run(self, deadline):
        end = time.monotonic() + deadline
        while len(self.held) + sum(self.errors.values()) < self.n:
            if time.monotonic() > end:
                self.errors["deadline"] = self.n - len(self.held) - sum(self.errors.values())
                break
            while self.opened < self.n and self.pending < self.window:
                self.start_one()
            for key, mask in self.sel.select(0.5):
                self.on_event(key.fileobj, mask)


def hold(host, port, n, window, deadline):
    raise_nofile(n + 64)
    h = Holder(host, port, n, window)
    t0 = time.monotonic()
    h.run(deadline)
    print(json.dumps({"held": len(h.held), "failed": sum(h.errors.values()),
                      "errors": h.errors,
                      "seconds": round(time.monotonic() - t0, 2)}), flush=True)
    sys.stdin.readline()
    for s in h.held:
        s.close()
    print(f"closed {len(h.held)}", flush=True)
    return 0 if len(h.held) == n else 1


def main(argv):
    if len(argv) == 4 and argv[1] == "echo":
        echo(argv[2], int(argv[3]))
        return 0
    if len(argv) >= 5 and argv[1] == "hold":
        opts = dict(zip(argv[5::2], argv[6::2]))
        return hold(argv[2], int(argv[3]), int(argv[4]),
                    int(opts.get("--window", 256)), float(opts.get("--deadline", 120)))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
