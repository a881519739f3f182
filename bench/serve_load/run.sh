#!/usr/bin/env bash
# Load benchmark of `allot serve`: durable lease requests per second under wrk,
# and (with --slurm N) the Slurm peer's submission and start rate in the same
# invocation, with the ratio. See bench/serve_load/README.md.
#
# Everything listens on 127.0.0.1 only. Every run is bounded in time; every
# process this script starts is stopped by its PID, and its temporary
# directories removed, on every exit path (EXIT/INT/TERM trap).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

DURATION=20
CONNECTIONS=64
THREADS=1
SLURM_N=0
SYNC=full
WARMUP=3
AUTH=off
BINARY="$ROOT/build/allot"
CONFIG="$HERE/cluster.yaml"
SLURM_DIR=${SLURM_PEER_SCRIPTS:-$ROOT/../shared/peers/slurm}
SLURM_GRES=gpu:1
SLURM_VARIANT=both
SLURM_TIMEOUT=600
PIN=off
BASELINE=off
SNAPSHOT_EVERY=""

usage() {
  cat << EOF
usage: $(basename "$0") [options]

  --duration S        seconds of each measured wrk run (default $DURATION)
  --connections LIST  wrk connections, comma-separated for a sweep (default $CONNECTIONS)
  --threads LIST      wrk threads, comma-separated for a sweep (default $THREADS)
  --journal-sync M    full | normal | both (default $SYNC); both = one allot row per mode
  --auth M            off | on | both (default $AUTH): on = one API key (agent on bench),
                      every request carries it (SHA-256 lookup per request)
  --warmup S          seconds of wrk before each measured run, same shape (default $WARMUP)
  --baseline          also run plain wrk on GET /healthz (not journaled, no engine) with the same
                      threads and connections: the ceiling of the HTTP layer and wrk on this machine
  --pin               pin the server to CPU 0 and wrk to CPU 1 (taskset)
  --binary PATH       the allot binary (default build/allot)
  --config FILE       the cluster configuration (default bench/serve_load/cluster.yaml)
  --snapshot-every N  add server.snapshot_every: N to it (default: the server's, 50,000);
                      a diagnostic: 1000000000 keeps the snapshot out of the run
  --slurm N           then run the Slurm peer: setup.sh, start.sh, bench_throughput.sh N, stop.sh
  --slurm-gres G      SBATCH_GRES for the Slurm jobs (default $SLURM_GRES: one GPU per job,
                      like the allot lease); 'none' = the peer's default (1 CPU, no GPU)
  --slurm-variant V   loop | array | both (default $SLURM_VARIANT)
  --slurm-dir DIR     the Slurm peer's scripts (default ../shared/peers/slurm)

One fresh server (empty data dir) per (journal-sync, auth, threads, connections) combination:
start, wait for the port file and /readyz, warm up, measure, SIGTERM. Prints one line per run
and a table at the end; with --slurm, the Slurm figures and the ratios too.
EOF
}

while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --journal-sync) SYNC=$2; shift ;;
    --auth) AUTH=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --pin) PIN=on ;;
    --baseline) BASELINE=on ;;
    --binary) BINARY=$2; shift ;;
    --config) CONFIG=$2; shift ;;
    --snapshot-every) SNAPSHOT_EVERY=$2; shift ;;
    --slurm) SLURM_N=$2; shift ;;
    --slurm-gres) SLURM_GRES=$2; shift ;;
    --slurm-variant) SLURM_VARIANT=$2; shift ;;
    --slurm-dir) SLURM_DIR=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[serve_load] $*" >&2; }
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "--warmup must be an integer"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--connections: a comma-separated list"
[[ "$THREADS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads: a comma-separated list"
[[ "$SLURM_N" =~ ^[0-9]+$ ]] || die "--slurm N: N must be an integer"
[[ -z "$SNAPSHOT_EVERY" || "$SNAPSHOT_EVERY" =~ ^[1-9][0-9]*$ ]] || die "--snapshot-every: a positive integer"
[[ -f "$CONFIG" ]] || die "$CONFIG not found"
case "$SYNC" in full) SYNCS=(full) ;; normal) SYNCS=(normal) ;; both) SYNCS=(full normal) ;;
  *) die "--journal-sync: full, normal or both" ;; esac
