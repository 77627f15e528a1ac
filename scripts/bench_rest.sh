#!/usr/bin/env bash
# REST hot paths against the Django anchor (../shared/reference/restbench: Django 5.2 + Ninja + gunicorn + SQLite),
# on the same machine in the same run with the same data, the two servers alternated round by round:
#   quotes      GET  /api/quotes/SYM0                      wrk -t1 -c32
#   bars        GET  /api/bars/SYM0?interval=1d&from&to     wrk -t1 -c32 (a year of one-minute bars → daily)
#   ticks       POST /api/ticks, 100 ticks over 10 symbols  wrk -t1 -c32
#   quotes_c1   GET  /api/quotes/SYM0                      wrk -t1 -c1 (unloaded latency)
# Each load has a warm-up run, then the measured run; the measured ticks run starts from an empty tick table on
# Django (as restbench's bench.sh does) and writes fresh timestamps on FinanceHub. Prints per round and a final
# markdown table: median req/s, p50 and p99 over the rounds, and FinanceHub / Django as a ratio.
#
# Usage: scripts/bench_rest.sh [ROUNDS]          (default 3)
# Env:   RESTBENCH       restbench folder (default ../shared/reference/restbench beside the repository)
#        FINANCEHUB_BIN  a release financehub binary (default: swift build -c release, then .build/release)
#        WORK            scratch folder (default /tmp/financehub-restbench); DUR (15s), WARMUP (5s), C1_DUR (10s)
#        QUIET_WAIT      seconds runwrk.py waits at most for an idle machine before each run (default 30)
#        ONLY            "django" or "financehub" to run one side only
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rounds=${1:-3}
restbench=$(cd "${RESTBENCH:-$repo/../shared/reference/restbench}" && pwd)
work=${WORK:-/tmp/financehub-restbench}
dur=${DUR:-15s}; warmup=${WARMUP:-5s}; c1dur=${C1_DUR:-10s}; quiet=${QUIET_WAIT:-30}; only=${ONLY:-}
venv=${VENV:-/tmp/restbench-venv}
django_db=/tmp/restbench-data/market.sqlite3
fh_port=8020
from=1704067200; to=1735689600
log() { echo "bench rest: $*" >&2; }

# --- tools and the anchor's data --------------------------------------------------------------------------------
for tool in wrk sqlite3 curl; do
    command -v "$tool" >/dev/null || { log "installing $tool"; apt-get install -y -qq "$tool" >/dev/null; }
done
if [ ! -x "$venv/bin/gunicorn" ]; then
    log "creating the Django venv at $venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$restbench/requirements.lock.txt"
fi
if [ ! -f "$django_db" ]; then
    log "seeding the Django database (525,600 one-minute bars of SYM0, quotes of SYM0..SYM99)"
    mkdir -p "$(dirname "$django_db")"
    (cd "$restbench/djangorest" && "$venv/bin/python" manage.py migrate -v0 && "$venv/bin/python" manage.py seed_market) >&2
fi
bin=${FINANCEHUB_BIN:-}
if [ -z "$bin" ]; then
    log "building financehub (release)"
    swift build -c release --product financehub >&2
    bin=$repo/.build/release/financehub
fi

