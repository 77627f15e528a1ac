#!/usr/bin/env python3
"""Real daily OHLCV history for the pattern docs and tests.

Downloads the `arch` wheel from PyPI (it bundles daily S&P 500 and NASDAQ Composite OHLCV, 1999-01-04 to
2018-12-31, from Yahoo Finance) and writes them in the project's OHLCV CSV format
(timestamp,open,high,low,close,volume; timestamp = ms since the epoch at 00:00 UTC of the trading day) to
Tests/Fixtures/real/. Usage: scripts/real_history.py [OUTDIR]
"""
import csv
import datetime
import glob
import gzip
import io
import os
import subprocess
import sys
import tempfile
import zipfile

out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "real")
os.makedirs(out_dir, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    print("downloading the arch wheel from PyPI...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                    "arch==8.0.0", "-d", tmp], check=True)
    wheel = glob.glob(os.path.join(tmp, "arch-*.whl"))[0]
    with zipfile.ZipFile(wheel) as z:
        for name, member in [("sp500", "arch/data/sp500/sp500.csv.gz"), ("nasdaq", "arch/data/nasdaq/nasdaq.csv.gz")]:
            rows = list(csv.DictReader(io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(z.read(member))))))
            path = os.path.join(out_dir, f"{name}_daily.csv")
            with open(path, "w") as f:
                f.write("timestamp,open,high,low,close,volume\n")
                for r in rows:
                    d = datetime.datetime.strptime(r["Date"], "%m/%d/%Y").replace(tzinfo=datetime.timezone.utc)
                    ms = int(d.timestamp()) * 1000
                    f.write(f"{ms},{float(r['Open']):.4f},{float(r['High']):.4f},{float(r['Low']):.4f},"
                            f"{float(r['Close']):.4f},{int(float(r['Volume']))}\n")
            print(f"{path}: {len(rows)} bars", file=sys.stderr)