case "$AUTH" in off) AUTHS=(off) ;; on) AUTHS=(on) ;; both) AUTHS=(off on) ;;
  *) die "--auth: off, on or both" ;; esac
[[ -x "$BINARY" ]] || die "$BINARY not found: build it (see bench/serve_load/README.md)"
command -v wrk > /dev/null || die "wrk not found"
# One Slurm peer per machine (shared munge socket): never take over, or later stop, one that
# someone else started. Checked before the allot runs and again before starting it.
slurm_free_or_die() {
  local pid_file=${SLURM_PEER_DIR:-/tmp/slurm-peer}/run/slurmctld.pid
  if [[ -s "$pid_file" ]] && [[ "$(cat "/proc/$(< "$pid_file")/comm" 2> /dev/null)" == slurmctld ]]; then
    die "a Slurm peer is already running ($pid_file); not touching it"
  fi
}
if ((SLURM_N > 0)); then
  [[ -x "$SLURM_DIR/bench_throughput.sh" ]] || die "no Slurm peer scripts in $SLURM_DIR"
  slurm_free_or_die
fi
IFS=, read -r -a CONN_LIST <<< "$CONNECTIONS"
IFS=, read -r -a THREAD_LIST <<< "$THREADS"

# ------------------------------------------------------------------ cleanup
WORK=$(mktemp -d /tmp/allot-serve-load.XXXXXX)
SERVER_PID=""
WRK_PID=""
SLURM_STARTED=0
SLURM_BENCH_PID=""

# shellcheck source=../lib/stop_pid.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/stop_pid.sh"