mkdir -p "$work/out"
fh_pid=""
stop_financehub() {
    if [ -n "$fh_pid" ]; then kill -TERM "$fh_pid" 2>/dev/null || true; wait "$fh_pid" 2>/dev/null || true; fh_pid=""; fi
}
cleanup() { stop_financehub; "$restbench/serve.sh" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

wait_up() {  # wait_up <base url> [curl args...]
    local url=$1; shift
    for _ in $(seq 1 300); do curl -sf -o /dev/null "$@" "$url/api/quotes/SYM0" && return 0; sleep 0.1; done
    log "server at $1 did not come up"; return 1
}
start_financehub() {  # start_financehub <sqlite file>
    # FinanceHub's API needs a caller: a service API key (X-API-Key) made for the run, which may ingest and is not
    # rate limited (the Django anchor has no authentication; the key check is part of what FinanceHub is measured on).
    "$bin" migrate --database "sqlite:$1" >/dev/null 2>&1
    fh_key=$("$bin" apikey create --name bench --database "sqlite:$1" 2>/dev/null)
    "$bin" serve --port "$fh_port" --feed none --database "sqlite:$1" >"$work/financehub.log" 2>&1 &
    fh_pid=$!
    wait_up "http://127.0.0.1:$fh_port" -H "X-API-Key: $fh_key"
}

# --- FinanceHub's copy of the same data ---------------------------------------------------------------------------
base=$work/financehub-base.sqlite
if [ ! -f "$base" ]; then
    log "loading the same data into FinanceHub ($base)"
    rm -f "$base" "$base"-*
    sqlite3 -csv -header "$django_db" \
        "SELECT ts * 1000 AS timestamp, open, high, low, close, volume FROM market_bar WHERE symbol = 'SYM0' ORDER BY ts" \
        >"$work/sym0.csv"
    "$bin" import bars --symbol SYM0 --interval 1m --database "sqlite:$base.tmp" "$work/sym0.csv" >/dev/null
    start_financehub "$base.tmp"
    # One tick per symbol at the anchor's quote (price and time).
    sqlite3 "$django_db" "SELECT symbol, ts, price FROM market_quote ORDER BY id" | python3 -c '
import json, sys
rows = [line.strip().split("|") for line in sys.stdin if line.strip()]
print(json.dumps([{"symbol": s, "ts": int(t), "price": float(p), "size": 1} for s, t, p in rows]))' >"$work/quotes.json"
    curl -sf -o /dev/null -H 'Content-Type: application/json' -H "X-API-Key: $fh_key" --data-binary "@$work/quotes.json" \
        "http://127.0.0.1:$fh_port/api/ticks?historical=true"
    stop_financehub
    mv "$base.tmp" "$base"
fi

# --- one measured load -----------------------------------------------------------------------------------------
run() {  # run <label> <pid args...> -- <wrk args...>
    local label=$1; shift
    local pids=()
    while [ "$1" != "--" ]; do pids+=("$1"); shift; done
    shift
    python3 "$restbench/runwrk.py" --label "$label" --out "$work/out/$label.out" --quiet-wait "$quiet" \
        "${pids[@]}" --hard-timeout 200 -- wrk "$@" >&2 || log "run $label failed"
}
loads() {  # loads <side> <round> <base url> <pid args...>
    local side=$1 round=$2 url=$3; shift 3
    local auth=()
    [ "$side" = financehub ] && auth=(-H "X-API-Key: $fh_key")
    local get=("-t1" "-c32" "--latency" "--timeout" "30s" "${auth[@]}" "-s" "$restbench/get.lua")
    local post=("-t1" "-c32" "--latency" "--timeout" "30s" "${auth[@]}" "-s" "$restbench/ticks.lua")
    run "${side}_quotes_warmup" "$@" -- "${get[@]}" -d"$warmup" "$url/api/quotes/SYM0"
    run "${side}_quotes_r$round" "$@" -- "${get[@]}" -d"$dur" "$url/api/quotes/SYM0"
    run "${side}_bars_warmup" "$@" -- "${get[@]}" -d"$warmup" "$url/api/bars/SYM0?interval=1d&from=$from&to=$to"
    run "${side}_bars_r$round" "$@" -- "${get[@]}" -d"$dur" "$url/api/bars/SYM0?interval=1d&from=$from&to=$to"
    [ "$side" = django ] && reset_django_ticks
    TICK_BASE_MS=1735689600000 run "${side}_ticks_warmup" "$@" -- "${post[@]}" -d"$warmup" "$url/api/ticks"
    [ "$side" = django ] && reset_django_ticks
    # Fresh timestamps for the measured run (the warm-up's cover under a day).
    TICK_BASE_MS=1735776000000 run "${side}_ticks_r$round" "$@" -- "${post[@]}" -d"$dur" "$url/api/ticks"
    run "${side}_quotesc1_r$round" "$@" -- -t1 -c1 --latency --timeout 30s "${auth[@]}" -s "$restbench/get.lua" -d"$c1dur" \
        "$url/api/quotes/SYM0"
}
reset_django_ticks() {
    sqlite3 -cmd ".timeout 10000" "$django_db" "DELETE FROM market_tick; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
}

rm -f "$work"/out/*.out "$work/rss.txt"
for round in $(seq 1 "$rounds"); do
    if [ "$only" != financehub ]; then
        log "round $round/$rounds: Django (gunicorn, 2 sync workers)"
        "$restbench/serve.sh" start-gunicorn >&2
        loads django "$round" http://127.0.0.1:8010 --server-pidfile /tmp/restbench-run/server.pid
        "$restbench/serve.sh" stop >&2
    fi
    if [ "$only" != django ]; then
        log "round $round/$rounds: FinanceHub"
        cp "$base" "$work/financehub-run.sqlite"
        rm -f "$work"/financehub-run.sqlite-*
        start_financehub "$work/financehub-run.sqlite"
        loads financehub "$round" "http://127.0.0.1:$fh_port" --server-pids "$fh_pid"
        echo "round $round: FinanceHub RSS after the loads $(awk '/VmRSS/ {print $2}' "/proc/$fh_pid/status") kB" \
            >>"$work/rss.txt"
        stop_financehub
    fi
done
[ "$rounds" -gt 0 ] || exit 0
cat "$work/rss.txt" >&2 2>/dev/null || true
python3 "$repo/scripts/bench_rest_summary.py" "$work"/out/*_r*.out
