#include "chunkbench/info.hpp"

#include <unordered_set>

namespace chunkbench {

IndexInfo index_info(const Index& index, const std::vector<Seed>& seeds, Store* store) {
  IndexInfo info;
  info.chunks = index.size();
  info.bytes = index.blob_size();
  std::unordered_set<ChunkId, ChunkIdHash> seed_ids;
  for (const auto& s : seeds)
    for (const auto& e : s.table.entries) seed_ids.insert(e.id);
  std::unordered_set<ChunkId, ChunkIdHash> seen;
  std::vector<std::size_t> first;  // position of each distinct chunk
  for (std::size_t i = 0; i < index.size(); ++i) {
    std::uint64_t len = index.length(i);
    if (i == 0 || len < info.size_min) info.size_min = len;
    if (len > info.size_max) info.size_max = len;
    if (len == index.sizes.max) ++info.chunks_at_max;
    std::uint64_t bucket = 1;
    while (bucket < len) bucket <<= 1;
    ++info.histogram[bucket];
    if (seen.insert(index.id(i)).second) first.push_back(i);
  }
  // One batch: a remote store answers with concurrent HEADs instead of one round trip per chunk.
  std::vector<ChunkId> ids;
  ids.reserve(first.size());
  for (std::size_t i : first) ids.push_back(index.id(i));
  const std::vector<bool> in_store = store ? store->has_batch(ids) : std::vector<bool>(ids.size(), false);
  for (std::size_t k = 0; k < first.size(); ++k) {
    const std::uint64_t len = index.length(first[k]);
    ++info.unique;
    info.bytes_unique += len;
    const bool in_seed = seed_ids.count(ids[k]) > 0;
    if (in_seed) ++info.in_seeds, info.bytes_in_seeds += len;
    if (in_store[k]) ++info.in_store, info.bytes_in_store += len;
    else if (!in_seed && (store || !seeds.empty())) ++info.missing, info.bytes_missing += len;
  }
  info.size_mean = info.chunks ? static_cast<double>(info.bytes) / static_cast<double>(info.chunks) : 0;
  return info;
}

CompareInfo compare_indexes(const Index& from, const Index& to) {
  CompareInfo c;
  std::unordered_set<ChunkId, ChunkIdHash> have;
  for (const auto& e : from.entries) have.insert(e.id);
  std::unordered_set<ChunkId, ChunkIdHash> seen;
  c.to_chunks = to.size();
  c.to_bytes = to.blob_size();
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (!seen.insert(to.id(i)).second) continue;
    ++c.to_unique;
    if (have.count(to.id(i))) {
      ++c.shared_unique;
      c.shared_bytes += to.length(i);
    } else {
      ++c.new_unique;
      c.new_bytes += to.length(i);
    }
  }
  std::unordered_set<ChunkId, ChunkIdHash> counted;
  for (std::size_t i = 0; i < from.size(); ++i)
    if (!seen.count(from.id(i)) && counted.insert(from.id(i)).second) {
      ++c.removed_unique;
      c.removed_bytes += from.length(i);
    }
  return c;
}

}  // namespace chunkbench
