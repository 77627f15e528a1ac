#!/usr/bin/env python3
"""Runs `financehub patterns` over real daily history and draws its detections for docs/patterns.md.

Usage: scripts/real_history_charts.py FINANCEHUB_BINARY [CSV] [--method templates|rules]
(CSV default: Tests/Fixtures/real/sp500_daily.csv, made by scripts/real_history.py, as is nasdaq_daily.csv; method
default: templates, the detector's default). Prints a Markdown table of final records per type and status (stdout)
and writes docs/images/real_<name>_<method>_<type>.svg for every chart-pattern type found (not support, resistance
or trend lines): its most confident confirmed record (else any final one), with 40 trading days either side.
"""
import argparse
import collections
import json
import os
import subprocess
import tempfile

LINES = {"support", "resistance", "trend_line"}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("csv", nargs="?", default=os.path.join(root, "Tests", "Fixtures", "real", "sp500_daily.csv"))
parser.add_argument("--method", default="templates", choices=["templates", "rules"])
args = parser.parse_args()
binary, csv_path, method = args.binary, args.csv, args.method
name = os.path.basename(csv_path).split("_")[0]
with open(csv_path) as f:
    stamps = [int(line.split(",")[0]) for line in f.readlines()[1:]]
with tempfile.NamedTemporaryFile(suffix=".json") as out:
    subprocess.run([binary, "patterns", "--input", csv_path, "--format", "json", "--output", out.name, "--method",
                    method], check=True)
    records = json.load(open(out.name))
latest = {}
for r in records:
    latest[r["id"]] = r
final = [r for r in latest.values() if r["status"] != "forming"]
counts = collections.Counter((r["type"], r["status"]) for r in final)
types = sorted({t for t, _ in counts})
print(f"{name}, --method {method}: {len(stamps)} daily bars, {len(final)} patterns (latest final record of each)\n")
print("| type | completed | confirmed | failed |\n|---|---:|---:|---:|")
for t in types:
    print(f"| {t} | {counts[(t, 'completed')]} | {counts[(t, 'confirmed')]} | {counts[(t, 'failed')]} |")
print()
for t in types:
    if t in LINES:
        continue
    cands = [r for r in final if r["type"] == t]
    best = max(cands, key=lambda r: (r["status"] == "confirmed", r["confidence"]))
    i0 = max(0, stamps.index(best["start"]) - 40) if best["start"] in stamps else 0
    i1 = min(len(stamps) - 1, stamps.index(best["end"]) + 40) if best["end"] in stamps else len(stamps) - 1
    svg = os.path.join(root, "docs", "images", f"real_{name}_{method}_{t}.svg")
    with tempfile.NamedTemporaryFile(suffix=".csv") as table:
        subprocess.run([binary, "patterns", "--input", csv_path, "--types", t, "--chart", svg, "--chart-from",
                        str(stamps[i0]), "--chart-to", str(stamps[i1]), "--output", table.name, "--method", method],
                       check=True)
    print(f"![{name} {method} {t}](images/{os.path.basename(svg)})")
