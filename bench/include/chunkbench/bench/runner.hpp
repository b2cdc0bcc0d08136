#pragma once
// bench::run: the matrix's cells, each in fresh client and server namespaces joined by the cell's
// link, the embedded server in one and the tool in the other, cold; one result file per cell and
// repetition, written atomically, so a killed run resumes where it stopped.
#include <functional>
#include <string>
#include <vector>

#include "chunkbench/bench/cell.hpp"
#include "chunkbench/bench/matrix.hpp"
#include "chunkbench/bench/progress.hpp"
#include "chunkbench/reports/result.hpp"

namespace chunkbench::bench {

struct RunOptions {
  std::string out_dir;    // results go to out_dir/results/
  std::string cache_dir;  // images and stores, reused between runs
  std::string work_dir;   // per-cell scratch (outputs, logs); tmpfs where there is one
  Shard shard;
  std::string only_cell;  // run just this cell id ("" = all)
  int only_rep = -1;      // run just this repetition (-1 = all)
  std::string ab_side;    // recorded as metadata.ab_side
  std::function<void(const std::string&)> log;  // setup messages (image and store builds)
  std::function<void(const Cell&, int rep, const Progress&)> on_cell_start;
  std::function<void(const reports::Result&, const Progress&)> on_cell_done;
};

struct Job {
  Cell cell;
  int repetition = 0;
};

struct RunSummary {
  std::size_t planned = 0;  // jobs in this shard/filter
  std::size_t skipped = 0;  // already had a result (resume)
  std::size_t ran = 0;
  std::size_t failed = 0;   // status "failed"
  std::size_t capped = 0;   // status "timeout": hit the cell's cap, recorded as a lower bound
  double seconds = 0;
  std::vector<reports::Result> results;  // those run now
};

// Jobs of this shard and filter in execution order: repetition by repetition, bare transfers first
// (unshaped cells take their rate from them). Errors name an unknown --cell or --rep.
std::vector<Job> plan_jobs(const Matrix& m, const RunOptions& o);
// The result file a job writes (A/B sides share a folder: the side is part of the name).
std::string result_path(const std::string& out_dir, const std::string& cell_id, int repetition, const std::string& ab_side);

RunSummary run(const Matrix& m, const RunOptions& o);

}  // namespace chunkbench::bench
