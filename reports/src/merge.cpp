#include "chunkbench/reports/merge.hpp"

#include <algorithm>
#include <system_error>

#include "chunkbench/error.hpp"

namespace chunkbench::reports {

std::vector<Result> merge_results(std::vector<Result> results) {
  std::stable_sort(results.begin(), results.end(),
                   [](const Result& a, const Result& b) { return key_of(a) < key_of(b); });
  std::vector<Result> out;
  out.reserve(results.size());
  for (auto& r : results) {
    if (!out.empty() && key_of(out.back()) == key_of(r)) {
      if (out.back() == r) continue;
      throw Error(Errc::invalid_input, "conflicting results for " + key_of(r).str() +
                                           ": two different measurements of the same cell and repetition "
                                           "(were shards run with overlapping --shard values?)");
    }
    out.push_back(std::move(r));
  }
  return out;
}

MergeSummary merge_runs(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& out_dir) {
  auto all = read_results(inputs);
  MergeSummary summary;
  summary.read = all.size();
  std::error_code ec;
  if (std::filesystem::is_directory(results_dir(out_dir), ec)) {
    auto existing = read_results({out_dir});
    all.insert(all.end(), std::make_move_iterator(existing.begin()), std::make_move_iterator(existing.end()));
  }
  const auto before = all.size();
  const auto merged = merge_results(std::move(all));
  summary.written = merged.size();
  summary.duplicates = before - merged.size();
  for (const auto& r : merged) write_result(out_dir, r);
  return summary;
}

}  // namespace chunkbench::reports
