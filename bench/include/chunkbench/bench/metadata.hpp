#pragma once
// What every result records about the machine and the software: kernel, CPU, library versions,
// the git revision, the time. The per-cell parts (link backend, congestion control, sysctls) are
// filled by the runner from the cell's topology.
#include "chunkbench/reports/result.hpp"

namespace chunkbench::bench {

// Collected once per run: reads /proc and uname, asks libcurl, nghttp2, OpenSSL and `casync --version`.
reports::Metadata host_metadata();
// "2026-12-03T17:10:37Z"
std::string utc_now_iso8601();

}  // namespace chunkbench::bench
