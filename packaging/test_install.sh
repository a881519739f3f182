#!/usr/bin/env bash
# Installs the allot .deb into an empty root and starts the service as its
# unit says (ctest: package_install, registered in packaging/packaging.cmake).
#
#   packaging/test_install.sh BUILD_DIR WORK_DIR
#
# 1. cpack in BUILD_DIR (the binaries it already built) makes the .deb.
# 2. dpkg --root=ROOT --force-script-chrootless -i installs it into an empty
#    root with only a dpkg database, the account files, systemd's targets and
#    /bin/kill (what the unit refers to on any Debian system): the maintainer
#    scripts run for real (with DPKG_ROOT=ROOT), creating the allot user.
# 3. The installed files, the conffile and the state directory are checked,
#    and `systemd-analyze verify --root=ROOT` checks the installed unit.
# 4. The service is started the way the unit says: ExecStart=, User=,
#    Group=, WorkingDirectory= and UMask= read from the installed unit, its
#    absolute paths moved under ROOT, on 127.0.0.1:0 (--listen, --port-file),
#    as the unit's user (setpriv). /healthz must answer; SIGTERM must stop
#    it with exit 0 and leave its journal in the state directory.
# 5. A unit with a wrong ExecStart must fail the same checks (so this test
#    can fail), and dpkg -r / -P must keep / remove the state.
#
# What is not exercised: systemd itself (no PID 1 here), so the sandboxing
# options (ProtectSystem=, ...) are verified for syntax, not enforced; the
# binary runs on the host's shared libraries, not inside ROOT.
#
# Exit 77 (skipped) when not root or a tool is missing.
set -euo pipefail

build_dir="$(cd "$1" && pwd)"
work="$2"
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg --root, useradd --prefix, setpriv)"
for tool in cpack dpkg dpkg-deb dpkg-query systemd-analyze setpriv useradd groupadd curl awk; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
done

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

rm -rf "$work"
mkdir -p "$work"
chmod 0755 "$work"

