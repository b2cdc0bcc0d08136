#include "chunkbench/bench/program.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "chunkbench/error.hpp"

namespace chunkbench::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string t = s.str();
  return t.size() > 2000 ? "..." + t.substr(t.size() - 2000) : t;
}

}  // namespace

ProgramRun run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env, double timeout_seconds,
                       const std::string& log_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    execvp(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  ProgramRun r;
  const auto deadline = start + std::chrono::duration<double>(timeout_seconds);
  int st = 0;
  rusage ru{};
  for (;;) {
    pid_t got = wait4(pid, &st, WNOHANG, &ru);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) throw_errno("wait4");
    if (Clock::now() >= deadline && !r.timed_out) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  kill(-pid, SIGKILL);  // whatever it left running in its group
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  r.peak_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  if (r.status != 0) r.error = tail_of(log_file);
  return r;
}

}  // namespace chunkbench::bench
