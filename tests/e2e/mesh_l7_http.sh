#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# AuthorizationPolicy per HTTP/1.1 request (issue 8, issue 9 items 1 and
# 4), on examples/mesh as it is (STRICT, its policies, no overlay), both
# agents with --mtls: model-server-access names methods and paths, so
# model-server:8080 is judged request by request by the agent of the node
# the chosen endpoint is on (its HTTP filter, like a waypoint). Real curl
# (--http1.1) from the pods; every backend logs each request it gets
# (MESH_REQUEST_LOG), which proves the refused ones never arrived:
#   - api-gateway and orchestrator: POST /v1/predict and
#     /v2/models/llama/infer answered 200 by model-server;
#   - GET /v1/predict, POST /v2/models/a/b/infer ({*} is one segment),
#     POST /v1/predict/../admin (normalized to /admin) and /v1%2Fpredict
#     (an encoded slash is not a slash): 403 "RBAC: access denied" (or
#     400), and never reach a backend;
#   - vector-retriever's pod (another principal): refused, never reaches
#     a backend (its connect() already, the source's tables);
#   - a CL+TE smuggling attempt from api-gateway: 400, and the request
#     smuggled behind it reaches no backend;
#   - reranker (a valid SVID model-server-access does not name), by the
#     Python HBONE peer straight at model-server-v1-b's :15008: CONNECT
#     200, then POST /v1/predict 403 "RBAC: access denied", never at a
#     backend, http_denied +1; api-gateway's SVID: the same POST 200;
#   - the refusals are counted by `proxy-config refusals` (http_denied,
#     http_bad) on the model-server nodes.
# shellcheck source=tests/e2e/lib.bash
. "$(dirname "$0")/lib.bash" || exit 2

e2e_need_agent
e2e_need curl --version
e2e_need openssl version

MS=10.96.0.5		# model-server (01-services.yaml, in file order)
CURL=(curl -s --http1.1 --max-time 5)

check "mesh up (examples/mesh, STRICT, requests logged)" \
	env MESH_REQUEST_LOG=1 timeout 120 "$MESH" up
eval "$("$MESH" env)"
LOG=$IMT_STATE/log
"$MESH" agent node-a >/dev/null
"$MESH" agent node-b >/dev/null
check "node-a agent: proxy listening" wait_for 60 e2e_listening node-a
check "node-b agent: proxy listening" wait_for 60 e2e_listening node-b

# seen METHOD PATH: how many times any model-server backend got it.
seen() {
	cat "$LOG"/model-server-*.log | grep -cxF "request $1 $2"
}
# call POD METHOD PATH [CURL ARGS]: model-server:8080's answer as "BODY
# STATUS" on one line (STATUS 000: none).
call() {
	local pod=$1 method=$2 path=$3
	shift 3
	timeout 10 "$MESH" exec "$pod" "${CURL[@]}" -X "$method" "$@" \
		-w ' %{http_code}' "http://$MS:8080$path" | tr -s '\n' ' '
}
denied() { # POD METHOD PATH [CURL ARGS]: 403 with Envoy's body
	local got
	got=$(call "$@")
	[ "$got" = "RBAC: access denied 403" ] || { echo "got: $got"; return 1; }
}
refused() { # the same, or 400 for a target that cannot be normalized
	local got
	got=$(call "$@")
	[ "$got" = "RBAC: access denied 403" ] || [ "${got##* }" = 400 ] ||
		{ echo "got: $got"; return 1; }
}
denied_total() {
	echo $(($(e2e_refusals node-a proxy http_denied) + $(e2e_refusals node-b proxy http_denied)))
}

# ---- allowed ----

for pod in api-gateway orchestrator; do
	got=$(call "$pod" POST /v1/predict -d '{"x":1}')
	echo "       $pod POST /v1/predict: $got"
	check "$pod POST /v1/predict: 200 from model-server's backend" \
		grep -qE '^model-server-[a-z0-9-]+ POST /v1/predict +200$' <<<"$got"
	got=$(call "$pod" POST /v2/models/llama/infer -d '{}')
	check "$pod POST /v2/models/llama/infer ({*}): 200 from the backend" \
		grep -qE '^model-server-[a-z0-9-]+ POST /v2/models/llama/infer +200$' <<<"$got"
done
check_eq "the backends logged both POST /v1/predict" "$(seen POST /v1/predict)" 2

# ---- refused per request; the backends never see them ----

before=$(denied_total)
check "api-gateway GET /v1/predict: 403 RBAC: access denied" \
	denied api-gateway GET /v1/predict
check "orchestrator GET /v1/predict: 403" denied orchestrator GET /v1/predict
check "POST /v2/models/a/b/infer ({*} is one segment): 403" \
	denied api-gateway POST /v2/models/a/b/infer -d '{}'
