#pragma once
// What an index holds and what an update to it costs: chunk statistics, dedup, how much seeds and
// stores already cover, and the difference between two indexes.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "chunkbench/index.hpp"
#include "chunkbench/seed.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench {

struct IndexInfo {
  std::uint64_t chunks = 0, unique = 0;
  std::uint64_t bytes = 0, bytes_unique = 0;
  std::uint64_t size_min = 0, size_max = 0;
  double size_mean = 0;
  std::uint64_t chunks_at_max = 0;               // cut by the max limit, not by content
  std::map<std::uint64_t, std::uint64_t> histogram;  // power-of-two bucket (upper bound) -> chunks
  // Coverage (distinct chunks): filled when seeds / a store are given.
  std::uint64_t in_seeds = 0, bytes_in_seeds = 0;
  std::uint64_t in_store = 0, bytes_in_store = 0;
  std::uint64_t missing = 0, bytes_missing = 0;  // in no seed and no store
};

IndexInfo index_info(const Index& index, const std::vector<Seed>& seeds, Store* store);

// What an update from `from` (already on the client) to `to` must download.
struct CompareInfo {
  std::uint64_t to_chunks = 0, to_unique = 0, to_bytes = 0;
  std::uint64_t shared_unique = 0, shared_bytes = 0;  // distinct chunks of `to` that `from` has
  std::uint64_t new_unique = 0, new_bytes = 0;        // distinct chunks to download
  std::uint64_t removed_unique = 0, removed_bytes = 0;  // chunks of `from` that `to` no longer uses
};

CompareInfo compare_indexes(const Index& from, const Index& to);

}  // namespace chunkbench
