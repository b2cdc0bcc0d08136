#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with Debian's clang, ASan and UBSan in build-fuzz/ and runs each
# for a short time through CTest (label "fuzz"). The main g++ build is not touched.
#   scripts/fuzz.sh                 # each target CHUNKBENCH_FUZZ_SECONDS (default 20) seconds
#   CHUNKBENCH_FUZZ_SECONDS=600 scripts/fuzz.sh   # the long run: 10 minutes per target
# New inputs land in build-fuzz/fuzz/corpus/<target>/, crashes in build-fuzz/fuzz/artifacts/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CHUNKBENCH_FUZZ_BUILD_DIR:-$here/build-fuzz}
seconds=${CHUNKBENCH_FUZZ_SECONDS:-20}

# clang-14 and its runtime libraries (libFuzzer, ASan, UBSan); the rest comes from scripts/setup.sh.
fuzz_packages=(clang-14 libclang-rt-14-dev)
if ! dpkg -s "${fuzz_packages[@]}" >/dev/null 2>&1; then
  echo "fuzz: installing ${fuzz_packages[*]}" >&2
  as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${fuzz_packages[@]}" >/dev/null
fi

cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCHUNKBENCH_FUZZ=ON -DCHUNKBENCH_TESTS=OFF -DCHUNKBENCH_BENCH=OFF \
  -DCHUNKBENCH_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build "$build_dir" --target fuzz_all -j"${CHUNKBENCH_JOBS:-$(nproc)}"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One target at a time: each uses a core, and the machine may be shared.
ctest --test-dir "$build_dir" -L fuzz --output-on-failure -j1 --timeout $((seconds + 300))
