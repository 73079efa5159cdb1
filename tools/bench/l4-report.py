#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Medians and ratios of tools/bench-l4.sh's raw figures: appends rows
{name, metric, value, baseline, ratio} to RESULTS (replacing earlier l4_*
rows, so running twice does not duplicate them) and prints a table.

Raw lines (RAW):
  wrk TEST MODE REP rps p50_us p99_us errors cpu_us   MODE: direct|infermesh
      (cpu_us: CPU time of client and server per request)
  connect LABEL ROUND p50_us p99_us              LABEL: direct|sS_pP|eN
  hook LABEL ROUND c4_ns sockops_ns              the programs' own run time:
      connect4 per call, sockops per connection (BPF stats)

usage: l4-report.py RAW RESULTS
"""
import json
import os
import statistics
import sys

SIZES = [(s, p) for s in (1, 1000, 10000) for p in (10, 1000, 10000)]
WRK_METRICS = ("rps", "p50_us", "p99_us", "errors", "cpu_us")
BASE = "s1_p10"     # the smallest tables: what flatness is measured against
EPS = (8, 64, 512, 4096)    # endpoints in the benchmarked subset
EPS_BASE = "e8"


def read_raw(path):
    wrk, conn, hook = {}, {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "wrk" and len(w) == 9:
                for m, v in zip(WRK_METRICS, w[4:]):
                    wrk.setdefault((w[1], w[2], m), []).append(float(v))
            elif w and w[0] == "connect" and len(w) == 5:
                for m, v in zip(("p50_us", "p99_us"), w[3:]):
                    conn.setdefault((w[1], m), []).append(float(v))
            elif w and w[0] == "hook" and len(w) == 5:
                for m, v in zip(("hook_ns", "sockops_ns"), w[3:]):
                    hook.setdefault((w[1], m), []).append(float(v))
    return wrk, conn, hook


def med(xs):
    return round(statistics.median(xs), 2) if xs else None


def row(name, metric, value, baseline):
    ratio = None
    if value is not None and baseline:
        ratio = round(value / baseline, 3)
    return {"name": name, "metric": metric, "value": value,
            "baseline": baseline, "ratio": ratio}


def wrk_rows(wrk):
    rows = []
    for test in ("ka32", "close32"):
        for m in WRK_METRICS:
            d = wrk.get((test, "direct", m))
            i = wrk.get((test, "infermesh", m))
            if d or i:
                rows.append(row("l4_" + test, m, med(i or []), med(d or [])))
    return rows


def connect_rows(conn, hook):
    rows = []
    for m in ("p50_us", "p99_us"):
        rows.append(row("l4_connect_direct", m,
                        med(conn.get(("direct", m), [])), None))
    for s, p in SIZES:
        label = f"s{s}_p{p}"
        for m in ("p50_us", "p99_us"):
            rows.append(row("l4_connect_" + label, m,
                            med(conn.get((label, m), [])),
                            med(conn.get((BASE, m), []))))
        for m in ("hook_ns", "sockops_ns"):
            rows.append(row("l4_connect_" + label, m,
                            med(hook.get((label, m), [])),
                            med(hook.get((BASE, m), []))))
    for e in EPS:
        label = f"e{e}"
        for m in ("p50_us", "p99_us"):
            rows.append(row("l4_connect_" + label, m,
                            med(conn.get((label, m), [])),
                            med(conn.get((EPS_BASE, m), []))))
        for m in ("hook_ns",):
            rows.append(row("l4_connect_" + label, m,
                            med(hook.get((label, m), [])),
                            med(hook.get((EPS_BASE, m), []))))
    # all table sizes together against the direct path: the hook's price
    every = [v for s, p in SIZES for v in conn.get((f"s{s}_p{p}", "p50_us"), [])]
    rows.append(row("l4_connect", "p50_us", med(every),
                    med(conn.get(("direct", "p50_us"), []))))
    return [r for r in rows if r["value"] is not None]


def save(path, rows):
    old = []
    try:
        with open(path) as f:
            old = [r for r in json.load(f)
                   if not str(r.get("name", "")).startswith("l4_")]
    except (FileNotFoundError, ValueError):
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(old + rows, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


def show(rows, wrk_n):
    fmt = "{:<24} {:<10} {:>12} {:>12} {:>7}"
    print(fmt.format("NAME", "METRIC", "INFERMESH", "BASELINE", "RATIO"))
    for r in rows:
        print(fmt.format(r["name"], r["metric"], str(r["value"]),
                         str(r["baseline"]), str(r["ratio"])))
    print(f"wrk: medians of {wrk_n} runs per path; baseline = direct. "
          "Targets: rps ratio >= 0.97, p99 ratio <= 1.05.\n"
          "cpu_us: client + server CPU per request (steadier than rps "
          "on a shared machine).")
    print("l4_connect_sS_pP: S services, P policy clauses in the tables; "
          f"baseline = {BASE}. Target: ratios within 0.90..1.10.\n"
          "hook_ns: connect4's run time per call; sockops_ns: sockops's "
          "per connection (BPF stats).\n"
          "l4_connect_eN: N endpoints in the dialled subset (1,000 "
          f"services, 1,000 clauses); baseline = {EPS_BASE}. Target: "
          "ratios within 0.90..1.10.")


def main():
    wrk, conn, hook = read_raw(sys.argv[1])
    rows = wrk_rows(wrk) + connect_rows(conn, hook)
    save(sys.argv[2], rows)
    show(rows, len(wrk.get(("ka32", "direct", "rps"), [])))
    print(f"appended to {sys.argv[2]}")


if __name__ == "__main__":
    main()