stop_server() {
  local pid=$SERVER_PID
  SERVER_PID=""
  stop_pid "$pid" "server"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$WRK_PID" ]]; then kill -TERM "$WRK_PID" 2> /dev/null || true; wait "$WRK_PID" 2> /dev/null || true; fi
  if [[ -n "$SLURM_BENCH_PID" ]]; then
    # bench_throughput.sh cancels its own jobs on SIGTERM
    kill -TERM "$SLURM_BENCH_PID" 2> /dev/null || true
    wait "$SLURM_BENCH_PID" 2> /dev/null || true
  fi
  stop_server
  if ((SLURM_STARTED)); then
    log "stopping the Slurm peer"
    "$SLURM_DIR/stop.sh" >&2 || log "stop.sh failed"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ------------------------------------------------------------------ allot
kv() { # kv KEY LINE: the value of KEY=... in a RESULT line
  sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"
}

# Runs the server and wrk for one combination; appends "sync auth threads conns RESULT..." to
# $WORK/results.
run_allot() {
  local sync=$1 auth=$2 threads=$3 conns=$4
  local data="$WORK/data-$sync-$auth-$threads-$conns" port_file="$WORK/port" config=$CONFIG
  local key="-" port i line server_cpu=() wrk_cpu=()
  if [[ -n "$SNAPSHOT_EVERY" ]]; then
    grep -q '^server:' "$CONFIG" && die "--snapshot-every: $CONFIG already has a server block"
    config="$WORK/cluster-snapshot.yaml"
    { cat "$CONFIG"; echo "server: {snapshot_every: $SNAPSHOT_EVERY}"; } > "$config"
  fi
  mkdir -p "$data"
  rm -f "$port_file"
  if [[ "$auth" == on ]]; then
    # One API key (role agent on the subtree 'bench'): every request pays the
    # SHA-256 of its bearer token and the key lookup.
    key="allot_bench$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    {
      cat "$config"
      echo "api_keys:"
      echo "  - {name: bench, sha256: $(printf %s "$key" | sha256sum | cut -d' ' -f1), tenant: bench, role: agent}"
    } > "$WORK/cluster-auth.yaml"
    config="$WORK/cluster-auth.yaml"
  fi
  if [[ "$PIN" == on ]]; then server_cpu=(taskset -c 0); wrk_cpu=(taskset -c 1); fi
  "${server_cpu[@]}" "$BINARY" serve --config "$config" --data "$data" --listen 127.0.0.1:0 \
    --port-file "$port_file" --journal-sync "$sync" > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for ((i = 0; i < 300; i++)); do
    [[ -s "$port_file" ]] && break
    kill -0 "$SERVER_PID" 2> /dev/null || { cat "$WORK/server.log" >&2; die "the server exited at start"; }
    sleep 0.1
  done
  [[ -s "$port_file" ]] || die "no port file after 30 s"
  port=$(< "$port_file")
  for ((i = 0; i < 100; i++)); do
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" && break
    sleep 0.1
  done
  local url="http://127.0.0.1:$port"
  local wrk_args=(-t "$threads" -c "$conns" -s "$HERE/lease_churn.lua" --timeout 5s)
  if ((WARMUP > 0)); then
    timeout $((WARMUP + 30)) "${wrk_cpu[@]}" wrk "${wrk_args[@]}" -d "${WARMUP}s" "$url" \
      -- bench/a,bench/b "$key" > "$WORK/warmup.txt" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || true
    WRK_PID=""
  fi
  timeout $((DURATION + 30)) "${wrk_cpu[@]}" wrk "${wrk_args[@]}" -d "${DURATION}s" --latency "$url" \
    -- bench/a,bench/b "$key" > "$WORK/wrk.txt" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || log "wrk exited with an error"
  WRK_PID=""
  if [[ "$BASELINE" == on ]]; then
    timeout $((DURATION + 30)) "${wrk_cpu[@]}" wrk -t "$threads" -c "$conns" --timeout 5s -d "${DURATION}s" \
      --latency "$url/healthz" > "$WORK/healthz.txt" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || log "wrk (healthz) exited with an error"
    WRK_PID=""
    {
      echo "-- baseline GET /healthz, same server, wrk -t$threads -c$conns -d${DURATION}s:"
      grep -E '^ +(50|99)%|Requests/sec|Non-2xx|Socket errors' "$WORK/healthz.txt"
    } >&2
    echo "$threads $conns $(awk '/Requests\/sec/ {print $2}' "$WORK/healthz.txt")" >> "$WORK/baseline"
  fi
  # The server's own count of journal commits and batch sizes, before it stops.
  curl -sf --max-time 5 "$url/metrics" > "$WORK/metrics.txt" || true
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  stop_server
  rm -rf "$data"
  line=$(grep '^RESULT ' "$WORK/wrk.txt" || true)
  if [[ -z "$line" ]]; then
    cat "$WORK/wrk.txt" >&2
    die "wrk printed no RESULT line"
  fi
  local commits batch_sum
  commits=$(awk '/^allot_journal_batch_size_count/ {print $2}' "$WORK/metrics.txt")
  batch_sum=$(awk '/^allot_journal_batch_size_sum/ {print $2}' "$WORK/metrics.txt")
  {
    echo "== allot serve: journal-sync=$sync auth=$auth wrk -t$threads -c$conns -d${DURATION}s (warm-up ${WARMUP}s) pin=$PIN"
    sed -n '/Latency Distribution/,/^Requests\/sec/p' "$WORK/wrk.txt" | grep -v '^RESULT'
    echo "$line"
    [[ -n "$commits" && "$commits" != 0 ]] &&
      awk -v c="$commits" -v s="$batch_sum" 'BEGIN { printf "journal (server metrics, warm-up included): %d commits, %.1f commands per commit\n", c, s / c }'
  } >&2
  echo "$sync $auth $threads $conns $load $line" >> "$WORK/results"
}

: > "$WORK/results"
log "$(date -u +%FT%TZ); binary $BINARY; $(nproc) CPUs; $(lscpu | sed -n 's/^Model name: *//p'); load $(cut -d' ' -f1-3 /proc/loadavg)"
for sync in "${SYNCS[@]}"; do
  for auth in "${AUTHS[@]}"; do
    for threads in "${THREAD_LIST[@]}"; do
      for conns in "${CONN_LIST[@]}"; do
        ((conns >= threads)) || { log "skip -t$threads -c$conns (fewer connections than threads)"; continue; }
        run_allot "$sync" "$auth" "$threads" "$conns"
      done
    done
  done
done

