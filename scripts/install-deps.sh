#!/usr/bin/env bash
# Installs every build and test dependency of allot from Debian's packages.
# Idempotent: packages already present are skipped, and apt-get runs only when
# something is missing. Works as root, or through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config lld
  clang-format
  # clang and libFuzzer: the fuzz targets (make fuzz, docs/fuzzing.md)
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  libfmt-dev libspdlog-dev libyaml-cpp-dev libcli11-dev
  libhowardhinnant-date-dev tzdata
  rapidjson-dev nlohmann-json3-dev
  libboost-dev libboost-system-dev
  libsqlite3-dev libsqlitecpp-dev
  prometheus-cpp-dev prometheus
  libssl-dev wrk
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium
  # make package and its test (packaging/): dpkg-shlibdeps computes the
  # package's Depends; systemd-analyze verifies the unit; curl asks it /healthz
  dpkg-dev systemd curl
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_prefix=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_prefix=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_prefix[@]}" apt-get update -qq
"${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
