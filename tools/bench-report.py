#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Turns bench.sh's "name metric value" lines (stdin) into the results file
[{name, metric, value, baseline, ratio}] and a table on stdout. Baselines
come from BASELINE (same shape; missing file or entry: null).

usage: bench-report.py BASELINE RESULTS < lines
"""
import json
import os
import sys


def load_baseline(path):
    try:
        with open(path) as f:
            return {(b["name"], b["metric"]): b["value"] for b in json.load(f)}
    except FileNotFoundError:
        return {}


def main():
    base = load_baseline(sys.argv[1])
    rows = []
    for line in sys.stdin:
        name, metric, value = line.split()
        v = int(value) if value.isdigit() else None
        b = base.get((name, metric))
        ratio = round(v / b, 3) if v is not None and b else None
        rows.append({"name": name, "metric": metric, "value": v,
                     "baseline": b, "ratio": ratio})
    os.makedirs(os.path.dirname(sys.argv[2]) or ".", exist_ok=True)
    with open(sys.argv[2], "w") as f:
        json.dump(rows, f, indent=2)
        f.write("\n")
    fmt = "{:<16} {:<14} {:>14} {:>14} {:>7}"
    print(fmt.format("NAME", "METRIC", "VALUE", "BASELINE", "RATIO"))
    for r in rows:
        print(fmt.format(r["name"], r["metric"], str(r["value"]),
                         str(r["baseline"]), str(r["ratio"])))
    print(f"written to {sys.argv[2]}")


if __name__ == "__main__":
    main()
