#!/usr/bin/env bash
# chunkbench make vs casync make on the same image and chunk size, alternating runs in one go so
# both see the same machine load. Prints a table and writes JSON (figures are medians of --runs).
#   bench/make_vs_casync.sh [--bin PATH] [--image FILE] [--size 256M] [--chunk 16:64:256] [--runs 3] [--json OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/build/cli/chunkbench image="" size=256M chunk=16:64:256 runs=3 json=""
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;; --image) image=$2; shift 2 ;; --size) size=$2; shift 2 ;;
    --chunk) chunk=$2; shift 2 ;; --runs) runs=$2; shift 2 ;; --json) json=$2; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "make_vs_casync: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v casync >/dev/null || { echo "make_vs_casync: casync is not installed (scripts/setup.sh)" >&2; exit 1; }
base=$(mktemp -d "${BENCH_TMP:-/dev/shm}/chunkbench-make.XXXXXX")
trap 'rm -rf "$base"' EXIT
if [ -z "$image" ]; then
  "$bin" testimage --kind tar --size "$size" --out "$base/img" >/dev/null
  image=$base/img/v1.img
fi
# casync takes bytes with K/M suffixes; chunkbench takes desync's KiB triple.
IFS=: read -r mn av mx <<<"$chunk"
casync_chunk="${mn}K:${av}K:${mx}K"
cat "$image" >/dev/null  # both runs read from the page cache
bytes=$(stat -c %s "$image")
now() { date +%s.%N; }
declare -a tc tb
for ((i = 0; i < runs; i++)); do
  rm -rf "$base/s1" "$base/s2"
  t0=$(now); casync make --store="$base/s1" --chunk-size="$casync_chunk" "$base/c.caibx" "$image" >/dev/null; t1=$(now)
  tc+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); "$bin" make -s "$base/s2" -m "$chunk" "$base/b.caibx" "$image" >/dev/null; t1=$(now)
  tb+=("$(echo "$t1 - $t0" | bc -l)")
done
cmp -s "$base/c.caibx" "$base/b.caibx" && same=true || same=false
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mc=$(median "${tc[@]}") mb=$(median "${tb[@]}")
rate() { echo "$bytes / $1 / 1000000" | bc -l | xargs printf '%.1f'; }
ratio=$(echo "$mc / $mb" | bc -l | xargs printf '%.2f')
printf '%-22s %10s %12s\n' tool "median s" "MB/s"
printf '%-22s %10.3f %12s\n' "casync make" "$mc" "$(rate "$mc")"
printf '%-22s %10.3f %12s\n' "chunkbench make" "$mb" "$(rate "$mb")"
printf 'image %s bytes, chunk %s, %s runs, %s cores; speedup %sx; identical index: %s\n' \
  "$bytes" "$chunk" "$runs" "$(nproc)" "$ratio" "$same"
if [ -n "$json" ]; then
  printf '{"bench":"make_vs_casync","image_bytes":%s,"chunk":"%s","runs":%s,"cores":%s,"casync_s":%s,"chunkbench_s":%s,"speedup":%s,"identical_index":%s}\n' \
    "$bytes" "$chunk" "$runs" "$(nproc)" "$mc" "$mb" "$ratio" "$same" >"$json"
fi
