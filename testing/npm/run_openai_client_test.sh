#!/usr/bin/env bash
# CTest: the official `openai` npm client against a real `allot serve` whose
# gateway forwards to allot-fake-upstream. Skipped (77) only where Node.js or
# the pinned packages are missing (scripts/install-npm-deps.sh installs both;
# `make test` runs it first).
#   run_openai_client_test.sh ALLOT_BINARY FAKE_UPSTREAM_BINARY WORK_DIR
set -euo pipefail
allot="$1"
fake="$2"
work="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v node >/dev/null 2>&1 || [ ! -d "${here}/node_modules/openai" ]; then
  echo "skipped: node or testing/npm/node_modules missing (run scripts/install-npm-deps.sh)"
  exit 77
fi

rm -rf "${work}"
mkdir -p "${work}"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Waits (10 s at most) for "listening on HOST:PORT" in a log; prints PORT.
port_from_log() {
  local log="$1"
  for _ in $(seq 1 100); do
    local port
    port="$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "${log}" 2>/dev/null | head -1 | sed 's/.*://')"
    if [ -n "${port}" ]; then
      echo "${port}"
      return 0
    fi
    sleep 0.1
  done
  echo "no 'listening on' in ${log}:" >&2
  cat "${log}" >&2
  return 1
}

"${fake}" --listen 127.0.0.1:0 >"${work}/upstream.log" 2>&1 &
pids+=($!)
upstream_port="$(port_from_log "${work}/upstream.log")"

key="allot_openai-npm-test-key"
key_sha="$(printf '%s' "${key}" | sha256sum | cut -d' ' -f1)"
cat >"${work}/allot.yaml" <<YAML
classes:
  - {name: default, value: 100}
tenants:
  - {name: agents}
prices:
  models:
    mock-1: {input: "0.50", output: "1.50"}
server:
  listen: 127.0.0.1:0
api_keys:
  - {name: npm-agent, sha256: ${key_sha}, tenant: agents, role: agent}
gateway:
  endpoints:
    - name: mock
      base_url: http://127.0.0.1:${upstream_port}/v1
      slots: 8
      models: [mock-1]
YAML
"${allot}" serve --config "${work}/allot.yaml" --data "${work}/data" >"${work}/allot.log" 2>&1 &
pids+=($!)
allot_port="$(port_from_log "${work}/allot.log")"

cd "${here}"
node openai_client_test.mjs "http://127.0.0.1:${allot_port}/v1" "${key}" mock-1
