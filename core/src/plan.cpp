#include "chunkbench/plan.hpp"

#include <unordered_map>
#include <unordered_set>

#include "chunkbench/error.hpp"

namespace chunkbench {

namespace {

// Positions of each id in a seed; a few per id are plenty and keep runs of repeated chunks
// (zero blocks, padding) from making planning quadratic.
constexpr std::size_t kPositionsPerId = 4;

struct SeedMap {
  std::unordered_map<ChunkId, std::vector<std::size_t>, ChunkIdHash> positions;
};

std::uint64_t run_bytes(const Index& t, std::size_t first, std::size_t count) {
  return t.start(first + count) - t.start(first);
}

}  // namespace

const char* remote_name(PlanOptions::Remote r) noexcept {
  switch (r) {
    case PlanOptions::Remote::range: return "range";
    case PlanOptions::Remote::automatic: return "auto";
    default: return "store";
  }
}

PlanOptions::Remote parse_remote(const std::string& s) {
  if (s == "store") return PlanOptions::Remote::store;
  if (s == "range") return PlanOptions::Remote::range;
  if (s == "auto") return PlanOptions::Remote::automatic;
  throw Error(Errc::usage, "source mode '" + s + "': expected auto, store or range");
}

Plan Plan::build(const Index& target, const std::vector<Seed>& seeds) {
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

  auto add = [&](PlanStep::Source src, std::size_t i, std::size_t count, std::size_t seed, std::uint64_t seed_off) {
    auto& steps = plan.steps;
    if (src != PlanStep::Source::seed && !steps.empty() && steps.back().source == src &&
        steps.back().first + steps.back().count == i) {
      steps.back().count += count;
    } else {
      steps.push_back(PlanStep{src, i, count, seed, seed_off});
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
        std::uint64_t bytes = run_bytes(target, i, k);
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
  plan.recount(target);
  return plan;
}

void Plan::recount(const Index& target) {
  chunks_zero = bytes_zero = chunks_seed = bytes_seed = chunks_store = bytes_store = 0;
  unique_store = bytes_unique_store = chunks_range = bytes_range = range_requests = 0;
  gaps = 0;
  std::unordered_set<ChunkId, ChunkIdHash> store_ids;
  const PlanStep* prev = nullptr;
  for (const auto& s : steps) {
    std::uint64_t bytes = run_bytes(target, s.first, s.count);
    const bool remote = s.source == PlanStep::Source::store || s.source == PlanStep::Source::range;
    if (remote && !(prev && (prev->source == PlanStep::Source::store || prev->source == PlanStep::Source::range) &&
                    prev->first + prev->count == s.first))
      ++gaps;
    prev = &s;
    switch (s.source) {
      case PlanStep::Source::zero: chunks_zero += s.count, bytes_zero += bytes; break;
      case PlanStep::Source::seed: chunks_seed += s.count, bytes_seed += bytes; break;
      case PlanStep::Source::range: chunks_range += s.count, bytes_range += bytes, ++range_requests; break;
      case PlanStep::Source::store:
        chunks_store += s.count, bytes_store += bytes;
        for (std::size_t k = s.first; k < s.first + s.count; ++k)
          if (store_ids.insert(target.id(k)).second) {
            ++unique_store;
            bytes_unique_store += target.length(k);
          }
        break;
    }
  }
}

std::vector<std::size_t> Plan::store_positions(std::size_t limit) const {
  std::vector<std::size_t> out;
  for (const auto& s : steps) {
    if (s.source != PlanStep::Source::store) continue;
    for (std::size_t k = s.first; k < s.first + s.count && out.size() < limit; ++k) out.push_back(k);
    if (out.size() >= limit) break;
  }
  return out;
}

void Plan::choose_remote(const Index& target, const PlanOptions& opt) {
  if (opt.remote == PlanOptions::Remote::store) {
    recount(target);
    gaps_to_store = gaps;
    estimated_seconds = opt.cost.seconds(opt.cost.compression * static_cast<double>(bytes_unique_store),
                                         static_cast<double>(unique_store));
    return;
  }
  const std::uint64_t max_span = opt.max_span ? opt.max_span : 1;
  std::unordered_set<ChunkId, ChunkIdHash> fetched;  // ids already due from the store (dedup)
  std::vector<PlanStep> out;
  double estimate = 0;
  gaps_to_store = gaps_to_range = 0;
  // Store steps are already merged into maximal gaps by build().
  for (const auto& s : steps) {
    if (s.source != PlanStep::Source::store) {
      out.push_back(s);
      continue;
    }
    // The gap cut into Range spans of at most max_span bytes.
    std::vector<PlanStep> spans;
    for (std::size_t k = s.first; k < s.first + s.count;) {
      std::size_t m = 1;
      std::uint64_t bytes = target.length(k);
      while (k + m < s.first + s.count && bytes + target.length(k + m) <= max_span) bytes += target.length(k + m), ++m;
      spans.push_back(PlanStep{PlanStep::Source::range, k, m, 0, 0});
      k += m;
    }
    const double gap_bytes = static_cast<double>(run_bytes(target, s.first, s.count));
    const double range_cost = opt.cost.seconds(gap_bytes, static_cast<double>(spans.size()));
    double new_bytes = 0, new_chunks = 0;
    for (std::size_t k = s.first; k < s.first + s.count; ++k)
      if (!fetched.count(target.id(k))) new_bytes += static_cast<double>(target.length(k)), ++new_chunks;
    const double store_cost = opt.cost.seconds(opt.cost.compression * new_bytes, new_chunks);
    if (opt.remote == PlanOptions::Remote::range || range_cost < store_cost) {
      out.insert(out.end(), spans.begin(), spans.end());
      estimate += range_cost;
      ++gaps_to_range;
    } else {
      for (std::size_t k = s.first; k < s.first + s.count; ++k) fetched.insert(target.id(k));
      out.push_back(s);
      estimate += store_cost;
      ++gaps_to_store;
    }
  }
  steps = std::move(out);
  recount(target);
  estimated_seconds = estimate;
}

}  // namespace chunkbench