echo
echo "allot serve, durable lease requests (create + release), wrk ${DURATION}s, $(nproc) CPUs, pin=$PIN${SNAPSHOT_EVERY:+, snapshot_every=$SNAPSHOT_EVERY}"
printf '%-7s %-5s %3s %5s %10s %10s %9s %9s %9s %8s %8s %6s\n' \
  sync auth t c "req/s" "grants/s" "p50 ms" "p99 ms" "max ms" non2xx sockerr load1
best_full=""
best_full_grants=""
while read -r sync auth threads conns load line; do
  rps=$(kv rps "$line"); grants=$(kv grants_per_s "$line")
  p50=$(kv p50_us "$line"); p99=$(kv p99_us "$line"); max=$(kv max_us "$line")
  non2xx=$(kv non2xx "$line")
  sockerr=$(($(kv err_connect "$line") + $(kv err_read "$line") + $(kv err_write "$line") + $(kv err_timeout "$line")))
  printf '%-7s %-5s %3s %5s %10s %10s %9.2f %9.2f %9.2f %8s %8s %6s\n' "$sync" "$auth" "$threads" "$conns" \
    "$rps" "$grants" "$(bc -l <<< "$p50/1000")" "$(bc -l <<< "$p99/1000")" "$(bc -l <<< "$max/1000")" \
    "$non2xx" "$sockerr" "$load"
  if [[ "$sync" == full ]] && { [[ -z "$best_full" ]] || (($(bc <<< "$rps > $best_full"))); }; then
    best_full=$rps
    best_full_grants=$grants
  fi
done < "$WORK/results"
if [[ -s "$WORK/baseline" ]]; then
  echo "baseline GET /healthz (no journal, no engine), req/s by threads x connections:"
  while read -r t c r; do
    echo "  -t$t -c$c: $r"
  done < "$WORK/baseline"
fi
[[ -n "$best_full" ]] && echo "best journal-sync=full: $best_full requests/s ($best_full_grants grants/s)"

# ------------------------------------------------------------------ Slurm
if ((SLURM_N > 0)); then
  [[ -x "$SLURM_DIR/bench_throughput.sh" ]] || die "no Slurm peer scripts in $SLURM_DIR"
  slurm_free_or_die
  log "Slurm peer: setup.sh, start.sh"
  "$SLURM_DIR/setup.sh" >&2
  SLURM_STARTED=1
  timeout 300 "$SLURM_DIR/start.sh" >&2
  export SLURM_CONF=${SLURM_PEER_DIR:-/tmp/slurm-peer}/etc/slurm.conf
  if [[ "$SLURM_GRES" != none ]]; then export SBATCH_GRES=$SLURM_GRES; else unset SBATCH_GRES; fi
  log "Slurm peer: bench_throughput.sh --variant $SLURM_VARIANT $SLURM_N (SBATCH_GRES=${SBATCH_GRES:-unset})"
  "$SLURM_DIR/bench_throughput.sh" --variant "$SLURM_VARIANT" --timeout "$SLURM_TIMEOUT" "$SLURM_N" \
    > "$WORK/slurm.txt" &
  SLURM_BENCH_PID=$!
  wait "$SLURM_BENCH_PID" || log "bench_throughput.sh exited with an error"
  SLURM_BENCH_PID=""
  "$SLURM_DIR/stop.sh" >&2 || log "stop.sh failed"
  SLURM_STARTED=0
  echo
  echo "Slurm peer (bench_throughput.sh $SLURM_N, SBATCH_GRES=${SBATCH_GRES:-unset}):"
  cat "$WORK/slurm.txt"
  sv() { sed -n "s/^$1=//p" "$WORK/slurm.txt"; }
  echo
  if [[ -n "$best_full" ]]; then
    for key in loop_submissions_per_s loop_jobs_started_per_s array_jobs_started_per_s; do
      val=$(sv "$key")
      [[ -n "$val" ]] || continue
      printf 'ratio allot grants/s (%s, journal-sync=full) / Slurm %s (%s): %.0fx\n' \
        "$best_full_grants" "$key" "$val" "$(bc -l <<< "$best_full_grants / $val")"
      printf 'ratio allot requests/s (%s) / Slurm %s (%s): %.0fx\n' \
        "$best_full" "$key" "$val" "$(bc -l <<< "$best_full / $val")"
    done
  fi
fi
