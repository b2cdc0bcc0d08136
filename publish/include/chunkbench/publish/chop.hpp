#pragma once
// chop: upload the chunks of one index that a store lacks, read from the image the index
// describes (desync chop). Which chunks are present is learnt either from one listing of the store
// or from one HEAD per chunk, whichever costs fewer round trips: a listing page names up to 1000
// chunks but pages are sequential, HEADs run concurrently. For an S3 store the size of a listing
// is estimated from its first page (chunk ids are uniform, so the share of the id space the first
// 1000 keys cover tells the total). The decision and both estimates are reported.
#include <cstdint>
#include <functional>
#include <string>

#include "chunkbench/index.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench::publish {

struct PresencePlan {
  bool use_listing = false;
  std::uint64_t estimated_objects = 0;  // in the store (0: unknown)
  std::uint64_t listing_requests = 0;   // pages a full listing would take
  std::uint64_t head_requests = 0;      // one per distinct chunk
  std::string reason;
};

// Decides for `store` and `unique` distinct chunks, `window` requests in flight.
PresencePlan plan_presence(Store& store, std::uint64_t unique, unsigned window);

struct ChopOptions {
  unsigned threads = 0;        // compressing and hashing workers; 0: one per core
  int zstd_level = 3;
  std::size_t batch_bytes = 64ull << 20;  // raw bytes read and compressed before a concurrent put
  unsigned window = 64;        // requests in flight (for the decision; the store's fetcher runs them)
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;  // bytes uploaded of the missing
};

struct ChopStats {
  std::uint64_t chunks = 0, unique = 0;
  std::uint64_t uploaded = 0, uploaded_bytes = 0, uploaded_stored_bytes = 0;  // raw and as stored
  std::uint64_t reused = 0, reused_bytes = 0;                                 // present already (raw bytes)
  PresencePlan presence;
  double seconds = 0;
};

// Every uploaded chunk is hashed against its id first: an image that does not match its index is
// an Errc::corrupt naming the image and the offset, and nothing of that batch is sent.
ChopStats chop(const Index& index, const std::string& image, WriteStore& store, const ChopOptions& options);

}  // namespace chunkbench::publish
