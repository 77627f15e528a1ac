#!/usr/bin/env bash
# The memory soak of the REST hot paths: FinanceHub on a copy of restbench's data (see scripts/bench_rest.sh) under
# the three loads at once for MINUTES minutes (quotes, daily bars and 100-tick batches, wrk -t1 -c8 each), its
# resident memory sampled every 5 s. Passes when, after a one-minute warm-up, RSS stays within 10 % of its value
# at the end of the warm-up, and no request failed (socket errors, timeouts, non-2xx).
#
# Usage: scripts/bench_rest_soak.sh [MINUTES]     (default 10)
# Env:   FINANCEHUB_BIN, RESTBENCH, WORK as for scripts/bench_rest.sh (its data is prepared by running it once, or
#        here when missing); CONNS (8 per load); FINANCEHUB_* settings pass through to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
minutes=${1:-10}
restbench=$(cd "${RESTBENCH:-$repo/../shared/reference/restbench}" && pwd)
work=${WORK:-/tmp/financehub-restbench}
conns=${CONNS:-8}
port=8021
log() { echo "soak: $*" >&2; }
if [ ! -f "$work/financehub-base.sqlite" ]; then
    log "preparing the data (scripts/bench_rest.sh with zero rounds)"
    WORK=$work scripts/bench_rest.sh 0 >/dev/null
fi
bin=${FINANCEHUB_BIN:-$repo/.build/release/financehub}
[ -x "$bin" ] || { log "no release binary at $bin (swift build -c release --product financehub)"; exit 1; }

db=$work/soak.sqlite
cp "$work/financehub-base.sqlite" "$db"
rm -f "$db"-*
# A service API key for the run (it may ingest and is not rate limited).
"$bin" migrate --database "sqlite:$db" >/dev/null 2>&1
key=$("$bin" apikey create --name soak --database "sqlite:$db" 2>/dev/null)
"$bin" serve --port "$port" --feed none --database "sqlite:$db" >"$work/soak-server.log" 2>&1 &
server=$!
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; kill "$server" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    curl -sf -o /dev/null -H "X-API-Key: $key" "http://127.0.0.1:$port/api/quotes/SYM0" && break
    sleep 0.1
done

url=http://127.0.0.1:$port
secs=$((minutes * 60))
common=(-t1 "-c$conns" "-d${secs}s" --latency --timeout 30s -H "X-API-Key: $key")
wrk "${common[@]}" -s "$restbench/get.lua" "$url/api/quotes/SYM0" >"$work/soak-quotes.out" 2>&1 &
pids+=($!)
wrk "${common[@]}" -s "$restbench/get.lua" "$url/api/bars/SYM0?interval=1d&from=1704067200&to=1735689600" \
    >"$work/soak-bars.out" 2>&1 &
pids+=($!)
TICK_BASE_MS=1735689600000 wrk "${common[@]}" -s "$restbench/ticks.lua" "$url/api/ticks" >"$work/soak-ticks.out" 2>&1 &
pids+=($!)

log "three loads for $minutes min against pid $server; RSS every 5 s in $work/soak-rss.csv"
echo "seconds,rss_kib" >"$work/soak-rss.csv"
start=$(date +%s)
while kill -0 "${pids[0]}" 2>/dev/null; do
    now=$(($(date +%s) - start))
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    echo "$now,$rss" >>"$work/soak-rss.csv"
    [ $((now % 60)) -lt 5 ] && log "$now s: RSS $((rss / 1024)) MiB"
    sleep 5
done
wait "${pids[@]}" 2>/dev/null || true
pids=()
python3 - "$work" <<'PY'
import csv, json, sys
work = sys.argv[1]
rows = [(int(r["seconds"]), int(r["rss_kib"])) for r in csv.DictReader(open(f"{work}/soak-rss.csv"))]
warm = [kib for s, kib in rows if s <= 60][-1]
after = [kib for s, kib in rows if s > 60]
low, high = min(after), max(after)
drift = max(abs(high - warm), abs(warm - low)) / warm * 100
failed = 0
print("| load | requests | req/s | p99 ms | errors (socket/timeout/non-2xx) |")
print("|---|---:|---:|---:|---:|")
for name in ("quotes", "bars", "ticks"):
    j = next(json.loads(l[8:]) for l in open(f"{work}/soak-{name}.out") if l.startswith("WRKJSON "))
    errs = j["err_connect"] + j["err_read"] + j["err_write"], j["err_timeout"], j["err_status"]
    failed += sum(errs)
    print(f"| {name} | {j['requests']:,} | {j['rps']:,.0f} | {j['lat_p99_us'] / 1000:.1f} | {'/'.join(map(str, errs))} |")
print()
print(f"RSS after the 1-minute warm-up {warm / 1024:.0f} MiB; after it min {low / 1024:.0f} MiB, max "
      f"{high / 1024:.0f} MiB: drift {drift:.1f} % (limit 10 %); failed requests: {failed}")
sys.exit(0 if drift <= 10 and failed == 0 else 1)
PY
