#pragma once
// A peer program run from a cell's client function (already inside the client namespace): forked
// into its own process group so a time cap takes its whole tree, measured with wait4 (CPU seconds
// and peak RSS of the program and the descendants it waited for).
#include <cstdint>
#include <string>
#include <vector>

namespace chunkbench::bench {

struct ProgramRun {
  int status = -1;          // exit code, or 128 + signal
  bool timed_out = false;   // killed at the time cap
  double wall_seconds = 0;  // fork to reap
  double cpu_seconds = 0;   // user + system
  std::uint64_t peak_rss_bytes = 0;
  std::string error;        // the tail of its output when it failed
};

// execvp(argv) with `env` ("K=V") added; stdout and stderr go to `log_file`; SIGKILL to its process
// group after `timeout_seconds`.
ProgramRun run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env, double timeout_seconds,
                       const std::string& log_file);

}  // namespace chunkbench::bench
