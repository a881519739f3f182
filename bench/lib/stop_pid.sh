# Sourced by the benchmark scripts (bench/*/run.sh), which define `log`.
# stop_pid PID NAME: SIGTERM, SIGKILL after 15 s, reap.
stop_pid() {
  local pid=$1 name=$2 i
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2> /dev/null; then
    kill -TERM "$pid" 2> /dev/null || true
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2> /dev/null; then
      log "$name ($pid) still running 15 s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2> /dev/null || true
    fi
  fi
  wait "$pid" 2> /dev/null || true
}
