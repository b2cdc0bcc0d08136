#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite with CTest. Tests needing root or a kernel feature
# skip with the reason printed when those are missing.
#
#   --asan       the same in an AddressSanitizer/UBSan build (build-asan/), then the libFuzzer
#                targets briefly (scripts/fuzz.sh)
#   --repeat N   stress mode: run the suite N times with a CPU hog (a busy loop pinned to one core)
#                beside it; fails if any repetition fails, prints how many passed
# The options combine: `scripts/test.sh --asan --repeat 3`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,9s/^# \{0,1\}//p' "$0"; }

asan=0 repeat=0 stress=0
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) asan=1 ;;
    --repeat) stress=1 repeat=${2:-}; [ $# -lt 2 ] || shift ;;
    --repeat=*) stress=1 repeat=${1#--repeat=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "test.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$stress:$repeat" in
  1:|1:*[!0-9]*|1:0*) echo "test.sh: --repeat wants a positive count, got '$repeat'" >&2; exit 2 ;;
esac

if [ "$asan" = 1 ]; then
  export CHUNKBENCH_BUILD_DIR=$here/build-asan CHUNKBENCH_BUILD_TYPE=RelWithDebInfo
  export CHUNKBENCH_CMAKE_ARGS="-DCHUNKBENCH_SANITIZE=ON -DCHUNKBENCH_BENCH=OFF"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
"$here/scripts/setup.sh"
cd "${CHUNKBENCH_BUILD_DIR:-$here/build}"
run_suite() { ctest --output-on-failure -j"$(nproc)" --timeout 600; }

if [ "$stress" = 0 ]; then
  run_suite
  # The sanitizer run also builds the libFuzzer targets with clang and runs each briefly.
  if [ "$asan" = 1 ]; then "$here/scripts/fuzz.sh"; fi
  exit
fi

# The hog takes one core for the whole run, as a build or another job would on a shared machine.
core=$(( $(nproc) - 1 ))
taskset -c "$core" sh -c 'while :; do :; done' &
hog=$!
trap 'kill "$hog" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "test.sh: CPU hog (pid $hog) busy on core $core; running the suite $repeat times"

passed=0
for i in $(seq 1 "$repeat"); do
  echo "test.sh: repetition $i of $repeat"
  if run_suite; then
    passed=$((passed + 1))
  else
    echo "test.sh: repetition $i failed:" >&2
    cat Testing/Temporary/LastTestsFailed.log >&2 2>/dev/null || true
  fi
done
echo "test.sh: $passed of $repeat repetitions passed with a CPU hog on core $core"
[ "$passed" = "$repeat" ]
