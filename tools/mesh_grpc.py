#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""gRPC for the test mesh (Debian's python3-grpcio), KServe v2's service
path without its protobufs (raw bytes: the mesh judges paths, not payload).

As a workload (imported by mesh-server.py for the ports in
MESH_GRPC_PORTS; a line on stdout per call, so a test can tell which calls
arrived): /inference.GRPCInferenceService/ModelInfer answers
"<name> infer <request>"; ModelStreamInfer is a server stream of N
messages where message k+1 is produced only once the client has said it
received message k (a file GATE/ack<k>): a stream held anywhere on the way
never gets past its first message.

As a client (run in a pod with `tools/mesh.sh exec`):
  mesh_grpc.py unary HOST:PORT [PATH]  prints "OK <reply>" or "<CODE> <details>"
                                       (PATH: ModelInfer's by default)
  mesh_grpc.py stream HOST:PORT GATE N prints each message, then "DONE <count>"
"""
import os
import sys
import time
from concurrent import futures

import grpc

SERVICE = "inference.GRPCInferenceService"
GATE_WAIT_S = 10


def _wait_file(path, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.01)
    return False


def serve(name, addr, ports):
    """Starts a gRPC server on each port of addr; returns them."""
    def infer(req, ctx):
        print(f"{name}: grpc ModelInfer from {ctx.peer()}", flush=True)
        return f"{name} infer ".encode() + req

    def stream(req, ctx):
        print(f"{name}: grpc ModelStreamInfer from {ctx.peer()}", flush=True)
        gate, n = req.decode().rsplit(":", 1)
        for k in range(int(n)):
            if k and not _wait_file(f"{gate}/ack{k - 1}", GATE_WAIT_S):
                ctx.abort(grpc.StatusCode.DEADLINE_EXCEEDED, f"no ack{k - 1}")
            yield f"{name} msg{k}".encode()

    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "ModelInfer": grpc.unary_unary_rpc_method_handler(infer),
        "ModelStreamInfer": grpc.unary_stream_rpc_method_handler(stream),
    })
    servers = []
    for p in ports:
        s = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        s.add_generic_rpc_handlers((handler,))
        if not s.add_insecure_port(f"{addr}:{p}"):
            raise OSError(f"cannot bind {addr}:{p}")
        s.start()
        servers.append(s)
    return servers


def _channel(target):
    # no proxy from the environment: the call must go where it is aimed
    return grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)])


def unary(target, path=f"/{SERVICE}/ModelInfer"):
    call = _channel(target).unary_unary(path)
    try:
        print("OK", call(b"ping", timeout=10).decode())
    except grpc.RpcError as e:
        print(e.code().name, e.details())


def stream(target, gate, n):
    call = _channel(target).unary_stream(f"/{SERVICE}/ModelStreamInfer")
    got = 0
    try:
        for msg in call(f"{gate}:{n}".encode(), timeout=30):
            print(msg.decode(), flush=True)
            open(f"{gate}/ack{got}", "w").close()
            got += 1
    except grpc.RpcError as e:
        print(e.code().name, e.details())
    print("DONE", got)


def main():
    mode, target = sys.argv[1], sys.argv[2]
    if mode == "unary":
        unary(target, *sys.argv[3:4])
    elif mode == "stream":
        stream(target, sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
