#pragma once
// Child processes without a shell: `ip`/`tc` helpers whose failures name the command and quote its
// output, and an RAII child that is killed (with its whole process group) and reaped when dropped.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chunkbench::netem {

struct CommandResult {
  int status = 0;      // exit code, or 128 + signal
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] from PATH with the given arguments, optionally inside the network namespace at
// `netns_path` (a /run/netns/NAME file), and waits for it.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& netns_path = "");
// As run_command, but a non-zero exit throws an Error quoting the command line and its output.
std::string run_checked(const std::vector<std::string>& argv, const std::string& netns_path = "");
std::string join_command(const std::vector<std::string>& argv);

struct SpawnOptions {
  std::string netns_path;             // enter this network namespace before exec
  std::vector<std::string> extra_env;  // "NAME=value" added to the inherited environment
  bool die_with_parent = true;        // PR_SET_PDEATHSIG(SIGKILL): a killed runner takes its children along
  int fd3 = -1;                       // handed to the child as its fd 3 (all other fds of ours are CLOEXEC)
  int stdout_fd = -1;                 // the child's stdout; -1 = ours
  int stderr_fd = -1;                 // the child's stderr; -1 = ours
};

class Child {
 public:
  Child() = default;
  static Child spawn(const std::vector<std::string>& argv, const SpawnOptions& opts);
  // Forks and runs `body` in the child (after entering opts.netns_path, with opts.extra_env set,
  // signals at their defaults and stdin from /dev/null); its return value is the exit code, an
  // exception is printed to the child's stderr and exits 1. `what` names the child in errors.
  // The child is a copy of this process with only the calling thread: `body` must not need a lock
  // another thread of ours may have held at the fork.
  static Child fork_call(const std::function<int()>& body, const SpawnOptions& opts, const std::string& what);
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& o) noexcept : pid_(o.pid_), status_(o.status_) { o.pid_ = -1; }
  Child& operator=(Child&& o) noexcept;
  ~Child();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_; }
  // Reaps without blocking; the exit status (code, or 128 + signal) once the child has ended.
  std::optional<int> poll();
  int wait();
  // Signals the child's process group (each child leads its own), so a shell's children get it too.
  void signal_group(int sig) const;
  // SIGTERM, up to `grace_ms` to exit, then SIGKILL; returns the status.
  int terminate(int grace_ms);

 private:
  // A forked child whose setup reports failures on `setup_error_fd` (EOF = it started).
  static Child adopt(pid_t pid, int setup_error_fd, const std::string& failure);

  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Exit status from a waitpid() status word: the code, or 128 + signal like a shell.
int decode_wait_status(int status);

}  // namespace chunkbench::netem
