#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plans the test mesh from the WorkloadEntries of an Istio config dir.

Prints one line per node and per pod, for tools/mesh.sh to read:
  node NAME INDEX LINK_ADDR SUBNET[,SUBNET...]
  pod NAME NAMESPACE NODE ADDRESS CGROUP PORT[,PORT...]
Only WorkloadEntries with an address and both infermesh.io/node and
infermesh.io/cgroup annotations become pods. Errors go to stderr with a
non-zero exit: the mesh is never half planned.
"""
import ipaddress
import os
import sys

import yaml


def entries(cfg_dir):
    for root, _, files in sorted(os.walk(cfg_dir)):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(root, f)) as fh:
                for doc in yaml.safe_load_all(fh):
                    if isinstance(doc, dict) and doc.get("kind") == "WorkloadEntry":
                        yield f, doc


def pod_of(f, doc):
    meta = doc.get("metadata") or {}
    ann = meta.get("annotations") or {}
    spec = doc.get("spec") or {}
    node, cg, addr = ann.get("infermesh.io/node"), ann.get("infermesh.io/cgroup"), spec.get("address")
    if not (node and cg and addr):
        return None
    ip = ipaddress.IPv4Address(addr)  # raises on a hostname: not for the test mesh
    if ".." in cg.split("/") or cg.startswith("/"):
        raise ValueError(f"{f}: {meta.get('name')}: cgroup {cg!r} leaves its root")
    ports = sorted({int(p) for p in (spec.get("ports") or {}).values()}) or [8080]
    return dict(name=meta["name"], ns=meta.get("namespace", "default"), node=node,
                ip=ip, cgroup=cg, ports=ports)


def main():
    cfg_dir = sys.argv[1] if len(sys.argv) > 1 else "examples/mesh"
    pods, seen = [], set()
    for f, doc in entries(cfg_dir):
        p = pod_of(f, doc)
        if not p:
            continue
        if p["name"] in seen or any(q["ip"] == p["ip"] for q in pods):
            raise ValueError(f"{f}: {p['name']}: duplicate name or address {p['ip']}")
        seen.add(p["name"])
        pods.append(p)
    nodes = []
    for p in pods:
        if p["node"] not in nodes:
            nodes.append(p["node"])
    if not 1 <= len(nodes) <= 2:
        raise ValueError(f"the test mesh has one or two nodes, not {len(nodes)}: {nodes}")
    for i, n in enumerate(nodes, 1):
        nets = sorted({str(ipaddress.ip_network(f"{p['ip']}/24", strict=False))
                       for p in pods if p["node"] == n})
        print(f"node {n} {i} 10.10.0.{i} {','.join(nets)}")
    for p in pods:
        print(f"pod {p['name']} {p['ns']} {p['node']} {p['ip']} {p['cgroup']} "
              f"{','.join(map(str, p['ports']))}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, yaml.YAMLError) as e:
        print(f"mesh-plan: {e}", file=sys.stderr)
        sys.exit(1)
