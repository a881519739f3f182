#!/usr/bin/env bash
# Opens sample sim reports in headless Chromium (CTest: sim_report_in_chromium).
#   report_in_chromium.sh ALLOT_REPORT_SAMPLE WORK_DIR
# For each sample it checks that the DOM Chromium builds holds every chart
# (data-chart) with drawn SVG paths and hover texts (SVG <title>s naming
# series, value and time), and that a full-page screenshot is not
# blank (a PNG of some size). Then, in a 1280-pixel window, that every table
# cell naming a policy is in view (report_layout_check.js), for the samples
# with 3 and with 8 policies. Exits 77 (CTest: skipped) when Chromium is not
# installed; scripts/install-deps.sh installs it.
set -euo pipefail

sample=$1
work=$2
browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$(command -v "$candidate")
    break
  fi
done
if [ -z "$browser" ]; then
  echo "SKIP: Chromium is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
chrome=("$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
  --user-data-dir="$work/profile")
failures=0

check_sample() {
  local kind=$1 height=$2
  shift 2
  local page="$work/$kind.html"
  "$sample" "$page" "$kind"
  timeout 60 "${chrome[@]}" --dump-dom "file://$page" >"$work/$kind.dom.html" 2>"$work/$kind.log"
  for chart in "$@"; do
    if ! grep -q "data-chart=\"$chart\"" "$work/$kind.dom.html"; then
      echo "FAIL: $kind: chart '$chart' missing from Chromium's DOM"
      failures=$((failures + 1))
    fi
  done
  local series
  series=$(grep -o '<path data-series="[^"]*" data-points="[1-9]' "$work/$kind.dom.html" | wc -l)
  if [ "$series" -lt "$#" ]; then
    echo "FAIL: $kind: only $series drawn series (<path data-series) for $# charts"
    failures=$((failures + 1))
  fi
  # Hovering a chart shows "SERIES: VALUE UNIT at TIME" (the footer says so).
  local hovers
  # (A title's first line is enough: grep reads lines, tooltips have one per series.)
  hovers=$({ grep -o '<title>[^<:]*: [^<]* at ' "$work/$kind.dom.html" || true; } | wc -l)
  if [ "$hovers" -lt "$#" ]; then
    echo "FAIL: $kind: only $hovers hover texts (<title>NAME: VALUE at TIME) for $# charts"
    failures=$((failures + 1))
  fi
  if grep -qi '\bnan\b' "$work/$kind.dom.html"; then
    echo "FAIL: $kind: 'nan' in the DOM"
    failures=$((failures + 1))
  fi
  timeout 60 "${chrome[@]}" --window-size="1280,$height" --screenshot="$work/$kind.png" \
    "file://$page" >>"$work/$kind.log" 2>&1
  local size
  size=$(stat -c %s "$work/$kind.png" 2>/dev/null || echo 0)
  if [ "$size" -lt 40000 ]; then
    echo "FAIL: $kind: screenshot $work/$kind.png is $size bytes (blank page?)"
    failures=$((failures + 1))
  fi
  echo "$kind: $series series drawn, $hovers hover texts, screenshot $work/$kind.png ($size bytes)"
}

# check_layout KIND POLICIES: every data-policy cell of the KIND sample lies
# within a 1280-pixel window (none cut off or scrolled out of a table's box).
check_layout() {
  local kind=$1 policies=$2
  local page="$work/$kind.layout.html"
  "$sample" "$work/$kind.html" "$kind" >/dev/null
  {
    sed '/<\/body>/,$d' "$work/$kind.html"
    echo "<script>"
    cat "$(dirname "$0")/report_layout_check.js"
    echo "</script></body></html>"
  } >"$page"
  timeout 60 "${chrome[@]}" --window-size=1280,2000 --dump-dom "file://$page" \
    >"$work/$kind.layout.dom.html" 2>>"$work/$kind.log"
  local verdict
  verdict=$(grep -o '<pre id="layout-check">[^<]*' "$work/$kind.layout.dom.html" | tail -n 1 | cut -d'>' -f2)
  if [[ "$verdict" != "width=1280 policies=$policies "*" clipped=0 hidden=0" ]]; then
    echo "FAIL: $kind: not every policy's cell is in view at 1280 px: ${verdict:-no verdict}"
    failures=$((failures + 1))
  else
    echo "$kind: at 1280 px $verdict"
  fi
}

check_sample replay 9000 utilization queue_length wait_cdf gpu_allocated_arrived fragmentation \
  spend share
check_sample fill 1800 fill
check_layout replay 3
check_layout many 8

if [ "$failures" -ne 0 ]; then
  exit 1
fi
echo "OK: every chart drawn in Chromium"
