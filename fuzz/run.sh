#!/usr/bin/env bash
# Runs the fuzz targets (docs/fuzzing.md), one at a time, each for SECONDS:
# first over its committed seed corpus (fuzz/corpus/<name>, never written),
# then on new inputs. New corpus entries go to BUILD/fuzz-corpus/<name>/, a
# crash's reproducer to BUILD/fuzz-crashes/<name>/, the log to
# BUILD/fuzz-logs/<name>.log. Exits 1 when any target failed (all still run).
#
# Usage: fuzz/run.sh BUILD SECONDS [TARGET...]   (default: every target built)
set -uo pipefail

build=${1:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < "$build/fuzz_targets.txt"
fi

failed=()
for target in "${targets[@]}"; do
  [ -n "$target" ] || continue
  name=${target%_fuzz}
  corpus=$build/fuzz-corpus/$name
  crashes=$build/fuzz-crashes/$name
  log=$build/fuzz-logs/$name.log
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  dict=()
  [ -f "$here/dicts/$name.dict" ] && dict=(-dict="$here/dicts/$name.dict")
  # The scratch corpus first: libFuzzer writes new entries to the first directory.
  "$build/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
    "$corpus" "$here/corpus/$name" > "$log" 2>&1
  status=$?
  summary=$(grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|cov: ' "$log" \
    | tail -3 | tr '\n' ' ')
  if [ $status -eq 0 ]; then
    echo "fuzz: $target ok (${seconds}s): $summary"
  else
    echo "fuzz: $target FAILED (exit $status); log $log, reproducer in $crashes/"
    grep -E 'ERROR|invariant|SUMMARY|==[0-9]+==' "$log" | head -20
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
