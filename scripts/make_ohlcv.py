#!/usr/bin/env python3
"""Writes a deterministic random-walk OHLCV CSV (header timestamp,open,high,low,close,volume).

usage: python3 scripts/make_ohlcv.py OUT.csv [ROWS=1000000] [SEED=1]
Timestamps are 1-minute bars in milliseconds since the epoch (UTC), starting 2024-01-02.
"""
import sys

import numpy as np

if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
    print(__doc__.strip(), file=sys.stderr)
    sys.exit(0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 64)
out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = np.random.RandomState(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
c = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
o = np.concatenate(([100.0], c[:-1]))
h = np.maximum(o, c) * (1 + np.abs(rng.normal(0, 0.0005, n)))
l = np.minimum(o, c) * (1 - np.abs(rng.normal(0, 0.0005, n)))
v = np.round(rng.uniform(1, 1000, n))
ts = 1_704_153_600_000 + 60_000 * np.arange(n, dtype=np.int64)
with open(out, "w") as f:
    f.write("timestamp,open,high,low,close,volume\n")
    for row in zip(ts, o, h, l, c, v):
        f.write("%d,%r,%r,%r,%r,%r\n" % (row[0], float(row[1]), float(row[2]), float(row[3]), float(row[4]), float(row[5])))
