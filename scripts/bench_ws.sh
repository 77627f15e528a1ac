#!/usr/bin/env bash
# WebSocket price fan-out against the Django Channels anchor (../shared/reference/wsbench: Django + Channels +
# channels_redis + daphne), on the same machine with the same Python load tool (wsload.py, uvloop, 2 receiver
# processes), then FinanceHub's own targets with `financehub bench ws` (the Swift load tool: the Python one tops out
# near 40,000 msgs/s). Scenarios:
#   anchor_100x10_max    Django: 100 symbols x 10 clients, ticks as fast as possible in batches of 100
#   anchor_1x1000_100    Django: 1 symbol x 1,000 clients, 100 ticks/s in batches of 100
#   fh_100x10_3000       FinanceHub + wsload.py: 100 symbols x 10 clients, 3,000 ticks/s in batches of 100 (4 posters)
#                        (target: >= 0.999 of 30,000 msgs/s delivered; wsload exits 4 below that)
#   fh_100x10_max        FinanceHub + wsload.py: as the first anchor scenario (the Python client is the limit)
#   swift_1000x100       financehub bench ws: 1,000 clients over 100 symbols, 12,000 ticks/s in batches of 500
#                        from 4 publishers (120,000 msgs/s)
#   swift_1x1000_100     financehub bench ws: 1 symbol x 1,000 clients, 100 ticks/s, one tick per POST
# wsload.py prints a JSON summary as its last line; everything lands in $WORK/out/<scenario>.out.
#
# Usage: scripts/bench_ws.sh [SCENARIO...]       (default: all of the above)
# Env:   WSBENCH        wsbench folder (default ../shared/reference/wsbench beside the repository)
#        FINANCEHUB_BIN a release financehub binary (default: swift build -c release, then .build/release)
#        WORK           scratch folder (default /tmp/financehub-wsbench); DUR seconds per wsload run (10)
#        VENV           the anchor's venv (default /tmp/wsbench-venv; created when missing)
#        RUNS           runs of each `bench ws` scenario, the best reported (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
wsbench=$(cd "${WSBENCH:-$repo/../shared/reference/wsbench}" && pwd)
work=${WORK:-/tmp/financehub-wsbench}
venv=${VENV:-/tmp/wsbench-venv}
dur=${DUR:-10}
runs=${RUNS:-5}
fh_port=8030
log() { echo "bench ws: $*" >&2; }
[ $# -gt 0 ] || set -- anchor_100x10_max anchor_1x1000_100 fh_100x10_3000 fh_100x10_max swift_1000x100 swift_1x1000_100

# --- tools: redis, the anchor's venv, a release build -------------------------------------------------------------
command -v redis-server >/dev/null || { log "installing redis-server"; apt-get install -y -qq redis-server >/dev/null; }
command -v curl >/dev/null || { log "installing curl"; apt-get install -y -qq curl >/dev/null; }
if [ ! -x "$venv/bin/daphne" ]; then
    log "creating the anchor's venv at $venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q django channels channels-redis daphne websockets uvloop
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
cleanup() { stop_financehub; SERVER_VENV=$venv "$wsbench/serve.sh" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

# FinanceHub on a fresh SQLite file with --feed none and an admin `bench`; sets $token.
start_financehub() {
    local db=$work/fh.sqlite password
    rm -f "$db" "$db"-*
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    echo "$password" | "$bin" user add bench --role admin --tier enterprise --password-stdin --database "sqlite:$db" >&2
    FINANCEHUB_WS_CONNECT_ATTEMPTS_PER_IP_PER_MINUTE=1000000 FINANCEHUB_WS_CONNECT_ATTEMPTS_PER_USER_PER_MINUTE=1000000 \
        "$bin" serve --port "$fh_port" --feed none --database "sqlite:$db" >"$work/financehub.log" 2>&1 &
    fh_pid=$!
    for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$fh_port/health" && break; sleep 0.1; done
    token=$(curl -sf -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench\",\"password\":\"$password\"}" "http://127.0.0.1:$fh_port/api/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
}

wsload() {  # wsload <scenario> <wsload args...>
    local name=$1; shift
    log "$name"
    timeout 300 "$venv/bin/python" "$wsbench/wsload.py" --procs 2 --duration "$dur" --label "$name" "$@" \
        >"$work/out/$name.out" 2>&1 || log "$name: wsload exited $?"
    tail -n 25 "$work/out/$name.out" | grep -vE '^\{' >&2 || true
}

anchor() {  # anchor <scenario> <wsload args...>
    local name=$1; shift
    SERVER_VENV=$venv "$wsbench/serve.sh" start 8001 >&2
    sleep 1
    wsload "$name" --url-template 'ws://127.0.0.1:8001/ws/market/{symbol}/price' \
        --publish-url http://127.0.0.1:8001/publish "$@" \
        --monitor-pid "server=$(cat /tmp/wsbench-run/daphne.pid)" --monitor-pid "redis=$(cat /tmp/wsbench-run/redis.pid)"
    SERVER_VENV=$venv "$wsbench/serve.sh" stop >&2
}

financehub() {  # financehub <scenario> <wsload args...>
    local name=$1; shift
    start_financehub
    wsload "$name" --url-template "ws://127.0.0.1:$fh_port/ws/market/{symbol}/price" \
        --header "Authorization: Bearer $token" \
        --publish-url "http://127.0.0.1:$fh_port/api/ticks" --publish-header "Authorization: Bearer $token" \
        --publish-tick-template '{"symbol":"$symbol","ts":$ts_ms,"price":$price}' --message-format ts_unit=ms \
        --monitor-pid "server=$fh_pid" "$@"
    stop_financehub
}

swift_tool() {  # swift_tool <scenario> <bench ws args...>
    local name=$1; shift
    log "$name"
    "$bin" bench ws --runs "$runs" "$@" >"$work/out/$name.out" 2>"$work/out/$name.err" || log "$name: exited $?"
    cat "$work/out/$name.out" >&2
}

for scenario in "$@"; do
    case "$scenario" in
        anchor_100x10_max) anchor "$scenario" --symbols 100 --clients-per-symbol 10 --publish-rate 0 --batch-size 100 ;;
        anchor_1x1000_100) anchor "$scenario" --symbols 1 --clients-per-symbol 1000 --publish-rate 100 --batch-size 100 ;;
        fh_100x10_3000)
            financehub "$scenario" --symbols 100 --clients-per-symbol 10 --publish-rate 3000 --batch-size 100 --publish-concurrency 4 \
                --min-delivery-ratio 0.999 ;;
        fh_100x10_max) financehub "$scenario" --symbols 100 --clients-per-symbol 10 --publish-rate 0 --batch-size 100 ;;
        swift_1000x100) swift_tool "$scenario" --clients 1000 --symbols 100 --rate 12000 --batch-size 500 --publishers 4 ;;
        swift_1x1000_100) swift_tool "$scenario" --clients 1000 --symbols 1 --rate 100 --batch-size 1 --publishers 4 ;;
        *) log "unknown scenario $scenario"; exit 64 ;;
    esac
done
log "outputs in $work/out"
