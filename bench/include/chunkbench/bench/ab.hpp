#pragma once
// A/B mode: two builds of chunkbench run the same cells interleaved, in an order shuffled by a seed,
// in one job, so that drift and noisy neighbours of a shared runner hit both sides alike. Each side
// is its own binary's `bench` with a one-cell filter (the point is to measure that binary), writing
// into one folder with metadata.ab_side set (the side is part of each file name);
// `chunkbench report compare OUT` splits and pairs them.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chunkbench/bench/matrix.hpp"
#include "chunkbench/bench/runner.hpp"

namespace chunkbench::bench {

struct AbOptions {
  std::string base_bin, new_bin;
  std::vector<std::string> matrix_args;  // how the sides name the matrix: {"m.json"} or {"--preset", "quick"}
  std::vector<std::string> extra_args;   // passed to both sides (e.g. --cache DIR, --repetitions N)
  std::string out_dir;                   // both sides' results
  std::uint64_t seed = 1;
  RunOptions run;                        // shard and filters select the jobs; progress callbacks
  std::function<void(const std::string& side, const Job&)> on_side_start;
};

struct AbSummary {
  std::size_t pairs = 0, side_runs = 0, side_failures = 0;
  double seconds = 0;
};

// The (job, side) order: jobs in a shuffled order, and within each pair a coin flip for which side
// goes first. Deterministic for a seed.
std::vector<std::pair<Job, std::string>> ab_schedule(const std::vector<Job>& jobs, std::uint64_t seed);

AbSummary run_ab(const Matrix& m, const AbOptions& o);

}  // namespace chunkbench::bench
