#include "chunkbench/publish/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

extern char** environ;

namespace chunkbench::publish {
namespace {

struct Pipe {
  Fd r, w;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
    r.reset(fds[0]);
    w.reset(fds[1]);
  }
};

// posix_spawn file actions and attributes, destroyed with the scope.
struct SpawnActions {
  posix_spawn_file_actions_t fa;
  SpawnActions() { posix_spawn_file_actions_init(&fa); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&fa); }
};

// Reads both pipes until both are closed, so a chatty child never blocks on a full pipe.
void drain(Fd& out, Fd& err, std::string& out_text, std::string& err_text) {
  pollfd fds[2] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
  std::string* sinks[2] = {&out_text, &err_text};
  int open = 2;
  char buf[8192];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll on a child's output");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) throw Error(Errc::usage, "run_process: empty command");
  Pipe out, err;
  SpawnActions actions;
  posix_spawn_file_actions_addopen(&actions.fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions.fa, out.w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions.fa, err.w.get(), 2);

  std::vector<std::string> env_store;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    bool overridden = false;
    for (const auto& o : options.env)
      if (entry.compare(0, o.find('=') + 1, o, 0, o.find('=') + 1) == 0) overridden = true;
    if (!overridden) env_store.push_back(std::move(entry));
  }
  env_store.insert(env_store.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp, args;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_store = argv;
  for (auto& a : argv_store) args.push_back(a.data());
  args.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &actions.fa, nullptr, args.data(), envp.data());
  if (rc != 0) throw Error(Errc::not_found, "cannot run " + argv[0] + ": " + std::strerror(rc));
  out.w.reset();
  err.w.reset();
  ProcessResult result;
  try {
    drain(out.r, err.r, result.out, result.err);
  } catch (...) {
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (result.status == 127 && result.out.empty() && result.err.empty())
    throw Error(Errc::not_found, "cannot run " + argv[0] + ": not found in PATH");
  return result;
}

}  // namespace chunkbench::publish
