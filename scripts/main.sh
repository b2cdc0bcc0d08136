#!/usr/bin/env bash
# The main job: set up and build, then run the `quick` benchmark matrix (both chunk sizes, HTTP/1.1
# and HTTP/2, two windows, full download and update, over a shaped link in network namespaces, with
# casync and a bare h2load transfer as peers), print its table and write the HTML report.
#   scripts/main.sh [--out DIR] [--fresh]     (--fresh: drop earlier results instead of resuming)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/out/quick fresh=
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;; --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "main: unknown argument $1" >&2; exit 2 ;;
  esac
done
"$here/scripts/setup.sh"
bin=${CHUNKBENCH_BIN:-${CHUNKBENCH_BUILD_DIR:-$here/build}/cli/chunkbench}
[ -n "$fresh" ] && rm -rf "$out"
status=0
# Cells already in $out (an interrupted run) are kept and skipped.
"$bin" bench --preset quick --out "$out" || status=$?
"$bin" report "$out" -o "$out/report.html" --markdown "$out/summary.md" >/dev/null
cat "$out/summary.md"
echo
echo "report: $out/report.html"
exit $status
