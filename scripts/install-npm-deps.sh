#!/usr/bin/env bash
# Installs what the npm-based tests need: Node.js (>= 18) and npm from Debian's
# packages when missing, then the packages pinned in testing/npm/package-lock.json
# (the official `openai` client) with `npm ci`. Idempotent: apt-get runs only
# when node or npm is missing (or node is older than 18), and npm ci only when
# testing/npm/node_modules is missing or older than the lock. Works as root, or
# through sudo when not root.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
npm_dir="${repo_root}/testing/npm"
min_node_major=18

node_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 ||
  [ "$(node_major)" -lt "${min_node_major}" ]; then
  echo "install-npm-deps: installing nodejs npm"
  sudo_prefix=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo_prefix=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_prefix[@]}" apt-get update -qq
  "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
  hash -r
  if [ "$(node_major)" -lt "${min_node_major}" ]; then
    echo "install-npm-deps: node $(node --version 2>/dev/null || echo missing) is older than ${min_node_major}" >&2
    exit 1
  fi
fi

# npm writes node_modules/.package-lock.json on every install: when it is older
# than the lock (or missing), the installed packages may not be the pinned ones.
stamp="${npm_dir}/node_modules/.package-lock.json"
if [ ! -f "${stamp}" ] || [ "${npm_dir}/package-lock.json" -nt "${stamp}" ] ||
  [ "${npm_dir}/package.json" -nt "${stamp}" ]; then
  echo "install-npm-deps: npm ci in testing/npm"
  (cd "${npm_dir}" && npm ci --no-audit --no-fund)
fi
