#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Turns bench.sh's "name metric value" lines (stdin) into the results file
[{name, metric, value, baseline, ratio}] and a table on stdout.

Baselines come from the same run, never from a stored file: for
"analyze_<N>k" the baseline is the smallest mesh's value scaled linearly to
N, so the ratio says how far from linear the growth is (1.0 = linear).

usage: bench-report.py RESULTS < lines
"""
import json
import os
import re
import sys


def linear_baselines(lines):
    """(name, metric) -> value expected if cost grew linearly from the
    smallest analyze_<N>k mesh measured in this run."""
    sizes = {}
    for name, metric, v in lines:
        m = re.fullmatch(r"analyze_(\d+)k", name)
        if m and v is not None:
            sizes.setdefault(metric, []).append((int(m.group(1)), v))
    base = {}
    for metric, pts in sizes.items():
        n0, v0 = min(pts)
        for n, _ in pts:
            if n != n0:
                base[("analyze_%dk" % n, metric)] = v0 * n // n0
    return base


def main():
    lines = []
    for line in sys.stdin:
        name, metric, value = line.split()
        lines.append((name, metric, int(value) if value.isdigit() else None))
    base = linear_baselines(lines)
    rows = []
    for name, metric, v in lines:
        b = base.get((name, metric))
        ratio = round(v / b, 3) if v is not None and b else None
        rows.append({"name": name, "metric": metric, "value": v,
                     "baseline": b, "ratio": ratio})
    os.makedirs(os.path.dirname(sys.argv[1]) or ".", exist_ok=True)
    with open(sys.argv[1], "w") as f:
        json.dump(rows, f, indent=2)
        f.write("\n")
    fmt = "{:<16} {:<14} {:>14} {:>14} {:>7}"
    print(fmt.format("NAME", "METRIC", "VALUE", "BASELINE", "RATIO"))
    for r in rows:
        print(fmt.format(r["name"], r["metric"], str(r["value"]),
                         str(r["baseline"]), str(r["ratio"])))
    print(f"written to {sys.argv[1]}")


if __name__ == "__main__":
    main()
