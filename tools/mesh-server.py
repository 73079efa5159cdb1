#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A test mesh workload: HTTP/1.1 on each given port of one address, every
GET answered with the workload's name, so a client can tell which endpoint
the kernel chose; GET /peer adds the address the connection came from
(what the application sees of its caller). POST reads its body
(Content-Length) and answers "NAME POST PATH". Keep-alive works (wrk);
`Connection: close` too. Ports listed in MESH_GRPC_PORTS (comma separated)
serve gRPC instead (mesh_grpc.py, python3-grpcio). With MESH_REQUEST_LOG
set, every request is logged on stdout as "request METHOD PATH", so a test
can prove which requests reached the backend (and which never did).

  mesh-server.py NAME ADDRESS PORT[,PORT...]
"""
import http.server
import os
import socketserver
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""

    def note(self):
        if os.environ.get("MESH_REQUEST_LOG"):
            print(f"request {self.command} {self.path}", flush=True)

    def answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.note()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self.answer(self.body.rstrip(b"\n") + f" POST {self.path}\n".encode())

    def do_GET(self):
        self.note()
        body = self.body
        if self.path.split("?")[0] == "/peer":
            body = body.rstrip(b"\n") + b" " + self.client_address[0].encode() + b"\n"
        self.answer(body)

    def log_message(self, *args):
        pass  # thousands of connections per test: no line each


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    name, addr, ports = sys.argv[1], sys.argv[2], sys.argv[3]
    Handler.body = (name + "\n").encode()
    grpc_ports = set(os.environ.get("MESH_GRPC_PORTS", "").split(","))
    mine = ports.split(",")
    servers = [Server((addr, int(p)), Handler) for p in mine if p not in grpc_ports]
    grpc_servers = []  # held: a gRPC server object stops when collected
    if grpc_ports & set(mine):
        import mesh_grpc  # only here: the HTTP tests need no grpcio
        grpc_servers = mesh_grpc.serve(name, addr, sorted(grpc_ports & set(mine)))
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"{name}: serving on {addr} ports {ports}", flush=True)
    threading.Event().wait()  # the servers run in their threads
    del grpc_servers


if __name__ == "__main__":
    main()
