#!/usr/bin/env bash
# Slow and greedy clients against `allot serve` (docs/operations.md, "Slow and greedy
# clients"): 1,100 connections trickling a byte a second while a good client asks for
# /healthz; 300 connections pipelining without reading while a good keep-alive client
# measures its latency; a connection churn soak with the server's RSS before and after.
# Figures go to docs/benchmarks.md ("Slow and greedy clients").
#
# Loopback only; every phase bounded in time; the server this script starts is stopped by its
# PID and the temporary directory removed on every exit path.
#
# usage: bench/slow_clients/run.sh [--build DIR] [--slow N] [--slow-seconds S]
#          [--pipeline N] [--pipeline-seconds S] [--churn-seconds S]
#          [--request-timeout D] [--idle-timeout D] [--max-connections N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD="$ROOT/build"
SLOW=1100
SLOW_SECONDS=15
PIPELINE=300
PIPELINE_SECONDS=10
CHURN_SECONDS=20
REQUEST_TIMEOUT=10s
IDLE_TIMEOUT=60s
MAX_CONNECTIONS=1024

log() { echo "[slow_clients] $*" >&2; }
# shellcheck source=../lib/stop_pid.sh
source "$ROOT/bench/lib/stop_pid.sh"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --slow) SLOW=$2; shift 2 ;;
    --slow-seconds) SLOW_SECONDS=$2; shift 2 ;;
    --pipeline) PIPELINE=$2; shift 2 ;;
    --pipeline-seconds) PIPELINE_SECONDS=$2; shift 2 ;;
    --churn-seconds) CHURN_SECONDS=$2; shift 2 ;;
    --request-timeout) REQUEST_TIMEOUT=$2; shift 2 ;;
    --idle-timeout) IDLE_TIMEOUT=$2; shift 2 ;;
    --max-connections) MAX_CONNECTIONS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ulimit -n 8192 2> /dev/null || ulimit -n "$(ulimit -Hn)"
TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  stop_pid "$SERVER_PID" "allot serve"
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

cat > "$TMP/allot.yaml" << YAML
pools:
  - name: cpu
    nodes:
      - {name_prefix: c-, count: 1, cpu: 8, memory: 16Gi}
tenants:
  - {name: team}
server:
  idle_timeout: $IDLE_TIMEOUT
  request_timeout: $REQUEST_TIMEOUT
  max_connections: $MAX_CONNECTIONS
YAML

"$BUILD/allot" serve --config "$TMP/allot.yaml" --data "$TMP/data" --listen 127.0.0.1:0 \
  --port-file "$TMP/port" > "$TMP/serve.log" 2>&1 &
SERVER_PID=$!
for ((i = 0; i < 300; i++)); do
  [[ -s "$TMP/port" ]] && break
  sleep 0.1
done
[[ -s "$TMP/port" ]] || { log "server did not start"; tail "$TMP/serve.log" >&2; exit 1; }
PORT=$(cat "$TMP/port")
log "allot serve pid $SERVER_PID on 127.0.0.1:$PORT"
python3 "$HERE/slow_clients.py" --port "$PORT" --pid "$SERVER_PID" --slow "$SLOW" \
  --slow-seconds "$SLOW_SECONDS" --pipeline "$PIPELINE" --pipeline-seconds "$PIPELINE_SECONDS" \
  --churn-seconds "$CHURN_SECONDS"
