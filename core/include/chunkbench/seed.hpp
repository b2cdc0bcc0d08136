#pragma once
// Seeds: images the client already has (older versions) whose chunks are copied instead of
// downloaded. A seed's chunk table comes from its index beside it (FILE.caibx) or, lacking one,
// from chunking the file on the fly with the target's chunk sizes.
#include <string>
#include <vector>

#include "chunkbench/index.hpp"

namespace chunkbench {

struct Seed {
  std::string blob;   // the seed image
  std::string index;  // its index file, or empty when chunked on the fly
  Index table;
};

// `spec` is FILE, FILE.caibx (blob = FILE) or INDEX:BLOB, as desync's --seed takes it.
// `target` supplies chunk sizes and digest for on-the-fly chunking and the digest check.
Seed load_seed(const std::string& spec, const Index& target, unsigned threads);
// Every "*.caibx" under `dir` (recursively) whose blob sits beside it; `skip` (the target's own
// index path, if any) is left out.
std::vector<Seed> load_seed_dir(const std::string& dir, const Index& target, const std::string& skip);

}  // namespace chunkbench
