#!/usr/bin/env bash
# Gateway load benchmark: the same chat completion sent (1) straight to a fast local upstream
# (allot-fake-upstream), (2) through allot's gateway (`allot serve` with gateway.yaml) and
# (3) through the Portkey gateway peer (../shared/peers/portkey), all in one run on the same
# upstream process; each at a fixed open-loop rate (added latency = gateway minus direct at each
# percentile) and at maximum throughput (closed loop). See bench/gateway_load/README.md.
#
# Everything listens on 127.0.0.1 only. Every run is bounded in time; every process this script
# starts is stopped by its PID (Portkey by its peer's stop.sh), and the temporary directory
# removed, on every exit path (EXIT/INT/TERM trap).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

DURATION=20
WARMUP=3
RATES=1000
RATE_CONNECTIONS=64
MAX_CONNECTIONS=64
LEGS=direct,allot,portkey
BUILD="$ROOT/build"
ALLOT=""
UPSTREAM_BIN=""
LOADGEN=""
CONFIG="$HERE/gateway.yaml"
PORTKEY_DIR=${PORTKEY_PEER_SCRIPTS:-$ROOT/../shared/peers/portkey}
PORTKEY_PORT=8787
OUT=""
BODY='{"model":"mock-1","messages":[{"role":"user","content":"Say hello to the benchmark."}]}'
DELAY_US=0
WORDS=8
ALLOT_HEADERS=()
REPEAT=1

usage() {
  cat << EOF
usage: $(basename "$0") [options]

  --duration S          measured seconds of each load run (default $DURATION)
  --warmup S            seconds of the same load before each measured window (default $WARMUP)
  --rates LIST          open-loop requests/s, comma-separated (default $RATES); 0 skips the
                        fixed-rate runs
  --rate-connections N  connections the open-loop runs may use (default $RATE_CONNECTIONS)
  --max-connections N   connections of the closed-loop (max throughput) runs (default
                        $MAX_CONNECTIONS); 0 skips them
  --legs LIST           comma-separated, of direct,allot,portkey (default $LEGS)
  --repeat N            the whole sequence of legs N times (default $REPEAT)
  --body JSON           the chat completion request (default: model mock-1, one short message)
  --upstream-delay-us U the fake upstream's delay before each reply (default $DELAY_US)
  --words N             words the fake upstream generates per reply (default $WORDS)
  --allot-header 'N: V' a header on every request through allot (repeatable)
  --build DIR           where allot and allot-fake-upstream are (default build/)
  --allot PATH          the allot binary (default DIR/allot)
  --loadgen PATH        gateway_loadgen (default DIR/bench/gateway_loadgen, else
                        build-bench/bench/gateway_loadgen)
  --config FILE         the allot gateway configuration (default bench/gateway_load/gateway.yaml);
                        its replica URL http://127.0.0.1:18080/v1 is replaced by the upstream's
  --portkey-dir DIR     the Portkey peer's scripts (default ../shared/peers/portkey)
  --portkey-port P      Portkey's port (default $PORTKEY_PORT)
  --out DIR             raw JSON reports and the summary (default out/gateway_load/<UTC time>)

Per leg: a smoke request (must be 200), then gateway_loadgen at --rate (open loop) and at
maximum throughput with --max-connections (closed loop). Prints a markdown table; the raw
reports are <leg>-rate[-rN].json and <leg>-max[-rN].json in the output directory, with
summary.md and summary.json.
EOF
}

while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rates | --rate) RATES=$2; shift ;;
    --rate-connections) RATE_CONNECTIONS=$2; shift ;;
    --max-connections) MAX_CONNECTIONS=$2; shift ;;
    --legs) LEGS=$2; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --body) BODY=$2; shift ;;
    --upstream-delay-us) DELAY_US=$2; shift ;;
    --words) WORDS=$2; shift ;;
    --allot-header) ALLOT_HEADERS+=("$2"); shift ;;
    --build) BUILD=$2; shift ;;
    --allot) ALLOT=$2; shift ;;
    --loadgen) LOADGEN=$2; shift ;;
    --config) CONFIG=$2; shift ;;
    --portkey-dir) PORTKEY_DIR=$2; shift ;;
    --portkey-port) PORTKEY_PORT=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[gateway_load] $*" >&2; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_positive() { [[ "$1" =~ ^[1-9][0-9]*$ ]]; }
