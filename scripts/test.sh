#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite with CTest. --asan does the same in an
# AddressSanitizer/UBSan build (build-asan/), then runs the fuzz targets briefly (scripts/fuzz.sh).
# Tests needing root or a kernel feature skip with the reason printed when those are missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--asan" ]; then
  export CHUNKBENCH_BUILD_DIR=$here/build-asan CHUNKBENCH_BUILD_TYPE=RelWithDebInfo
  export CHUNKBENCH_CMAKE_ARGS="-DCHUNKBENCH_SANITIZE=ON -DCHUNKBENCH_BENCH=OFF"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
"$here/scripts/setup.sh"
cd "${CHUNKBENCH_BUILD_DIR:-$here/build}"
ctest --output-on-failure -j"$(nproc)" --timeout 600
# The sanitizer run also builds the libFuzzer targets with clang and runs each briefly (scripts/fuzz.sh).
if [ "${1:-}" = "--asan" ]; then "$here/scripts/fuzz.sh"; fi
