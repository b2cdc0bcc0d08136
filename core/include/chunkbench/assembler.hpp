#pragma once
// Executes a Plan into an output file: zero runs are left sparse, seed runs are read and every
// chunk re-hashed before it is written (a bad seed chunk falls back to the stores), store chunks
// are fetched in one batch, decoded and verified on worker threads and written with pwrite; range
// spans are read from the raw image and every chunk in them verified by its id. A chunk that fails
// verification is fetched once more (a second fetch round for just those chunks) before the run
// fails naming it and its URL. The output is a temporary file renamed over the target only when
// every chunk is in place, so a failure never leaves a wrong file under the output name.
// --in-place resumes instead.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chunkbench/index.hpp"
#include "chunkbench/plan.hpp"
#include "chunkbench/range_source.hpp"
#include "chunkbench/seed.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench {

struct ExtractProgress {
  std::uint64_t bytes_done = 0, bytes_total = 0;
  std::uint64_t chunks_done = 0, chunks_total = 0;
};

struct ExtractOptions {
  unsigned threads = 0;  // decode/verify/write workers; 0: one per core
  bool in_place = false;
  // Where the output is written before the final rename; empty: a fresh name beside the output.
  // A caller that may be interrupted picks it, so its signal handling can remove the file.
  std::string temp_path;
  // Fetched chunks that may wait for a worker (memory: queue x stored chunk size); 0: 4 per thread.
  std::size_t queue = 0;
  // Called at most every 200 ms, from any worker thread (serialised).
  std::function<void(const ExtractProgress&)> progress;
  // Where chunks no seed holds come from; range and automatic need `range`.
  PlanOptions plan;
  RangeSource* range = nullptr;
  // Automatic mode: refines plan.cost (e.g. measures RTT and compression) before gaps are assigned.
  std::function<CostModel(const CostModel&, const Plan&)> calibrate;
};

struct ExtractStats {
  std::uint64_t chunks_total = 0, bytes_total = 0;
  std::uint64_t chunks_zero = 0, bytes_zero = 0;
  std::uint64_t chunks_in_place = 0, bytes_in_place = 0;
  std::uint64_t chunks_from_seeds = 0, bytes_from_seeds = 0;
  std::uint64_t chunks_from_store = 0, bytes_from_store = 0;  // uncompressed bytes written
  std::uint64_t chunks_fetched = 0, bytes_fetched = 0;        // distinct chunks and their stored (wire) size
  std::uint64_t chunks_from_range = 0, bytes_from_range = 0;  // written from Range spans
  std::uint64_t range_requests = 0, bytes_range_fetched = 0;   // spans requested (refetches included)
  std::uint64_t chunks_refetched = 0;                          // fetched again after failing verification
  std::uint64_t seed_chunks_invalid = 0;
  std::string remote_mode = "store";
  std::uint64_t gaps = 0, gaps_to_store = 0, gaps_to_range = 0;
  double estimated_remote_seconds = 0;
  CostModel cost;  // the model the plan was chosen with
  std::uint64_t seeds = 0;
  double seconds = 0;
};

ExtractStats extract(const Index& target, const std::string& output, const std::vector<Seed>& seeds, Store* store,
                     const ExtractOptions& options);

}  // namespace chunkbench
