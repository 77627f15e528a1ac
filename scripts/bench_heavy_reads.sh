#!/usr/bin/env bash
# Heavy reads against quote latency and memory (issue 20, "The HTTP edge"): a release server with `--feed none` on a
# temporary SQLite database holding a year of one-minute bars of SYM0; CLIENTS concurrent
#   GET /api/bars/SYM0?interval=1m&from&to&limit=100000     (about 13 MB each)
# while a prober asks GET /api/quotes/SYM0 every 20 ms on one kept-alive connection. Prints per round the heavy reads'
# statuses and slowest time, the quotes' latency p50 / p99 / max, and the server's RSS before the load and its absolute
# peak (VmHWM, since the process started). Targets: quotes within 50 ms, peak RSS under 200 MB.
#
# Usage: scripts/bench_heavy_reads.sh [ROUNDS]          (default 1)
# Env:   FINANCEHUB_BIN          a release financehub binary (default: swift build -c release, then .build/release)
#        FINANCEHUB_AUTH_HEADER  a header sent with every request, e.g. "Authorization: Bearer <token>" (default none)
#        WORK                    scratch folder (default /tmp/financehub-heavyreads); CLIENTS (30); LIMIT (100000)
#        PORT                    the server's port (default 8030); SERVER_ARGS extra `serve` arguments
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rounds=${1:-1}
work=${WORK:-/tmp/financehub-heavyreads}
clients=${CLIENTS:-30}; limit=${LIMIT:-100000}; port=${PORT:-8030}
auth=${FINANCEHUB_AUTH_HEADER:-}
from=1704067200000; to=1735689600000
base_url="http://127.0.0.1:$port"
log() { echo "bench heavy reads: $*" >&2; }

for tool in curl python3; do command -v "$tool" >/dev/null || { log "$tool is needed"; exit 1; }; done
bin=${FINANCEHUB_BIN:-}
if [ -z "$bin" ]; then
    log "building financehub (release)"
    swift build -c release --product financehub >&2
    bin=$repo/.build/release/financehub
fi
curl_auth=()
[ -n "$auth" ] && curl_auth=(-H "$auth")
# The server warns about FINANCEHUB_* variables that are no setting: these two are the script's own.
unset FINANCEHUB_BIN FINANCEHUB_AUTH_HEADER

mkdir -p "$work"
pid=""
stop_server() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap stop_server EXIT
start_server() {  # start_server <sqlite file>
    # shellcheck disable=SC2086
    "$bin" serve --port "$port" --feed none --database "sqlite:$1" ${SERVER_ARGS:-} >"$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do curl -sf -o /dev/null "$base_url/health" && return 0; sleep 0.1; done
    log "the server did not come up (see $work/server.log)"; return 1
}

# --- a year of one-minute bars of SYM0 and one quote -------------------------------------------------------------
db=$work/base.sqlite
if [ ! -f "$db" ]; then
    log "writing a year of one-minute bars of SYM0 (525,600) into $db"
    rm -f "$db" "$db".tmp*
    python3 - "$work/sym0.csv" "$from" <<'PY'
import random, sys
random.seed(1)
out, start = sys.argv[1], int(sys.argv[2])
price = 100.0
with open(out, "w") as f:
    f.write("timestamp,open,high,low,close,volume\n")
    for i in range(525_600):
        o = price
        price = max(1.0, price * (1 + random.gauss(0, 0.001)))
        h = max(o, price) * (1 + abs(random.gauss(0, 0.0005)))
        l = min(o, price) * (1 - abs(random.gauss(0, 0.0005)))
        f.write("%d,%r,%r,%r,%r,%r\n" % (start + 60_000 * i, o, h, l, price, float(random.randint(1, 1000))))
