#include "chunkbench/bench/ab.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include <unistd.h>

#include "chunkbench/bench/program.hpp"
#include "chunkbench/error.hpp"

namespace chunkbench::bench {

std::vector<std::pair<Job, std::string>> ab_schedule(const std::vector<Job>& jobs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Job> order = jobs;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::pair<Job, std::string>> out;
  for (const auto& j : order) {
    const bool base_first = (rng() & 1) == 0;
    out.emplace_back(j, base_first ? "base" : "new");
    out.emplace_back(j, base_first ? "new" : "base");
  }
  return out;
}

AbSummary run_ab(const Matrix& m, const AbOptions& o) {
  namespace fs = std::filesystem;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto* bin : {&o.base_bin, &o.new_bin})
    if (access(bin->c_str(), X_OK) != 0) throw Error(Errc::usage, "--ab: " + *bin + " is not an executable file");
  AbSummary sum;
  const auto jobs = plan_jobs(m, o.run);
  sum.pairs = jobs.size();
  fs::create_directories(o.out_dir);
  for (const auto& [job, side] : ab_schedule(jobs, o.seed)) {
    const std::string& dir = o.out_dir;
    if (fs::exists(result_path(dir, cell_id(job.cell), job.repetition, side))) continue;
    if (o.on_side_start) o.on_side_start(side, job);
    std::vector<std::string> argv = {side == "base" ? o.base_bin : o.new_bin, "bench"};
    argv.insert(argv.end(), o.matrix_args.begin(), o.matrix_args.end());
    argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
    argv.insert(argv.end(), {"--out", dir, "--cell", cell_id(job.cell), "--rep", std::to_string(job.repetition), "--ab-side", side, "--json"});
    const std::string log = (fs::path(o.out_dir) / ("." + side + ".log")).string();
    // The side's own cap applies inside it; this one only guards against a hung binary.
    auto r = run_program(argv, {}, m.cell_timeout_seconds * 2 + 600, log);
    ++sum.side_runs;
    if (r.status != 0) ++sum.side_failures;
    if (r.status != 0 && !fs::exists(result_path(dir, cell_id(job.cell), job.repetition, side)))
      throw Error(Errc::io, "--ab: " + argv[0] + " bench --cell " + cell_id(job.cell) + " exited with status " +
                                std::to_string(r.status) + " and wrote no result: " + r.error);
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace chunkbench::bench
