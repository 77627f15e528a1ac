#!/bin/bash
# The anchor for PostgresStore's bulk import speed: psql COPY of N one-minute bars (default 1,000,000) into a
# table shaped like `bars` (same primary key), in its own throwaway schema.
#
#   FINANCEHUB_TEST_POSTGRES_URL=postgres://financehub:financehub@127.0.0.1:5432/financehub_test scripts/pg_copy_baseline.sh [rows]
#
# Prints rows/s for the COPY alone (the data file is generated beforehand, outside the timing).
set -euo pipefail
url=${FINANCEHUB_TEST_POSTGRES_URL:?set FINANCEHUB_TEST_POSTGRES_URL}
rows=${1:-1000000}
schema=copy_baseline_$$
data=$(mktemp /tmp/pg_copy_baseline.XXXXXX.tsv)
trap 'rm -f "$data"; psql "$url" -qAtc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true' EXIT

# Tab-separated: symbol, interval, ts (ms), open, high, low, close, volume.
awk -v n="$rows" 'BEGIN { t = 1600041600000; p = 100.0;
  for (i = 0; i < n; i++) { o = p; p += ((i * 7919) % 13) / 10 - 0.6;
    h = (o > p ? o : p) + 0.25; l = (o < p ? o : p) - 0.25;
    printf "BENCH\t1m\t%.0f\t%.17g\t%.17g\t%.17g\t%.17g\t%d\n", t + i * 60000, o, h, l, p, 100 + i % 50 } }' >"$data"

psql "$url" -qAt -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE SCHEMA $schema;
CREATE TABLE $schema.bars (
    symbol text COLLATE "C" NOT NULL, "interval" text COLLATE "C" NOT NULL, ts bigint NOT NULL,
    open double precision NOT NULL, high double precision NOT NULL, low double precision NOT NULL,
    close double precision NOT NULL, volume double precision NOT NULL,
    PRIMARY KEY (symbol, "interval", ts));
SQL

start=$(date +%s.%N)
psql "$url" -qAt -v ON_ERROR_STOP=1 -c "\\copy $schema.bars FROM '$data'" >/dev/null
end=$(date +%s.%N)
awk -v n="$rows" -v s="$start" -v e="$end" 'BEGIN { d = e - s; printf "psql COPY: %d rows in %.3f s = %d rows/s\n", n, d, n / d }'
