#pragma once
// Joining the outputs of sharded runs (`chunkbench bench --shard i/n`) into the result one run gives.
#include <cstddef>
#include <filesystem>
#include <vector>

#include "chunkbench/reports/result.hpp"

namespace chunkbench::reports {

// One result per key: identical duplicates (the same file copied into two shards) collapse; two
// different results for one key throw Errc::invalid_input naming the key. Sorted by key.
std::vector<Result> merge_results(std::vector<Result> results);

struct MergeSummary {
  std::size_t read = 0;        // results read from the inputs
  std::size_t written = 0;     // distinct results in the output
  std::size_t duplicates = 0;  // identical copies dropped (results already in out_dir count too)
};

// Reads every input (as read_results), merges, and writes each result to out_dir/results/ atomically.
// Results already in out_dir take part in the merge, so merging into one of the inputs is safe.
MergeSummary merge_runs(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out_dir);

}  // namespace chunkbench::reports
