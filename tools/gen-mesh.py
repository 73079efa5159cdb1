#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a synthetic Istio mesh for `make bench`: N objects spread over many
namespaces, one multi-document YAML file per namespace.

Each namespace is a small, mostly correct inference platform: model-server
Services backed by WorkloadEntries (two versions each), a VirtualService
with a header match and a weighted canary per service, a DestinationRule
with subsets and traffic policy, AuthorizationPolicies naming callers by
service account, and PeerAuthentications. The objects refer to each other
the way real ones do (hosts, subsets, labels, principals), so the analyzers
do the work they would do on a real mesh. A few deliberate mistakes per
namespace (a route to a missing subset, a "*" inside a path) keep the
finding paths busy too. Output is deterministic.

usage: gen-mesh.py [--objects N] [--namespaces M] OUTDIR
"""
import argparse
import os
import random

# Share of each kind in a namespace's objects (sums to 1).
MIX = [
    ("Service", 0.15),
    ("WorkloadEntry", 0.40),
    ("VirtualService", 0.15),
    ("DestinationRule", 0.15),
    ("AuthorizationPolicy", 0.10),
    ("PeerAuthentication", 0.05),
]


def service(ns, i):
    return f"""apiVersion: v1
kind: Service
metadata:
  name: model-{i}
  namespace: {ns}
  labels: {{app: model-{i}}}
spec:
  selector: {{app: model-{i}}}
  ports:
  - name: http
    port: 8080
    targetPort: 8080
"""


def ip_of(n, j):
    """A unique address for workload <j> of namespace <n>."""
    idx = n * 10000 + j
    return f"10.{idx >> 16 & 255}.{idx >> 8 & 255}.{idx & 255}"


def workload_entry(ns, j, svc, ip):
    version = "v1" if j % 2 == 0 else "v2"   # pairs: one of each per service
    return f"""apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: model-{svc}-{j}
  namespace: {ns}
spec:
  address: {ip}
  labels: {{app: model-{svc}, version: {version}}}
  serviceAccount: model-{svc}
  locality: us-east1/us-east1-{"bc"[j % 2]}
  ports: {{http: 8080}}
"""


def virtual_service(ns, i, rnd):
    host = f"model-{i}.{ns}.svc.cluster.local"
    canary = rnd.choice([5, 10, 20, 50])
    pinned = "v3" if i % 10 == 9 else "v2"   # mistake: v3 is no subset
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: model-{i}
  namespace: {ns}
spec:
  hosts: [{host}]
  http:
  - name: pinned
    match:
    - headers:
        x-model-version: {{exact: v2}}
    route:
    - destination: {{host: {host}, subset: {pinned}}}
    retries: {{attempts: 2, retryOn: "connect-failure,refused-stream"}}
  - name: canary
    match:
    - uri: {{prefix: /v1/completions}}
    route:
    - destination: {{host: {host}, subset: v1}}
      weight: {100 - canary}
    - destination: {{host: {host}, subset: v2}}
      weight: {canary}
    timeout: 30s
    retries: {{attempts: 0}}
  - route:
    - destination: {{host: {host}, subset: v1}}
    retries: {{attempts: 0}}
"""


def destination_rule(ns, i, rnd):
    host = f"model-{i}.{ns}.svc.cluster.local"
    lb = rnd.choice(["LEAST_REQUEST", "ROUND_ROBIN", "RANDOM"])
    return f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: model-{i}
  namespace: {ns}
spec:
  host: {host}
  trafficPolicy:
    loadBalancer: {{simple: {lb}}}
    connectionPool:
      tcp: {{maxConnections: 100, connectTimeout: 5s}}
      http: {{http2MaxRequests: 1000, maxRequestsPerConnection: 10}}
    outlierDetection:
      consecutive5xxErrors: 5
      interval: 10s
      baseEjectionTime: 30s
      maxEjectionPercent: 50
  subsets:
  - name: v1
    labels: {{version: v1}}
  - name: v2
    labels: {{version: v2}}
"""


def authorization_policy(ns, i, nsv, rnd):
    caller_ns = rnd.choice(nsv)
    # mistake: "*" inside a path is a literal character in Istio
    path = "/v2/models/*/infer" if i % 7 == 6 else "/v2/models/*"
    return f"""apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: model-{i}-callers
  namespace: {ns}
spec:
  selector:
    matchLabels: {{app: model-{i}}}
  action: ALLOW
  rules:
  - from:
    - source:
        principals: [cluster.local/ns/{caller_ns}/sa/gateway]
    to:
    - operation:
        methods: [POST]
        paths: [/v1/completions, "{path}"]
  - from:
    - source:
        namespaces: [{ns}]
"""


def peer_authentication(ns, k):
    if k == 0:
        return f"""apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: {ns}
spec:
  mtls: {{mode: STRICT}}
"""
    return f"""apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: model-{k}-metrics
  namespace: {ns}
spec:
  selector:
    matchLabels: {{app: model-{k}}}
  mtls: {{mode: STRICT}}
  portLevelMtls:
    9090: {{mode: PERMISSIVE}}
"""


def counts(per_ns):
    """Objects of each kind for a namespace of <per_ns> objects."""
    c = {k: int(per_ns * share) for k, share in MIX}
    c["WorkloadEntry"] += per_ns - sum(c.values())
    return c


def namespace_docs(n, ns, per_ns, nsv, rnd):
    c = counts(per_ns)
    n_svc = max(c["Service"], 1)
    docs = [service(ns, i) for i in range(c["Service"])]
    docs += [workload_entry(ns, j, j // 2 % n_svc, ip_of(n, j))
             for j in range(c["WorkloadEntry"])]
    docs += [virtual_service(ns, i % n_svc, rnd)
             for i in range(c["VirtualService"])]
    # names must be unique: the i-th DR beyond n_svc gets its own name
    for i in range(c["DestinationRule"]):
        d = destination_rule(ns, i % n_svc, rnd)
        if i >= n_svc:
            d = d.replace(f"name: model-{i % n_svc}\n",
                          f"name: model-{i % n_svc}-extra-{i}\n", 1)
        docs.append(d)
    docs += [authorization_policy(ns, i % n_svc, nsv, rnd)
             .replace("-callers\n", f"-callers-{i}\n", 1)
             for i in range(c["AuthorizationPolicy"])]
    docs += [peer_authentication(ns, k)
             for k in range(c["PeerAuthentication"])]
    return docs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=10000)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("outdir")
    a = ap.parse_args()
    rnd = random.Random(42)
    nsv = [f"team-{n:03d}" for n in range(a.namespaces)]
    os.makedirs(a.outdir, exist_ok=True)
    total = 0
    for n, ns in enumerate(nsv):
        per_ns = a.objects // a.namespaces + (n < a.objects % a.namespaces)
        docs = namespace_docs(n, ns, per_ns, nsv, rnd)
        total += len(docs)
        with open(os.path.join(a.outdir, f"{ns}.yaml"), "w") as f:
            f.write("---\n".join(docs))
    print(f"{total} objects in {len(nsv)} namespaces -> {a.outdir}")


if __name__ == "__main__":
    main()
