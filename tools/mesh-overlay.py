#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""examples/mesh made able to carry plaintext traffic, for the demo and the
agent-restart test: until mutual TLS exists no caller has an authenticated
identity, so STRICT ports and ALLOW rules that name principals refuse
everything. The changes, and only these:

  - every mTLS mode PERMISSIVE, except gRPC port 8081, which stays STRICT
    on every workload: that is where STRICT shows, by what it drops;
  - model-server-access removed: its principals (and HTTP paths, which an
    L4 dataplane cannot see) would refuse the canary's plaintext calls.
    The other AuthorizationPolicies stay and police as Istio would with a
    plaintext caller;
  - with --base-ejection DUR, model-server's outlier detection ejects for
    DUR instead of 30s, so an ejected endpoint comes back within a demo.

  mesh-overlay.py SRC_DIR DST_DIR [--base-ejection DUR]

DST_DIR must not be the directory an agent watches while it is written.
"""
import glob
import os
import sys

import yaml

STRICT_PORT = 8081


def peer_auth(spec):
    """PERMISSIVE everywhere but port 8081, which is STRICT."""
    spec.setdefault("mtls", {})["mode"] = "PERMISSIVE"
    ports = {int(p): v for p, v in (spec.get("portLevelMtls") or {}).items()}
    for v in ports.values():
        v["mode"] = "PERMISSIVE"
    # Istio rejects portLevelMtls without a selector: the mesh-wide default
    # stays PERMISSIVE and the workload policy (metrics-plaintext, which
    # selects every workload) carries the STRICT port.
    if spec.get("selector"):
        ports[STRICT_PORT] = {"mode": "STRICT"}
        spec["portLevelMtls"] = ports


def transform(d, base_ejection):
    kind, name = d.get("kind"), (d.get("metadata") or {}).get("name")
    if kind == "AuthorizationPolicy" and name == "model-server-access":
        return None
    if kind == "PeerAuthentication":
        peer_auth(d["spec"])
    if kind == "DestinationRule" and name == "model-server" and base_ejection:
        d["spec"]["trafficPolicy"]["outlierDetection"]["baseEjectionTime"] = base_ejection
    return d


def main():
    a = sys.argv[1:]
    if len(a) not in (2, 4) or (len(a) == 4 and a[2] != "--base-ejection"):
        sys.exit(__doc__)
    src, dst = a[0], a[1]
    base_ejection = a[3] if len(a) == 4 else None
    for f in sorted(glob.glob(os.path.join(src, "*.yaml"))):
        with open(f) as fh:
            docs = [transform(d, base_ejection) for d in yaml.safe_load_all(fh) if d]
        docs = [d for d in docs if d]
        if docs:
            with open(os.path.join(dst, os.path.basename(f)), "w") as fh:
                yaml.safe_dump_all(docs, fh, sort_keys=False)


if __name__ == "__main__":
    main()
