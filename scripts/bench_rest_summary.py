#!/usr/bin/env python3
"""bench_rest_summary.py FILE.out...  → markdown table of scripts/bench_rest.sh's runs.

Each file is one runwrk.py run labelled <side>_<load>_r<round> (side: django or financehub). Per load: the
median over the rounds of req/s, p50 and p99 for each side, errors summed, and the FinanceHub / Django ratio
of each round (the servers ran back to back in a round), median over the rounds; for the unloaded latency load
it is Django's p50 / FinanceHub's p50, so that above 1 is always better for FinanceHub.
"""
import json
import re
import statistics
import sys
from collections import defaultdict

LOADS = [
    ("quotes", "GET /api/quotes/SYM0 (-c32)"),
    ("bars", "GET /api/bars/SYM0?interval=1d, a year of minutes (-c32)"),
    ("ticks", "POST /api/ticks, 100 ticks over 10 symbols (-c32)"),
    ("quotesc1", "GET /api/quotes/SYM0 unloaded (-c1)"),
]


def load(files):
    runs = defaultdict(list)
    for name in files:
        for line in open(name):
            if line.startswith("RUNJSON "):
                res = json.loads(line[8:])
                m = re.match(r"(django|financehub)_(\w+?)_r(\d+)$", res["label"])
                if m:
                    res["round"] = int(m.group(3))
                    runs[(m.group(1), m.group(2))].append(res)
    return runs


def median(runs, key, scale=1.0):
    vals = [r[key] * scale for r in runs if key in r]
    return statistics.median(vals) if vals else None


def errors(runs):
    keys = ("err_status", "err_timeout", "err_connect", "err_read", "err_write")
    return sum(r.get(k, 0) for r in runs for k in keys)


def fmt(v, nd=1):
    return "–" if v is None else f"{v:,.{nd}f}"


def main():
    runs = load(sys.argv[1:])
    print("| load | Django req/s | FinanceHub req/s | ratio | Django p50 / p99 ms | FinanceHub p50 / p99 ms |"
          " errors D / F | rounds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, title in LOADS:
        d, f = runs.get(("django", key), []), runs.get(("financehub", key), [])
        if not d and not f:
            continue
        drps, frps = median(d, "rps"), median(f, "rps")
        by_round = {r["round"]: r for r in d}
        if key == "quotesc1":
            pairs = [by_round[r["round"]]["lat_p50_us"] / r["lat_p50_us"] for r in f if r["round"] in by_round]
        else:
            pairs = [r["rps"] / by_round[r["round"]]["rps"] for r in f if r["round"] in by_round]
        ratio = f"{statistics.median(pairs):.2f}×" + (" (p50)" if key == "quotesc1" else "") if pairs else "–"
        lat = lambda rs: f"{fmt(median(rs, 'lat_p50_us', 1e-3), 2)} / {fmt(median(rs, 'lat_p99_us', 1e-3), 2)}"
        print(f"| {title} | {fmt(drps)} | {fmt(frps)} | {ratio} | {lat(d)} | {lat(f)} | "
              f"{errors(d)} / {errors(f)} | {len(d)} / {len(f)} |")


if __name__ == "__main__":
    main()
