#!/usr/bin/env bash
# Indicator speed vs TA-Lib in the same run: `financehub bench indicators` and scripts/talib_bench.py on one
# 1,000,000-bar file, RUNS times; prints each run's ratios and the median ratio of the sum of the ten.
# Usage: scripts/bench_indicators.sh [RUNS=3]   (FINANCEHUB_BIN to use an already built release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
python3 -c "import talib" 2>/dev/null || pip install -q -r scripts/requirements-talib.txt
bin=${FINANCEHUB_BIN:-}
if [ -z "$bin" ]; then swift build -c release --product financehub >&2; bin=.build/release/financehub; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 scripts/make_ohlcv.py "$tmp/ohlcv.csv" 1000000 1 >&2
for run in $(seq 1 "$runs"); do
    echo "== run $run"
    "$bin" bench indicators --input "$tmp/ohlcv.csv" > "$tmp/ours.txt" 2>/dev/null
    grep -E "^(sum10|stream10)" "$tmp/ours.txt"
    python3 scripts/talib_bench.py --input "$tmp/ohlcv.csv" --financehub-output "$tmp/ours.txt" | tee "$tmp/ratio$run.txt"
done
