#pragma once
// Checks every chunk of a store that can list itself: it must decode and hash to its own name.
#include <cstdint>
#include <string>
#include <vector>

#include "chunkbench/store.hpp"

namespace chunkbench {

struct VerifyResult {
  std::uint64_t checked = 0, bytes = 0;
  struct Bad {
    std::string path;
    std::string reason;
  };
  std::vector<Bad> bad;
  std::uint64_t removed = 0;
  double seconds = 0;
};

// `repair`: delete every bad chunk so a later make or cache fill writes it anew; needs a store
// that can remove (PruneStore), else Errc::usage before any chunk is read.
VerifyResult verify_store(ListStore& store, DigestKind digest, unsigned threads, bool repair);

}  // namespace chunkbench