# --- 1. The package -----------------------------------------------------------
(cd "$build_dir" && cpack -G DEB -B "$work/cpack" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
version="$(awk -F'"' '/^set\(CPACK_PACKAGE_VERSION /{print $2}' "$build_dir/CPackConfig.cmake")"
arch="$(dpkg --print-architecture)"
deb="$work/cpack/allot_${version}_${arch}.deb"
[ -f "$deb" ] || { ls "$work/cpack" >&2; fail "no $deb"; }
echo "package: $deb ($(du -h "$deb" | cut -f1))"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
for needed in libc6 passwd; do
  [[ "$depends" == *"$needed"* ]] || fail "Depends lacks $needed: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/allot/allot.yaml ||
  fail "/etc/allot/allot.yaml is not a conffile"

# --- 2. An empty root with a dpkg database and account files -------------------
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/log" "$root/etc"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
echo "root:*:19000:0:99999:7:::" >"$root/etc/shadow"
echo "root:*::" >"$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
chmod 0755 "$root"
# What the unit refers to on any Debian system with systemd: the targets its
# default dependencies name (systemd) and /bin/kill for ExecReload= (procps),
# taken from this machine so that `systemd-analyze verify --root` finds them.
mkdir -p "$root/lib/systemd/system" "$root/bin"
cp /lib/systemd/system/*.target "$root/lib/systemd/system/"
cp /bin/kill "$root/bin/kill"

install_log="$work/dpkg-install.log"
dpkg --root="$root" --force-script-chrootless --force-depends --log="$work/dpkg.log" \
  -i "$deb" >"$install_log" 2>&1 || { cat "$install_log" >&2; fail "dpkg -i failed"; }
status="$(dpkg-query --root="$root" -W -f='${Status}' allot)"
[ "$status" = "install ok installed" ] || fail "dpkg says '$status'"

# --- 3. What it installed --------------------------------------------------------
for file in /usr/bin/allot /usr/bin/allot-fake-upstream /etc/allot/allot.yaml \
  /lib/systemd/system/allot.service /usr/share/man/man1/allot.1.gz \
  /usr/share/doc/allot/README.md /usr/share/doc/allot/operations.md \
  /usr/share/doc/allot/config.md /usr/share/doc/allot/examples/gateway/local.yaml; do
  [ -f "$root$file" ] || fail "$file is not installed"
done
dpkg-query --root="$root" -W -f='${Conffiles}\n' allot | grep -q '/etc/allot/allot.yaml' ||
  fail "dpkg does not record /etc/allot/allot.yaml as a conffile"
"$root/usr/bin/allot" --version | grep -q "^allot $version (commit " ||
  fail "allot --version: $("$root/usr/bin/allot" --version 2>&1)"
"$root/usr/bin/allot" check-config "$root/etc/allot/allot.yaml" ||
  fail "the packaged configuration does not pass check-config"
if command -v man >/dev/null; then
  man -l "$root/usr/share/man/man1/allot.1.gz" 2>/dev/null | grep -q "check-config" ||
    fail "the man page does not render"
fi

uid="$(awk -F: '$1 == "allot" { print $3 }' "$root/etc/passwd")"
gid="$(awk -F: '$1 == "allot" { print $3 }' "$root/etc/group")"
[ -n "$uid" ] && [ -n "$gid" ] || fail "postinst made no allot user and group"
[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "allot is not a system user (uid $uid)"
[ "$(stat -c '%u:%g %a' "$root/var/lib/allot")" = "$uid:$gid 750" ] ||
  fail "/var/lib/allot is $(stat -c '%u:%g %a' "$root/var/lib/allot"), not $uid:$gid 750"

# Verifies a unit installed under $root; prints systemd-analyze's complaints.
verify_unit() {
  local unit="$1"
  local out
  # --root: paths (ExecStart= binaries among them) are looked up under ROOT.
  out="$(systemd-analyze verify --root="$root" --man=no "$unit" 2>&1)" || {
    echo "$out"
    return 1
  }
  # Some complaints only warn; a unit of ours must not draw any about itself.
  if grep -E "$(basename "$unit")" <<<"$out" | grep -v "Failed to put bus name" >/dev/null; then
    echo "$out"
    return 1
  fi
  return 0
}
verify_unit /lib/systemd/system/allot.service || fail "systemd-analyze verify: the unit is broken"
systemd-analyze security --offline=yes --root="$root" /lib/systemd/system/allot.service \
  2>/dev/null | tail -1 || true

# --- 4. Start the service as the unit says ---------------------------------------
# The value of KEY= in the [Service] section of a unit.
unit_value() {
  awk -F= -v key="$2" '/^\[/{section=$0} section=="[Service]" && $1==key {
    sub(/^[^=]*=/, ""); print; exit }' "$1"
}

# Starts the unit's ExecStart= (paths under ROOT, an ephemeral loopback port)
# as its User=; 0 once /healthz answers ok, else 1 with the server's log.
start_service() {
  local unit="$1"
  local exec_start user group workdir umask_value
  exec_start="$(unit_value "$unit" ExecStart)"
  user="$(unit_value "$unit" User)"
  group="$(unit_value "$unit" Group)"
  workdir="$(unit_value "$unit" WorkingDirectory)"
  umask_value="$(unit_value "$unit" UMask)"
  [ -n "$exec_start" ] || { echo "no ExecStart="; return 1; }
  local run_uid run_gid
  run_uid="$(awk -F: -v name="$user" '$1 == name { print $3 }' "$root/etc/passwd")"
  run_gid="$(awk -F: -v name="$group" '$1 == name { print $3 }' "$root/etc/group")"
  [ -n "$run_uid" ] && [ -n "$run_gid" ] || { echo "User=$user Group=$group unknown"; return 1; }
  local -a command=()
  local word
  read -r -a words <<<"$exec_start"
  for word in "${words[@]}"; do
    if [[ "$word" == /* ]]; then command+=("$root$word"); else command+=("$word"); fi
  done
  local run_dir="$root/run/allot"
  rm -rf "$run_dir"
  mkdir -p "$run_dir"
  chown "$run_uid:$run_gid" "$run_dir"
  command+=(--listen 127.0.0.1:0 --port-file "$run_dir/port")
  log="$run_dir/serve.log"
  (
    cd "$root${workdir:-/}"
    umask "${umask_value:-0022}"
    exec setpriv --reuid="$run_uid" --regid="$run_gid" --clear-groups --no-new-privs \
      -- "${command[@]}"
  ) >"$log" 2>&1 &
  server_pid=$!
  local port=""
  for _ in $(seq 1 150); do
    if [ -s "$run_dir/port" ]; then
      port="$(cat "$run_dir/port")"
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    cat "$log"
    return 1
  fi
  health="$(curl -sS --max-time 5 "http://127.0.0.1:$port/healthz")" || {
    cat "$log"
    return 1
  }
  echo "healthz: $health"
  [[ "$health" == *'"status":"ok"'* ]] || return 1
  # The process answering is the unit's user.
  [ "$(stat -c %u "/proc/$server_pid")" = "$run_uid" ] || { echo "not running as $user"; return 1; }
  return 0
}

start_service "$root/lib/systemd/system/allot.service" || fail "the service did not start"
kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" -eq 0 ] || { cat "$log" >&2; fail "SIGTERM: exit $rc, not 0"; }
[ "$(stat -c %u "$root/var/lib/allot/allot.db")" = "$uid" ] ||
  fail "no journal owned by allot in /var/lib/allot"
echo "service: started as allot, answered /healthz, stopped cleanly on SIGTERM"

# --- 5. Broken units fail, remove keeps state, purge removes it --------------------
broken="$root/lib/systemd/system/allot-broken.service"
sed 's|^ExecStart=/usr/bin/allot |ExecStart=/usr/bin/allot-missing |' \
  "$root/lib/systemd/system/allot.service" >"$broken"
if verify_unit /lib/systemd/system/allot-broken.service >/dev/null; then
  fail "systemd-analyze verify accepts an ExecStart= of a missing binary"
fi
sed 's|^ExecStart=\(.*\)$|ExecStart=\1 --no-such-option|' \
  "$root/lib/systemd/system/allot.service" >"$broken"
if start_service "$broken" >/dev/null; then
  fail "a unit with an unknown option started"
fi
rm -f "$broken"

dpkg --root="$root" --force-script-chrootless --log="$work/dpkg.log" -r allot \
  >>"$install_log" 2>&1 || { cat "$install_log" >&2; fail "dpkg -r failed"; }
[ ! -e "$root/usr/bin/allot" ] || fail "dpkg -r left /usr/bin/allot"
[ -f "$root/etc/allot/allot.yaml" ] && [ -f "$root/var/lib/allot/allot.db" ] ||
  fail "dpkg -r removed the configuration or the state"
dpkg --root="$root" --force-script-chrootless --log="$work/dpkg.log" -P allot \
  >>"$install_log" 2>&1 || { cat "$install_log" >&2; fail "dpkg -P failed"; }
[ ! -e "$root/var/lib/allot" ] && [ ! -e "$root/etc/allot/allot.yaml" ] ||
  fail "dpkg -P left the state or the configuration"

echo "PASS: package installs, its unit verifies, the service starts and answers"
rm -rf "$work"
