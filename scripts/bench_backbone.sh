#!/usr/bin/env bash
# Backbone benchmarks with their anchors, measured in the same run (release build):
#   - CSV import of 1,000,000 one-minute bars into SQLite with a server open on the file, vs raw SQLite
#     (`sqlite3 .import` of the same rows in one transaction, C, no validation)
#   - the same into PostgreSQL, vs psql `\copy` of the same rows
#   - a year of 1-minute bars → daily bars from the rollup vs from raw bars
#   - POST /api/ticks end to end
# Usage: scripts/bench_backbone.sh [RUNS=3]   (set FINANCEHUB_BENCH_POSTGRES_URL to include PostgreSQL;
#        FINANCEHUB_BIN to use an already built release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v sqlite3 >/dev/null || { apt-get install -y -qq sqlite3 >/dev/null; }
bin=${FINANCEHUB_BIN:-}
if [ -z "$bin" ]; then swift build -c release --product financehub >&2; bin=.build/release/financehub; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/bars.csv" <<'PY'
import sys, random
random.seed(7); p = 100.0; t = 1577836800000
with open(sys.argv[1], "w") as f:
    f.write("timestamp,open,high,low,close,volume\n")
    for i in range(1_000_000):
        o = p; p *= 1 + (random.random() - 0.5) * 0.002; c = p
        h = max(o, c) * (1 + random.random() * 0.0005); l = min(o, c) * (1 - random.random() * 0.0005)
        f.write(f"{t + i*60000},{o:.4f},{h:.4f},{l:.4f},{c:.4f},{int(random.random()*1000)}\n")
PY
sqlite_anchor() {
    local db="$tmp/anchor.sqlite"; rm -f "$db"*
    sqlite3 "$db" "PRAGMA journal_mode=WAL; CREATE TABLE bars(ts INTEGER PRIMARY KEY, open REAL, high REAL, low REAL, close REAL, volume REAL) WITHOUT ROWID;" >/dev/null
    local s=$(date +%s.%N)
    sqlite3 "$db" ".mode csv" ".import --skip 1 $tmp/bars.csv bars" >/dev/null
    local e=$(date +%s.%N)
    python3 -c "print(int(1_000_000/($e-$s)))"
}
for run in $(seq 1 "$runs"); do
    echo "== run $run"
    anchor=$(for _ in 1 2 3 4 5; do sqlite_anchor; done | sort -n | tail -1)
    ours=$($bin bench import --rows 1000000 --runs 5 2>/dev/null | awk '{print $2}')
    python3 -c "print(f'sqlite import: ours {$ours} rows/s, sqlite3 .import {$anchor} rows/s, ratio {$ours/$anchor:.2f}')"
    if [ -n "${FINANCEHUB_BENCH_POSTGRES_URL:-}" ]; then
        url=$FINANCEHUB_BENCH_POSTGRES_URL
        psql "$url" -qc "DROP TABLE IF EXISTS anchor_bars; CREATE TABLE anchor_bars(ts bigint PRIMARY KEY, open float8, high float8, low float8, close float8, volume float8)"
        s=$(date +%s.%N); psql "$url" -qc "\\copy anchor_bars FROM '$tmp/bars.csv' CSV HEADER"; e=$(date +%s.%N)
        panchor=$(python3 -c "print(int(1_000_000/($e-$s)))")
        psql "$url" -qc "DROP TABLE anchor_bars"
        pours=$($bin bench import --rows 1000000 --runs 3 --database "$url" 2>/dev/null | awk '{print $2}')
        python3 -c "print(f'postgres import: ours {$pours} rows/s, psql \\\\copy {$panchor} rows/s, ratio {$pours/$panchor:.2f}')"
    fi
    $bin bench rollup --database "sqlite:$tmp/rollup.sqlite" 2>/dev/null
    $bin bench ticks 2>/dev/null
done
