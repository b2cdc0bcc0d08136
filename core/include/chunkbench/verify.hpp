#pragma once
// Checks every chunk of a store that can list itself: it must decode and hash to its own name.
// A sample is judged first, so that a wrong assumption about the store (its digest, its layout,
// a directory that is not the store) stops the run with an explanation instead of condemning —
// and with repair, deleting — good chunks.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chunkbench/store.hpp"

namespace chunkbench {

struct VerifyOptions {
  // The digest the caller believes the store uses; nullopt: found from the sample. A digest no
  // sampled chunk matches is refused (Errc::usage) before any chunk is judged.
  std::optional<DigestKind> digest;
  unsigned threads = 0;  // 0: one per core
  // Delete every bad chunk so a later make or cache fill writes it anew; needs a store that can
  // remove (PruneStore), else Errc::usage before any chunk is read.
  bool repair = false;
};

struct VerifyResult {
  std::uint64_t checked = 0, bytes = 0;
  // The digest most sampled chunks hash with; chunks named by the other one (a store shared by
  // images of both digests) are good too and counted in `other_digest`.
  DigestKind digest = DigestKind::sha512_256;
  std::uint64_t other_digest = 0;
  std::uint64_t sampled = 0;
  struct Bad {
    std::string path;
    std::string reason;
  };
  std::vector<Bad> bad;
  std::uint64_t removed = 0;
  double seconds = 0;
};

// A chunk is bad only when it hashes to its name under neither digest. Throws Errc::invalid_input
// when the store lists no chunk in its layout, or when most of the sample is bad (then nothing is
// judged or removed: the store is more likely misnamed than rotten).
VerifyResult verify_store(ListStore& store, const VerifyOptions& options);

}  // namespace chunkbench
