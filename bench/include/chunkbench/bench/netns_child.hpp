#pragma once
// The processes of one cell: functions or programs run in a forked child inside a network
// namespace, each in its own process group so that a time cap or a failure takes the whole tree,
// measured with wait4 (CPU seconds and peak RSS of the child and what it reaped); and the embedded
// server run the same way in the server namespace.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chunkbench::bench {

struct ChildRun {
  int status = -1;          // exit code, or 128 + signal
  bool timed_out = false;   // killed at the time cap
  double wall_seconds = 0;  // fork to reap
  double cpu_seconds = 0;   // user + system of the child and the descendants it waited for
  std::uint64_t peak_rss_bytes = 0;
  std::string error;        // what the child wrote to its error file (an exception's message)
};

// Forks; the child enters `netns_path` (a /run/netns file; "" = stay), leads a new process group,
// dies with the parent, calls `fn` and exits with its value. An exception's message goes to
// `error_file` and the exit status is 1. Kills the group (SIGKILL) after `timeout_seconds`.
ChildRun run_in_netns(const std::string& netns_path, const std::function<int()>& fn, double timeout_seconds,
                      const std::string& error_file);
// The same for a program: execvp(argv) with `env` ("K=V") added; stdout and stderr go to `log_file`.
ChildRun run_program_in_netns(const std::string& netns_path, const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, double timeout_seconds, const std::string& log_file);

// The embedded chunkbench server in a forked child inside `netns_path`, listening on `addr`:0
// with a generated CA for that address; stats are written by the child when it stops.
class ServerChild {
 public:
  ServerChild(const std::string& netns_path, const std::string& addr, const std::string& root, const std::string& work_dir);
  ServerChild(const ServerChild&) = delete;
  ServerChild& operator=(const ServerChild&) = delete;
  ~ServerChild();

  std::uint16_t port() const { return port_; }
  std::string url() const;             // https://ADDR:PORT/
  const std::string& ca_file() const { return ca_; }
  // SIGTERM, up to 5 s, then SIGKILL; returns the server's statistics document ({} if it had none).
  nlohmann::json stop();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string addr_, ca_, stats_file_;
};

}  // namespace chunkbench::bench
