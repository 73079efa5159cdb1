#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Medians and ratios of tools/bench-mtls.sh's raw figures: rows
{name, metric, value, baseline, ratio} replace earlier mtls_* rows in
RESULTS; prints every contestant side by side and the issue's targets.

Raw lines (RAW):
  wrk TEST CONTESTANT REP rps p50_us p99_us errors cpu_us
      TEST: c1|ka32|close32; cpu_us: the proxies' CPU per request
  iperf CONTESTANT REP gbps
  rss CONTESTANT idle CLIENT_KIB SERVER_KIB          the proxies after start
  conns CONTESTANT N CLIENT0 SERVER0 CLIENTN SERVERN RSS (KiB) before / with
                                                     N idle connections
  unavailable CONTESTANT                             left out of the run
  load start|end L1 L5 L15 cpus N

Rows: mtls_<test>_<contestant> against direct (baseline = direct's median);
for infermesh also mtls_<test>_infermesh_vs_peer against the best peer
(highest throughput; for p99 and the added latency the lowest). RSS rows:
mtls_rss_<contestant>_<side>, metrics idle_kib and per_conn_b (bytes per
proxied connection), against the best peer for infermesh.

usage: mtls-report.py RAW RESULTS
"""
import json
import os
import statistics
import sys

PEERS = ("haproxy", "stunnel")
ORDER = ("direct",) + PEERS + ("infermesh",)
WRK = ("rps", "p50_us", "p99_us", "errors", "cpu_us")
HIGHER = {"rps", "gbps"}    # better when higher; everything else lower


def read_raw(path):
    d = {"wrk": {}, "iperf": {}, "rss": {}, "conns": {}, "load": {},
         "unavailable": []}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "wrk" and len(w) == 9:
                for m, v in zip(WRK, w[4:]):
                    d["wrk"].setdefault((w[1], w[2], m), []).append(float(v))
            elif w[0] == "iperf" and len(w) == 4:
                d["iperf"].setdefault(w[1], []).append(float(w[3]))
            elif w[0] == "rss" and len(w) == 5:
                d["rss"][w[1]] = (int(w[3]), int(w[4]))
            elif w[0] == "conns" and len(w) == 7:
                n, c0, s0, cn, sn = map(int, w[2:])
                d["conns"][w[1]] = (n, (cn - c0) * 1024 / n, (sn - s0) * 1024 / n)
            elif w[0] == "unavailable":
                d["unavailable"].append(w[1])
            elif w[0] == "load":
                d["load"][w[1]] = " ".join(w[2:])
    return d


def med(xs):
    return round(statistics.median(xs), 3) if xs else None


def row(name, metric, value, baseline):
    ratio = None
    if value is not None and baseline:
        ratio = round(value / baseline, 3)
    return {"name": name, "metric": metric, "value": value,
            "baseline": baseline, "ratio": ratio}


def figures(d):
    """{(test, metric): {contestant: median}}"""
    fig = {}
    for (test, c, m), xs in d["wrk"].items():
        fig.setdefault((test, m), {})[c] = med(xs)
    for c, xs in d["iperf"].items():
        fig.setdefault(("iperf", "gbps"), {})[c] = med(xs)
    c1 = fig.get(("c1", "p50_us"), {})
    if "direct" in c1:
        fig[("c1", "added_us")] = {c: round(v - c1["direct"], 1)
                                   for c, v in c1.items()}
    for c, (i_c, i_s) in d["rss"].items():
        fig.setdefault(("rss_client", "idle_kib"), {})[c] = i_c
        fig.setdefault(("rss_server", "idle_kib"), {})[c] = i_s
    for c, (_, pc, ps) in d["conns"].items():
        fig.setdefault(("rss_client", "per_conn_b"), {})[c] = round(pc)
        fig.setdefault(("rss_server", "per_conn_b"), {})[c] = round(ps)
    return fig


def best_peer(vals, metric):
    """(peer, value) of the best peer measured, or (None, None)."""
    got = [(vals[p], p) for p in PEERS if vals.get(p) is not None]
    if not got:
        return None, None
    v, p = (max if metric in HIGHER else min)(got)
    return p, v


def rows_of(fig):
    rows = []
    for (test, m), vals in sorted(fig.items()):
        rss = test.startswith("rss_")
        for c in ORDER:
            if vals.get(c) is None:
                continue
            name = (f"mtls_rss_{c}_{test[4:]}" if rss else f"mtls_{test}_{c}")
            base = None if rss or m == "added_us" else vals.get("direct")
            rows.append(row(name, m, vals[c], base))
        if vals.get("infermesh") is not None and m != "errors":
            _, v = best_peer(vals, m)
            name = (f"mtls_rss_infermesh_{test[4:]}_vs_peer" if rss
                    else f"mtls_{test}_infermesh_vs_peer")
            rows.append(row(name, m, vals["infermesh"], v))
    return rows


def save(path, rows):
    old = []
    try:
        with open(path) as f:
            old = [r for r in json.load(f)
                   if not str(r.get("name", "")).startswith("mtls_")]
    except (FileNotFoundError, ValueError):
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(old + rows, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


SHOWN = [("c1", "p50_us"), ("c1", "added_us"), ("ka32", "rps"),
         ("ka32", "p99_us"), ("ka32", "errors"), ("ka32", "cpu_us"),
         ("close32", "rps"), ("close32", "p99_us"), ("close32", "errors"),
         ("close32", "cpu_us"), ("iperf", "gbps"),
         ("rss_client", "idle_kib"), ("rss_server", "idle_kib"),
         ("rss_client", "per_conn_b"), ("rss_server", "per_conn_b")]


def show(fig, d):
    cols = [c for c in ORDER if any(c in v for v in fig.values())]
    fmt = "{:<22}" + " {:>11}" * len(cols)
    print(fmt.format("TEST METRIC", *cols))
    for key in SHOWN:
        vals = fig.get(key, {})
        if vals:
            print(fmt.format(" ".join(key), *[str(vals.get(c, "-")) for c in cols]))
    print("added_us: c1 p50 minus direct's; cpu_us: CPU time of both sides' "
          "proxies per request (direct has none); per_conn_b: RSS growth per "
          "idle proxied connection")
    n = len(d["wrk"].get(("ka32", "direct", "rps"), []))
    print(f"medians of {n} rounds (ABBA order); load (1/5/15 min) at start "
          f"{d['load'].get('start', '?')}, at end {d['load'].get('end', '?')}")
    for c in d["unavailable"]:
        print(f"{c}: not available in this build (left out)")


def targets(fig):
    """The issue's targets for infermesh, each met or not."""
    def v(test, m, c):
        return fig.get((test, m), {}).get(c)

    out = []

    def vs_peer(label, test, m, want):
        im = v(test, m, "infermesh")
        p, pv = best_peer(fig.get((test, m), {}), m)
        if im is None or pv is None:
            out.append((label, None, "not measured"))
            return
        r = im / pv if pv else 0
        out.append((label, r >= want, f"{r:.2f}x {p} (want >= {want}x)"))

    vs_peer("keep-alive req/s", "ka32", "rps", 1.3)
    im = v("ka32", "p99_us", "infermesh")
    p, pv = best_peer(fig.get(("ka32", "p99_us"), {}), "p99_us")
    if im is None or pv is None:
        out.append(("keep-alive p99", None, "not measured"))
    else:
        out.append(("keep-alive p99", im < pv,
                    f"{im} us vs {p} {pv} us (want lower than the best peer's)"))
    vs_peer("Connection: close req/s", "close32", "rps", 2.0)
    vs_peer("bulk (iperf3)", "iperf", "gbps", 1.5)
    a = v("c1", "added_us", "infermesh")
    out.append(("added latency", None if a is None else a <= 80,
                f"{a} us (want <= 80)"))
    for side in ("client", "server"):
        i = v("rss_" + side, "idle_kib", "infermesh")
        out.append((f"agent RSS idle ({side} node)", None if i is None else i <= 40 * 1024,
                    f"{i} KiB (want <= 40960)"))
        b = v("rss_" + side, "per_conn_b", "infermesh")
        out.append((f"agent RSS per conn ({side} node)", None if b is None else b <= 20 * 1024,
                    f"{b} B (want <= 20480)"))
    print("issue 8 targets (infermesh):")
    for label, ok, what in out:
        mark = "n/a " if ok is None else ("met " if ok else "MISS")
        print(f"  {mark} {label}: {what}")


def main():
    d = read_raw(sys.argv[1])
    fig = figures(d)
    rows = rows_of(fig)
    save(sys.argv[2], rows)
    show(fig, d)
    targets(fig)
    print(f"{len(rows)} mtls_* rows written to {sys.argv[2]}")


if __name__ == "__main__":
    main()
