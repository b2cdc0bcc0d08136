#include "chunkbench/plan.hpp"

#include <unordered_map>
#include <unordered_set>

namespace chunkbench {

namespace {

// Positions of each id in a seed; a few per id are plenty and keep runs of repeated chunks
// (zero blocks, padding) from making planning quadratic.
constexpr std::size_t kPositionsPerId = 4;

struct SeedMap {
  std::unordered_map<ChunkId, std::vector<std::size_t>, ChunkIdHash> positions;
};

}  // namespace

Plan Plan::build(const Index& target, const std::vector<Seed>& seeds, unsigned /*threads*/) {
  Plan plan;
  const std::size_t n = target.size();

  std::vector<SeedMap> maps(seeds.size());
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    const Index& t = seeds[s].table;
    maps[s].positions.reserve(t.size());
    for (std::size_t j = 0; j < t.size(); ++j) {
      auto& v = maps[s].positions[t.id(j)];
      if (v.size() < kPositionsPerId) v.push_back(j);
    }
  }

  std::vector<std::uint8_t> zeros(target.sizes.max, 0);
  const ChunkId zero_id = Hasher(target.digest()).digest(zeros);
  auto is_zero = [&](std::size_t i) { return target.length(i) == target.sizes.max && target.id(i) == zero_id; };

  std::unordered_set<ChunkId, ChunkIdHash> store_ids;
  auto add = [&](PlanStep::Source src, std::size_t i, std::size_t count, std::size_t seed, std::uint64_t seed_off) {
    auto& steps = plan.steps;
    if (src != PlanStep::Source::seed && !steps.empty() && steps.back().source == src &&
        steps.back().first + steps.back().count == i) {
      steps.back().count += count;
    } else {
      steps.push_back(PlanStep{src, i, count, seed, seed_off});
    }
    std::uint64_t bytes = target.start(i + count) - target.start(i);
    if (i + count == n) bytes = target.blob_size() - target.start(i);
    switch (src) {
      case PlanStep::Source::zero: plan.chunks_zero += count, plan.bytes_zero += bytes; break;
      case PlanStep::Source::seed: plan.chunks_seed += count, plan.bytes_seed += bytes; break;
      case PlanStep::Source::store:
        plan.chunks_store += count, plan.bytes_store += bytes;
        for (std::size_t k = i; k < i + count; ++k)
          if (store_ids.insert(target.id(k)).second) {
            ++plan.unique_store;
            plan.bytes_unique_store += target.length(k);
          }
        break;
    }
  };

  std::size_t i = 0;
  while (i < n) {
    if (is_zero(i)) {
      std::size_t k = 1;
      while (i + k < n && is_zero(i + k)) ++k;
      add(PlanStep::Source::zero, i, k, 0, 0);
      i += k;
      continue;
    }
    std::size_t best_seed = 0, best_pos = 0, best_len = 0;
    std::uint64_t best_bytes = 0;
    for (std::size_t s = 0; s < seeds.size(); ++s) {
      auto it = maps[s].positions.find(target.id(i));
      if (it == maps[s].positions.end()) continue;
      const Index& t = seeds[s].table;
      for (std::size_t pos : it->second) {
        std::size_t k = 1;
        while (i + k < n && pos + k < t.size() && t.id(pos + k) == target.id(i + k) && !is_zero(i + k)) ++k;
        std::uint64_t bytes = (i + k < n ? target.start(i + k) : target.blob_size()) - target.start(i);
        if (bytes > best_bytes) {
          best_bytes = bytes, best_seed = s, best_pos = pos, best_len = k;
        }
      }
    }
    if (best_len > 0) {
      add(PlanStep::Source::seed, i, best_len, best_seed, seeds[best_seed].table.start(best_pos));
      i += best_len;
    } else {
      add(PlanStep::Source::store, i, 1, 0, 0);
      ++i;
    }
  }
  return plan;
}

}  // namespace chunkbench
