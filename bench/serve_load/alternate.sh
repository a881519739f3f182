#!/usr/bin/env bash
# Alternates two or more allot binaries under the same wrk lease churn and
# prints, per run, requests/s, p50/p99 and the server's CPU per request (utime
# + stime of its threads from /proc over the measured window, divided by the
# requests): the side-by-side comparison of docs/benchmarks.md. CPU per
# request is much less sensitive to neighbours on a shared machine than
# requests/s. Every server is stopped by its PID and its data removed.
#
# usage: alternate.sh ROUNDS SECONDS CONNECTIONS BINARY...
#   env: CONFIG (default cluster.yaml here), SYNC (full | normal, default full)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# >= 4)) || { sed -n '2,11p' "$0" >&2; exit 2; }
ROUNDS=$1 DURATION=$2 CONNECTIONS=$3
shift 3
CONFIG=${CONFIG:-$HERE/cluster.yaml}
SYNC=${SYNC:-full}
TICKS=$(getconf CLK_TCK)
WORK=$(mktemp -d /tmp/allot-alternate.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill -TERM "$SERVER_PID" 2> /dev/null || true; wait "$SERVER_PID" 2> /dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "$1" 2> /dev/null || echo 0; }

for ((round = 1; round <= ROUNDS; round++)); do
  for binary in "$@"; do
    rm -rf "$WORK/data" "$WORK/port"
    "$binary" serve --config "$CONFIG" --data "$WORK/data" --listen 127.0.0.1:0 \
      --port-file "$WORK/port" --journal-sync "$SYNC" > "$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for ((i = 0; i < 100; i++)); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
    url="http://127.0.0.1:$(< "$WORK/port")"
    for ((i = 0; i < 50; i++)); do curl -sf -o /dev/null "$url/readyz" && break; sleep 0.1; done
    args=(-t2 -c"$CONNECTIONS" -s "$HERE/lease_churn.lua" --timeout 5s)
    wrk "${args[@]}" -d2s "$url" -- bench/a,bench/b - > /dev/null 2>&1
    declare -A before=()
    for task in /proc/"$SERVER_PID"/task/*; do before[${task##*/}]=$(cpu_ticks "$task/stat"); done
    wrk "${args[@]}" -d"${DURATION}s" --latency "$url" -- bench/a,bench/b - > "$WORK/wrk.txt" 2>&1
    total=0 loop=0
    for task in /proc/"$SERVER_PID"/task/*; do
      tid=${task##*/}
      used=$(($(cpu_ticks "$task/stat") - ${before[$tid]:-0}))
      total=$((total + used))
      [[ "$tid" == "$SERVER_PID" ]] && loop=$used
    done
    unset before
    load=$(cut -d' ' -f1 /proc/loadavg)
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    SERVER_PID=""
    line=$(grep '^RESULT ' "$WORK/wrk.txt")
    field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<< "$line"; }
    awk -v bin="$binary" -v rps="$(field rps)" -v n="$(field requests)" -v p50="$(field p50_us)" \
      -v p99="$(field p99_us)" -v non="$(field non2xx)" -v total="$total" -v loop="$loop" \
      -v ticks="$TICKS" -v load="$load" 'BEGIN {
        printf "%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, serving thread %.1f us/req, server %.1f us/req, non2xx %s, load %s\n",
          bin, rps, p50 / 1000, p99 / 1000, loop * 1e6 / ticks / n, total * 1e6 / ticks / n, non, load }'
  done
done