check "POST /v1/predict/../admin (normalized: /admin): 403" \
	denied api-gateway POST /v1/predict/../admin --path-as-is -d '{}'
check "POST /v1%2Fpredict (not /v1/predict): refused" \
	refused api-gateway POST /v1%2Fpredict -d '{}'
check_eq "GET /v1/predict never reached a backend" "$(seen GET /v1/predict)" 0
check_eq "nor /v2/models/a/b/infer" "$(seen POST /v2/models/a/b/infer)" 0
check_eq "nor /admin" "$(seen POST /admin)" 0
check_eq "nor /v1/predict/../admin" "$(seen POST /v1/predict/../admin)" 0
check_eq "nor /v1%2Fpredict" "$(seen POST /v1%2Fpredict)" 0
check_eq "and POST /v1/predict still only twice" "$(seen POST /v1/predict)" 2
check "the model-server nodes counted 4 or more http_denied" \
	test "$(denied_total)" -ge $((before + 4))

got=$(call vector-retriever-a POST /v1/predict -d '{}')
check "vector-retriever-a (another principal) POST /v1/predict: no answer from a backend" \
	test "${got##* }" != 200
check_eq "its request never reached a backend" "$(seen POST /v1/predict)" 2

# ---- smuggling: CL+TE, with a request hidden behind ----

SMUGGLE='POST /v1/predict HTTP/1.1\r\nHost: model-server\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: model-server\r\n\r\n'
raw() { # POD BYTES: what model-server:8080 answers to BYTES (printf form)
	timeout 10 "$MESH" exec "$1" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 8080), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
print(got.decode("latin-1").split("\r\n")[0])' "$MS" "$2"
}
bad_before=$(($(e2e_refusals node-a proxy http_bad) + $(e2e_refusals node-b proxy http_bad)))
check_eq "api-gateway CL+TE request: 400 and the connection ends" \
	"$(raw api-gateway "$SMUGGLE")" "HTTP/1.1 400 Bad Request"
check_eq "the smuggled GET /smuggled reached no backend" "$(seen GET /smuggled)" 0
check_eq "nor did its carrier" "$(seen POST /v1/predict)" 2
check_eq "counted once as http_bad" \
	"$(($(e2e_refusals node-a proxy http_bad) + $(e2e_refusals node-b proxy http_bad)))" \
	$((bad_before + 1))

# ---- another principal with a valid SVID, straight at the destination ----
# The source node's kernel refuses reranker's pod at connect(), so the
# Python HBONE peer (tests/interop/hbone_peer.py) dials model-server-v1-b's
# :15008 itself from orchestrator's address, outside the mesh's cgroups,
# with SVIDs minted from the mesh's CA: the CONNECT needs only a proven
# peer on an L7 port (200); node-b's HTTP filter judges the request.

MSB=10.10.2.14		# model-server-v1-b, node-b
PKI=$E2E_TMP/pki
mkdir -p "$PKI"
cp "$IMT_STATE/ca/root-cert.pem" "$PKI/ca.pem"
e2e_need_h2py
check "reranker's SVID from the mesh CA" e2e_svid "$PKI" rr reranker
check "api-gateway's SVID from the mesh CA" e2e_svid "$PKI" gw api-gateway
# hcall NAME: NAME's POST /v1/predict to model-server-v1-b:8080 over HBONE
hcall() {
	e2e_hbone_call orchestrator "$PKI" "$1" "$MSB:15008" "$MSB:8080" \
		"spiffe://cluster.local/ns/ai-inference/sa/model-server" "POST /v1/predict" 2>&1
}
before=$(e2e_refusals node-b proxy http_denied)
got=$(hcall rr)
check_eq "reranker: CONNECT 200 (a proven peer on an L7 port)" "$(head -1 <<<"$got")" "status 200"
check "reranker POST /v1/predict over the stream: 403" \
	grep -q '^HTTP/1.1 403 ' <<<"$got"
check "with the body RBAC: access denied" grep -qx 'RBAC: access denied' <<<"$got"
[ "$fails" -eq 0 ] || printf '       %s\n' "$got"
check_eq "reranker's request never reached a backend" "$(seen POST /v1/predict)" 2
check_eq "node-b counted it once as http_denied" \
	"$(e2e_refusals node-b proxy http_denied)" $((before + 1))
got=$(hcall gw)
check_eq "api-gateway: CONNECT 200" "$(head -1 <<<"$got")" "status 200"
check "api-gateway's same POST /v1/predict: 200 from model-server-v1-b" \
	grep -q '^HTTP/1.1 200 ' <<<"$got"
check_eq "the backend logged it" "$(seen POST /v1/predict)" 3
check_eq "node-b's http_denied unchanged" \
	"$(e2e_refusals node-b proxy http_denied)" $((before + 1))
