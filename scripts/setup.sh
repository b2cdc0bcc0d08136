#!/usr/bin/env bash
# Installs everything chunkbench needs on a fresh Debian 12 machine and builds it.
# Idempotent: a second run only rebuilds what changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_type=${CHUNKBENCH_BUILD_TYPE:-Release}
build_dir=${CHUNKBENCH_BUILD_DIR:-$here/build}

packages=(
  build-essential cmake ninja-build pkg-config git
  libcurl4-openssl-dev libnghttp2-dev libssl-dev libzstd-dev libcpp-httplib-dev
  nlohmann-json3-dev libhttp-parser-dev libgtest-dev libgmock-dev libbenchmark-dev
  nghttp2-client nghttp2-server nginx casync erofs-utils iperf3 gnuplot-nox
  python3-botocore hyperfine iproute2 curl zstd xxd bc
  # publish/: vacuum.yaml (yaml-cpp), release torrents (libtorrent-rasterbar), SHA256SUMS.gpg (gnupg)
  libyaml-cpp-dev libtorrent-rasterbar-dev gnupg
  # core's S3 store: ListObjectsV2 pages and error bodies are XML (expat)
  libexpat1-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# nginx from Debian starts a system instance on port 80; chunkbench only runs private instances.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi

# s3rver is the S3 endpoint used by tests (npm registry); tools/package.json pins it.
if [ ! -f "$here/tools/node_modules/s3rver/bin/s3rver.js" ]; then
  (cd "$here/tools" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CHUNKBENCH_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
