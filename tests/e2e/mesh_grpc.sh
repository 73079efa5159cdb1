#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gRPC through the inbound HTTP/2 filter (user/http/hfilt_h2*.c), on
# examples/mesh as it is (STRICT, its AuthorizationPolicies), --mtls agents,
# a real gRPC client and server from Debian's python3-grpcio
# (tools/mesh_grpc.py; every pod's 8081 serves gRPC for this suite):
#   - api-gateway and orchestrator call model-server:8081
#     /inference.GRPCInferenceService/ModelInfer: model-server-access names
#     them (POST, "/inference.GRPCInferenceService/*"), the reply is the
#     model server's;
#   - api-gateway calling a service the policy does not name
#     (/inference.Admin/Reload: not "/inference.GRPCInferenceService/*") gets
#     PERMISSION_DENIED "RBAC: access denied" from model-server's node
#     agent (a server that saw it would say UNIMPLEMENTED);
#   - a principal the policy does not name for 8081 (vector-retriever) is
#     refused at connect() by its own node's kernel (no request of it could
#     be allowed): UNAVAILABLE, "Operation not permitted";
#   - no model server logs a refused call;
#   - a server-streaming call's messages arrive one by one: the server
#     produces message k+1 only after the client has received message k,
#     so a stream held anywhere on the way stops at its first message.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2
export IMT_MTLS=1		# tools/mesh.sh's agents run --mtls
export MESH_GRPC_PORTS=8081	# tools/mesh-server.py: gRPC on 8081

MS=10.96.0.5			# model-server (01-services.yaml, in file order)
GRPC=tools/mesh_grpc.py

e2e_need_agent
PYTHON=
for p in "$E2E_PY" python3 /usr/bin/python3; do
	if "$p" -c 'import grpc' 2>/dev/null; then PYTHON=$p; break; fi
done
e2e_need test -n "$PYTHON"	# no python3 with grpc (Debian: python3-grpcio)
export PYTHON			# the pods' servers need grpcio too

check "mesh up (examples/mesh, STRICT, gRPC on 8081)" timeout 120 "$MESH" up
eval "$("$MESH" env)"
LOG=$IMT_STATE/log
check "agent node-a --mtls" "$MESH" agent node-a
check "agent node-b --mtls" "$MESH" agent node-b
check "node-a's proxy listens in its 5 pods" wait_for 60 e2e_listening node-a
check "node-b's proxy listens in its 5 pods" wait_for 60 e2e_listening node-b

# calls: the calls the model servers logged
calls() { cat "$LOG"/model-server-*.log | grep -c ": grpc "; }

for pod in api-gateway orchestrator; do
	got=$(timeout 30 "$MESH" exec "$pod" "$PYTHON" "$GRPC" unary "$MS:8081")
	check "$pod -> model-server:8081 ModelInfer allowed, answered by a model server ($got)" \
		grep -q '^OK model-server-v[12]\(-[abc]\)\? infer ping$' <<<"$got"
done

before=$(calls)
got=$(timeout 30 "$MESH" exec api-gateway "$PYTHON" "$GRPC" unary "$MS:8081" \
	/inference.Admin/Reload)
check_eq "api-gateway -> model-server:8081 /inference.Admin/Reload (path not in the policy): gRPC PERMISSION_DENIED" \
	"$got" "PERMISSION_DENIED RBAC: access denied"
got=$(timeout 30 "$MESH" exec vector-retriever-a "$PYTHON" "$GRPC" unary "$MS:8081")
check "vector-retriever (not named) -> model-server:8081: refused at connect() ($got)" \
	grep -q '^UNAVAILABLE .*Operation not permitted' <<<"$got"
check_eq "no model server saw a refused call" "$(calls)" "$before"

GATE=$E2E_TMP/gate
mkdir -p "$GATE"
timeout 60 "$MESH" exec api-gateway "$PYTHON" "$GRPC" stream "$MS:8081" \
	"$GATE" 8 >"$E2E_TMP/stream" 2>&1
check "server stream: 8 messages in order, each produced after the last arrived" \
	bash -c "[ \"\$(grep -c ' msg[0-7]\$' '$E2E_TMP/stream')\" = 8 ] &&
		 grep -q '^DONE 8\$' '$E2E_TMP/stream'"