PY
    "$bin" import bars --symbol SYM0 --interval 1m --database "sqlite:$db.tmp" "$work/sym0.csv" >/dev/null
    start_server "$db.tmp"
    curl -sf -o /dev/null "${curl_auth[@]}" -H 'Content-Type: application/json' \
        --data-binary "[{\"symbol\":\"SYM0\",\"ts\":$to,\"price\":101.5,\"size\":1}]" "$base_url/api/ticks?historical=true"
    stop_server
    mv "$db.tmp" "$db"
    rm -f "$db".tmp-*
fi

# --- the prober: one kept-alive connection, a quote every 20 ms until told to stop ---------------------------------
cat >"$work/probe.py" <<'PY'
import http.client, os, sys, time
port, out, stop, auth = int(sys.argv[1]), sys.argv[2], sys.argv[3], os.environ.get("FINANCEHUB_AUTH_HEADER", "")
headers = {}
if auth:
    name, _, value = auth.partition(":")
    headers[name.strip()] = value.strip()
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
times = []
while not os.path.exists(stop):
    start = time.perf_counter()
    try:
        conn.request("GET", "/api/quotes/SYM0", headers=headers)
        r = conn.getresponse()
        r.read()
        ok = r.status == 200
    except Exception:
        ok = False
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times.append((time.perf_counter() - start) * 1000 if ok else -1)
    time.sleep(0.02)
with open(out, "w") as f:
    f.write("\n".join("%.3f" % t for t in times))
PY

summary() {  # summary <round> <heavy results> <quote times> <rss before kB> <peak kB>
    python3 - "$@" <<'PY'
import sys
rnd, heavy, quotes, before, peak = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rows = [line.split() for line in open(heavy) if line.strip()]
statuses = {}
for r in rows:
    statuses[r[0]] = statuses.get(r[0], 0) + 1
slowest = max(float(r[1]) for r in rows) if rows else 0
sizes = sorted({int(r[2]) for r in rows if r[0] == "200"})
t = [float(x) for x in open(quotes).read().split()]
failed = sum(1 for x in t if x < 0)
t = sorted(x for x in t if x >= 0)
pct = lambda p: t[min(len(t) - 1, int(round(p / 100 * (len(t) - 1))))] if t else float("nan")
print("round %s: heavy reads %s, slowest %.2f s, body %s bytes | quotes n=%d failed=%d p50 %.1f ms p99 %.1f ms max %.1f ms | RSS before %.0f MB, peak %.0f MB"
      % (rnd, " ".join("%s×%d" % kv for kv in sorted(statuses.items())), slowest, "/".join(map(str, sizes)) or "-",
         len(t), failed, pct(50), pct(99), t[-1] if t else float("nan"), before / 1024, peak / 1024))
PY
}

for round in $(seq 1 "$rounds"); do
    cp "$db" "$work/run.sqlite"
    rm -f "$work"/run.sqlite-*
    start_server "$work/run.sqlite"
    curl -sf -o /dev/null "${curl_auth[@]}" "$base_url/api/quotes/SYM0" || log "the warm-up quote failed"
    sleep 1
    before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    rm -f "$work/stop" "$work/heavy.txt" "$work/quotes.txt"
    FINANCEHUB_AUTH_HEADER="$auth" python3 "$work/probe.py" "$port" "$work/quotes.txt" "$work/stop" &
    probe=$!
    sleep 0.5
    url="$base_url/api/bars/SYM0?interval=1m&from=$from&to=$to&limit=$limit"
    for _ in $(seq 1 "$clients"); do
        curl -s -o /dev/null "${curl_auth[@]}" --max-time 120 -w '%{http_code} %{time_total} %{size_download}\n' \
            "$url" >>"$work/heavy.txt" &
    done
    wait $(jobs -p | grep -vx "$probe" | grep -vx "$pid") 2>/dev/null || true
    sleep 0.5
    touch "$work/stop"
    wait "$probe" || true
    peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    stop_server
    summary "$round" "$work/heavy.txt" "$work/quotes.txt" "$before" "$peak"
done
