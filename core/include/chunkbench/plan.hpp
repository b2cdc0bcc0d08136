#pragma once
// What an extract will do, decided before any byte moves: for each stretch of the output, whether
// it is all zeros (nothing to write on a fresh file), copied from a seed, or fetched from the
// stores. Printable and costed, so `info` and the benchmark can show it without running it.
#include <cstdint>
#include <string>
#include <vector>

#include "chunkbench/index.hpp"
#include "chunkbench/seed.hpp"

namespace chunkbench {

struct PlanStep {
  enum class Source { zero, seed, store };
  Source source = Source::store;
  std::size_t first = 0;  // target chunks [first, first + count)
  std::size_t count = 0;
  std::size_t seed = 0;            // seed number, for Source::seed
  std::uint64_t seed_offset = 0;   // where the run starts in that seed's blob
};

struct Plan {
  std::vector<PlanStep> steps;
  std::uint64_t chunks_zero = 0, bytes_zero = 0;
  std::uint64_t chunks_seed = 0, bytes_seed = 0;
  std::uint64_t chunks_store = 0, bytes_store = 0;
  std::uint64_t unique_store = 0, bytes_unique_store = 0;  // what must actually be downloaded

  // desync's rule: at each position take the longest run of consecutive matching chunks any seed
  // offers (ties: earlier seed); all-zero max-size chunks form a "null seed" ahead of file seeds.
  static Plan build(const Index& target, const std::vector<Seed>& seeds, unsigned threads = 1);
};

}  // namespace chunkbench
