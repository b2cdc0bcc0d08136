#pragma once
// Runs a helper program (gpg, gpgconf) without a shell and collects its output, so the publish
// steps that rely on a maintained tool can quote that tool's own words in their errors.
#include <string>
#include <vector>

namespace chunkbench::publish {

struct ProcessResult {
  int status = 0;      // exit code, or 128 + signal
  std::string out;     // standard output
  std::string err;     // standard error
};

struct ProcessOptions {
  std::vector<std::string> env;  // "NAME=value" set in the child on top of the inherited environment
};

// Runs argv[0] from PATH with standard input from /dev/null and waits. Throws Errc::not_found when
// the program cannot be started; any exit status is returned, not thrown.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace chunkbench::publish
