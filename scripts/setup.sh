#!/usr/bin/env bash
# Installs everything chunkbench needs on a fresh Debian 12 machine and builds it.
# Idempotent: a second run only rebuilds what changed. It installs packages and nothing else on the
# host: no system service is started, stopped or reconfigured (tests start private instances of
# nginx and s3rver on free loopback ports). The README's dependency table says what each is for.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_type=${CHUNKBENCH_BUILD_TYPE:-Release}
build_dir=${CHUNKBENCH_BUILD_DIR:-$here/build}

# One package a line, with what uses it; keep in step with the README's dependency table.
packages=(
  build-essential cmake ninja-build pkg-config git  # build
  libcurl4-openssl-dev   # core: the fetcher (libcurl multi, HTTP/1.1 and HTTP/2)
  libnghttp2-dev         # server: HTTP/2
  libssl-dev             # core digests, server TLS
  libzstd-dev            # core: chunk codec
  nlohmann-json3-dev     # JSON documents everywhere
  libhttp-parser-dev     # server: HTTP/1.1 requests
  libgtest-dev libgmock-dev  # tests
  libbenchmark-dev       # bench/: microbenchmarks
  nghttp2-client         # h2load and nghttp: bare-transfer peer, server tests
  nginx                  # reference server in remote tests (private instances only)
  casync                 # interop oracle and benchmark peer
  erofs-utils            # testimage --kind erofs
  iperf3                 # netem tests: rate through the emulated link
  gnuplot-nox            # reports: charts as SVG
  python3-botocore       # tests: independent SigV4 check of S3 requests
  iproute2               # netem: namespaces, veth, tc
  curl                   # server tests, bare-transfer peer
  bc                     # bench/make_vs_casync.sh
  help2man               # the man page, built from --help
  chromium               # reports test: the HTML report opened headless, screenshot checked
  libpng-dev             # reports test: decodes that screenshot
  libyaml-cpp-dev        # publish/: vacuum.yaml
  libtorrent-rasterbar-dev  # publish/: release torrents with web seeds
  gnupg                  # publish/: SHA256SUMS.gpg signatures
  libexpat1-dev          # core's S3 store: ListObjectsV2 pages and error bodies are XML
)
# npm installs s3rver (below). Only when no npm is on the PATH: a machine with Node.js from another
# source has its own npm, and Debian's npm package would conflict with it.
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  # policy-rc.d 101: packages such as nginx must not start (or enable) a system instance here.
  policy=/usr/sbin/policy-rc.d added_policy=""
  if [ ! -e $policy ]; then
    trap '$sudo_cmd rm -f $policy' EXIT
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee $policy >/dev/null && $sudo_cmd chmod 755 $policy && added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$added_policy" ] || $sudo_cmd rm -f $policy
fi

# s3rver is the S3 endpoint used by tests (npm registry); tools/package.json pins it.
if [ ! -f "$here/tools/node_modules/s3rver/bin/s3rver.js" ]; then
  (cd "$here/tools" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CHUNKBENCH_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