is_positive "$DURATION" || die "--duration: a positive integer"
is_uint "$WARMUP" || die "--warmup: an integer"
[[ "$RATES" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--rates: comma-separated integers"
is_positive "$RATE_CONNECTIONS" || die "--rate-connections: a positive integer"
is_uint "$MAX_CONNECTIONS" || die "--max-connections: an integer"
is_positive "$REPEAT" || die "--repeat: a positive integer"
is_uint "$DELAY_US" || die "--upstream-delay-us: an integer"
is_uint "$WORDS" || die "--words: an integer"
is_uint "$PORTKEY_PORT" || die "--portkey-port: an integer"
RATE_LIST=()
IFS=, read -r -a rate_items <<< "$RATES"
for rate in "${rate_items[@]}"; do ((rate > 0)) && RATE_LIST+=("$rate"); done
((${#RATE_LIST[@]} > 0 || MAX_CONNECTIONS > 0)) || die "--rates 0 and --max-connections 0: nothing to run"
[[ "$LEGS" =~ ^(direct|allot|portkey)(,(direct|allot|portkey))*$ ]] || die "--legs: of direct,allot,portkey"
IFS=, read -r -a LEG_LIST <<< "$LEGS"
ALLOT=${ALLOT:-$BUILD/allot}
UPSTREAM_BIN=${UPSTREAM_BIN:-$BUILD/allot-fake-upstream}
if [[ -z "$LOADGEN" ]]; then
  for candidate in "$BUILD/bench/gateway_loadgen" "$ROOT/build-bench/bench/gateway_loadgen"; do
    [[ -x "$candidate" ]] && { LOADGEN=$candidate; break; }
  done
fi
[[ -n "$LOADGEN" && -x "$LOADGEN" ]] ||
  die "gateway_loadgen not found: cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DALLOT_BENCHMARKS=ON && ninja -C build-bench gateway_loadgen (or --loadgen PATH)"
[[ -x "$UPSTREAM_BIN" ]] || die "$UPSTREAM_BIN not found: ninja -C $BUILD allot-fake-upstream"
command -v jq > /dev/null || die "jq is needed (apt-get install -y jq)"
command -v curl > /dev/null || die "curl is needed"
[[ " ${LEG_LIST[*]} " == *" allot "* && ! -x "$ALLOT" ]] && die "$ALLOT not found: ninja -C $BUILD allot"
[[ " ${LEG_LIST[*]} " == *" allot "* && ! -f "$CONFIG" ]] && die "$CONFIG not found"
[[ " ${LEG_LIST[*]} " == *" portkey "* && ! -x "$PORTKEY_DIR/start.sh" ]] && die "no Portkey peer scripts in $PORTKEY_DIR"
OUT=${OUT:-$ROOT/out/gateway_load/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

# ------------------------------------------------------------------ cleanup
WORK=$(mktemp -d /tmp/allot-gateway-load.XXXXXX)
UPSTREAM_PID=""
SERVER_PID=""
LOADGEN_PID=""
PORTKEY_STARTED=0

# shellcheck source=../lib/stop_pid.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/stop_pid.sh"

stop_server() { stop_pid "$SERVER_PID" "allot serve"; SERVER_PID=""; }
stop_portkey() {
  if ((PORTKEY_STARTED)); then
    PORTKEY_STARTED=0
    "$PORTKEY_DIR/stop.sh" >&2 || log "Portkey stop.sh failed"
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$LOADGEN_PID" gateway_loadgen
  stop_server
  stop_portkey
  stop_pid "$UPSTREAM_PID" allot-fake-upstream
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM

# ------------------------------------------------------------------ helpers
# smoke URL HEADER...: one request; true when it is answered 200.
smoke() {
  local url=$1 code args=()
  shift
  for header in "$@"; do args+=(-H "$header"); done
  code=$(curl -s -o "$WORK/smoke.json" -m 10 -w '%{http_code}' "$url" \
    -H 'Content-Type: application/json' "${args[@]}" -d "$BODY" || true)
  if [[ "$code" != 200 ]]; then
    log "smoke request to $url: HTTP ${code:-none}: $(head -c 300 "$WORK/smoke.json" 2> /dev/null || true)"
    return 1
  fi
}

# loadgen NAME URL RATE HEADER...: one gateway_loadgen run (RATE 0: closed loop) into
# $OUT/NAME.json.
loadgen() {
  local name=$1 url=$2 rate=$3 args=()
  shift 3
  for header in "$@"; do args+=(-H "$header"); done
  if ((rate > 0)); then
    args+=(--rate "$rate" -c "$RATE_CONNECTIONS")
  else
    args+=(--rate 0 -c "$MAX_CONNECTIONS")
  fi
  timeout $((WARMUP + DURATION + 60)) "$LOADGEN" --url "$url" --body "$BODY" --duration "$DURATION" \
    --warmup "$WARMUP" --drain-s 10 --label "$name" -o "$OUT/$name.json" "${args[@]}" \
    > "$WORK/loadgen.out" 2> "$WORK/loadgen.err" &
  LOADGEN_PID=$!
  if ! wait "$LOADGEN_PID"; then
    LOADGEN_PID=""
    cat "$WORK/loadgen.err" >&2
    log "gateway_loadgen failed ($name)"
    return 1
  fi
  LOADGEN_PID=""
  jq -r '"\(.label): \(.requests_per_s | floor) req/s, p50 \(.latency_us.p50) us, p99 \(.latency_us.p99) us, max \(.latency_us.max) us, errors \(.errors), non-2xx \(.non_2xx)"' \
    "$OUT/$name.json" >&2
}

# measure LEG SUFFIX URL HEADER...: the smoke request, then the rate and max runs.
measure() {
  local leg=$1 suffix=$2 url=$3
  shift 3
  smoke "$url" "$@" || { log "$leg: the smoke request failed; skipping the $leg leg"; return 1; }
  local rate
  for rate in "${RATE_LIST[@]}"; do loadgen "$leg-rate$rate$suffix" "$url" "$rate" "$@" || true; done
  if ((MAX_CONNECTIONS > 0)); then loadgen "$leg-max$suffix" "$url" 0 "$@" || true; fi
}

# ------------------------------------------------------------------ the upstream
log "$(date -u +%FT%TZ); $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')); load $(cut -d' ' -f1-3 /proc/loadavg)"
log "load generator, upstream and gateway share the machine's CPUs (nothing is pinned)"
"$UPSTREAM_BIN" --listen 127.0.0.1:0 --delay-us "$DELAY_US" --words "$WORDS" > "$WORK/upstream.log" 2>&1 &
UPSTREAM_PID=$!
for ((i = 0; i < 100; i++)); do
  grep -qs '^listening on ' "$WORK/upstream.log" && break
  kill -0 "$UPSTREAM_PID" 2> /dev/null || { cat "$WORK/upstream.log" >&2; die "allot-fake-upstream exited"; }
  sleep 0.1
done
UPSTREAM_PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$WORK/upstream.log")
[[ -n "$UPSTREAM_PORT" ]] || die "allot-fake-upstream did not say where it listens"
UPSTREAM_URL="http://127.0.0.1:$UPSTREAM_PORT/v1"
log "fake upstream at $UPSTREAM_URL (delay ${DELAY_US} us, $WORDS words)"

# ------------------------------------------------------------------ the legs
DIRECT_HEADERS=("Authorization: Bearer sk-dummy")
PORTKEY_HEADERS=("Authorization: Bearer sk-dummy" "x-portkey-provider: openai"
  "x-portkey-custom-host: $UPSTREAM_URL")
SKIPPED=()

leg_direct() {
  log "== direct to the upstream"
  measure direct "$1" "$UPSTREAM_URL/chat/completions" "${DIRECT_HEADERS[@]}" || SKIPPED+=("direct")
}

leg_allot() {
  local port_file="$WORK/allot.port" config="$WORK/gateway.yaml" port i
  log "== through allot serve"
  sed "s#http://127.0.0.1:18080/v1#$UPSTREAM_URL#g" "$CONFIG" > "$config"
  rm -rf "$WORK/allot-data" "$port_file"
  mkdir -p "$WORK/allot-data"
  "$ALLOT" serve --config "$config" --data "$WORK/allot-data" --listen 127.0.0.1:0 \
    --port-file "$port_file" > "$WORK/allot.log" 2>&1 &
  SERVER_PID=$!
  for ((i = 0; i < 300; i++)); do
    [[ -s "$port_file" ]] && break
    if ! kill -0 "$SERVER_PID" 2> /dev/null; then
      wait "$SERVER_PID" 2> /dev/null || true
      SERVER_PID=""
      log "allot serve refused the gateway configuration or did not start; end of its log:"
      tail -n 5 "$WORK/allot.log" >&2
      log "skipping the allot leg"
      SKIPPED+=("allot")
      return 0
    fi
    sleep 0.1
  done
  if [[ ! -s "$port_file" ]]; then
    stop_server
    log "allot serve: no port file after 30 s; skipping the allot leg"
    SKIPPED+=("allot")
    return 0
  fi
  port=$(< "$port_file")
  for ((i = 0; i < 100; i++)); do
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" && break
    sleep 0.1
  done
  measure allot "$1" "http://127.0.0.1:$port/v1/chat/completions" "${ALLOT_HEADERS[@]}" ||
    SKIPPED+=("allot")
  # The server's own view, for the record (its metrics include the gateway's, if any).
  curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" > "$OUT/allot-metrics$1.txt" || true
  stop_server
}

leg_portkey() {
  log "== through the Portkey gateway peer"
  local peer_dir=${PORTKEY_PEER_DIR:-/tmp/portkey-peer}
  if [[ -s "$peer_dir/run/portkey.pid" ]] && [[ "$(cat "/proc/$(< "$peer_dir/run/portkey.pid")/comm" 2> /dev/null)" == node ]]; then
    log "a Portkey gateway already runs from $peer_dir (not ours); skipping the portkey leg"
    SKIPPED+=("portkey")
    return 0
  fi
  if ss -Hltn "sport = :$PORTKEY_PORT" | grep -q .; then
    log "port $PORTKEY_PORT is in use (--portkey-port); skipping the portkey leg"
    SKIPPED+=("portkey")
    return 0
  fi
  "$PORTKEY_DIR/setup.sh" >&2 || { log "Portkey setup.sh failed; skipping"; SKIPPED+=("portkey"); return 0; }
  PORTKEY_STARTED=1
  if ! timeout 120 "$PORTKEY_DIR/start.sh" "$PORTKEY_PORT" "$UPSTREAM_URL" >&2; then
    stop_portkey
    log "Portkey start.sh failed; skipping the portkey leg"
    SKIPPED+=("portkey")
    return 0
  fi
  # Portkey reads HTTP(S)_PROXY from its environment: a proxy would take the local upstream away.
  measure portkey "$1" "http://127.0.0.1:$PORTKEY_PORT/v1/chat/completions" "${PORTKEY_HEADERS[@]}" ||
    SKIPPED+=("portkey")
  ps -o rss= -p "$(cat "$peer_dir/run/portkey.pid" 2> /dev/null || echo 0)" > "$WORK/portkey.rss" 2> /dev/null || true
  stop_portkey
}

unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy
for ((r = 1; r <= REPEAT; r++)); do
  suffix=""
  ((REPEAT > 1)) && suffix="-r$r"
  for leg in "${LEG_LIST[@]}"; do "leg_$leg" "$suffix"; done
done
kill -0 "$UPSTREAM_PID" 2> /dev/null || die "the upstream died during the run"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ summary
# One JSON array of every report, then summary.json (per run: open-loop rows with the added
# latency against the direct leg at the same rate, closed-loop rows, the allot/Portkey ratios)
# and the markdown tables.
shopt -s nullglob
REPORTS=("$OUT"/*-rate*.json "$OUT"/*-max*.json)
shopt -u nullglob
if ((${#REPORTS[@]} > 0)); then jq -s '.' "${REPORTS[@]}" > "$OUT/reports.json"; else echo '[]' > "$OUT/reports.json"; fi
SKIPPED_JSON=$( ((${#SKIPPED[@]} > 0)) && printf '%s\n' "${SKIPPED[@]}" | sort -u | jq -R . | jq -s . || echo '[]')
jq --argjson skipped "$SKIPPED_JSON" '
  def leg: .label | split("-")[0];
  def run: (.label | split("-")[2] // "r1");
  def row: { run: run, leg: leg, target_rate, connections, requests_per_s, errors, non_2xx,
             max_backlog, p50: .latency_us.p50, p90: .latency_us.p90, p99: .latency_us.p99,
             p999: .latency_us.p999, max: .latency_us.max };
  def added($d): if $d == null then null else
      { p50: (.p50 - $d.p50), p90: (.p90 - $d.p90), p99: (.p99 - $d.p99), p999: (.p999 - $d.p999) } end;
  def ratio(a; b): if a == null or b == null or b == 0 then null else (a / b * 10 | round) / 10 end;
  (map(select(.mode == "open") | row) | group_by([.run, .target_rate])
     | map((map(select(.leg == "direct")) | first) as $d
           | map(. + { added: (if .leg == "direct" then null else added($d) end) })) | flatten) as $open |
  (map(select(.mode == "closed") | row)) as $max |
  {
    skipped: $skipped,
    open_loop: $open,
    max_throughput: $max,
    ratios: [ ($open + $max) | group_by(.run)[] | . as $rows | ($rows[0].run) as $r |
      ($max | map(select(.run == $r))) as $m |
      ($m | map(select(.leg == "allot")) | first) as $am |
      ($m | map(select(.leg == "portkey")) | first) as $pm |
      { run: $r,
        max_throughput_allot_over_portkey: ratio($am.requests_per_s; $pm.requests_per_s),
        open_loop: [ $open | map(select(.run == $r)) | group_by(.target_rate)[] |
          (map(select(.leg == "allot")) | first) as $a |
          (map(select(.leg == "portkey")) | first) as $p |
          select($a != null and $p != null) |
          { rate: $a.target_rate,
            added_p50_portkey_over_allot: ratio($p.added.p50; $a.added.p50),
            added_p99_portkey_over_allot: ratio($p.added.p99; $a.added.p99) } ] } ]
  }' "$OUT/reports.json" > "$OUT/summary.json"

{
  echo "## Gateway load: $(date -u +%FT%TZ), $(nproc) CPUs shared by load generator, upstream and gateway"
  echo
  echo "Upstream: allot-fake-upstream (delay ${DELAY_US} us, $WORDS words); ${DURATION} s measured after ${WARMUP} s warm-up;"
  echo "load average at the end: $LOAD_END. Latencies in microseconds; 'added' = the leg minus direct at"
  echo "the same percentile, same rate, same run."
  if ((${#RATE_LIST[@]} > 0)); then
    echo
    echo "### Open loop (up to $RATE_CONNECTIONS connections; latency from each request's scheduled send)"
    echo
    echo "| run | rate | leg | req/s | errors | non-2xx | backlog | p50 | p90 | p99 | p99.9 | max | added p50 | added p90 | added p99 | added p99.9 |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    jq -r '.open_loop[] | "| \(.run) | \(.target_rate | floor) | \(.leg) | \(.requests_per_s | floor) | \(.errors) | \(.non_2xx) | \(.max_backlog) | \(.p50) | \(.p90) | \(.p99) | \(.p999) | \(.max) | \(.added.p50 // "-") | \(.added.p90 // "-") | \(.added.p99 // "-") | \(.added.p999 // "-") |"' "$OUT/summary.json"
  fi
  if ((MAX_CONNECTIONS > 0)); then
    echo
    echo "### Closed loop, maximum throughput ($MAX_CONNECTIONS connections)"
    echo
    echo "| run | leg | req/s | errors | non-2xx | p50 | p99 | p99.9 | max |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    jq -r '.max_throughput[] | "| \(.run) | \(.leg) | \(.requests_per_s | floor) | \(.errors) | \(.non_2xx) | \(.p50) | \(.p99) | \(.p999) | \(.max) |"' "$OUT/summary.json"
  fi
  jq -r '.ratios[] |
    (if .max_throughput_allot_over_portkey != null then
       "\n\(.run): max throughput allot / Portkey = \(.max_throughput_allot_over_portkey)x" else empty end),
    (.open_loop[] | "\n\(.rate | floor) req/s: added latency Portkey / allot = p50 \(.added_p50_portkey_over_allot // "-")x, p99 \(.added_p99_portkey_over_allot // "-")x")' \
    "$OUT/summary.json"
  if [[ -s "$WORK/portkey.rss" ]]; then
    echo
    echo "Portkey RSS after its runs: $(($(tr -dc 0-9 < "$WORK/portkey.rss") / 1024)) MiB"
  fi
  if ((${#SKIPPED[@]} > 0)); then
    echo
    echo "Skipped: $(printf '%s\n' "${SKIPPED[@]}" | sort -u | paste -sd' ') (see the log above)"
  fi
} | tee "$OUT/summary.md"
log "raw reports and summary in $OUT"
