#include "chunkbench/bench/netns_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
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
#include "chunkbench/fd.hpp"
#include "chunkbench/server/server.hpp"

namespace chunkbench::bench {
namespace {

using Clock = std::chrono::steady_clock;

void write_text(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  std::ofstream out(path);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// In the child, before anything else: a clean signal state, its own group, death with the parent,
// and the namespace. Failures exit at once with 126 (nothing to clean up yet).
void enter_child(const std::string& netns_path) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) signal(sig, SIG_DFL);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (netns_path.empty()) return;
  int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    const char msg[] = "chunkbench bench: cannot enter the network namespace\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(126);
  }
  close(fd);
}

int decode(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

// Waits for `pid` up to the cap, killing its group at the cap; fills the measurements.
ChildRun reap(pid_t pid, Clock::time_point start, double timeout_seconds) {
  ChildRun r;
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
      kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(r.timed_out ? 5 : 2));
  }
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  kill(-pid, SIGKILL);  // whatever the child left running in its group
  r.status = decode(st);
  r.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  r.peak_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  return r;
}

}  // namespace

ChildRun run_in_netns(const std::string& netns_path, const std::function<int()>& fn, double timeout_seconds,
                      const std::string& error_file) {
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    enter_child(netns_path);
    int rc = 1;
    try {
      rc = fn();
    } catch (const std::exception& e) {
      write_text(error_file, e.what());
    }
    _exit(rc);
  }
  setpgid(pid, pid);
  ChildRun r = reap(pid, start, timeout_seconds);
  r.error = read_text(error_file);
  return r;
}

ChildRun run_program_in_netns(const std::string& netns_path, const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, double timeout_seconds, const std::string& log_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    enter_child(netns_path);
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
  ChildRun r = reap(pid, start, timeout_seconds);
  if (r.status != 0) {
    std::string log = read_text(log_file);
    if (log.size() > 2000) log = "..." + log.substr(log.size() - 2000);
    r.error = log;
  }
  return r;
}

ServerChild::ServerChild(const std::string& netns_path, const std::string& addr, const std::string& root, const std::string& work_dir)
    : addr_(addr), ca_(work_dir + "/ca.pem"), stats_file_(work_dir + "/server-stats.json") {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe");
  Fd rd(p[0]), wr(p[1]);
  const std::string error_file = work_dir + "/server-error.txt";
  pid_ = fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) {
    enter_child(netns_path);
    rd = Fd();
    try {
      server::Options o;
      o.root = root;
      o.listen = addr + ":0";
      o.ca_out = ca_;
      server::Server srv(o);
      srv.catch_signals();
      const std::uint16_t port = srv.port();
      (void)!write(wr.get(), &port, sizeof port);
      wr = Fd();
      srv.run(true);
      write_text(stats_file_, srv.stats_json());
      _exit(0);
    } catch (const std::exception& e) {
      write_text(error_file, e.what());
      _exit(1);
    }
  }
  setpgid(pid_, pid_);
  wr = Fd();
  pollfd pfd{rd.get(), POLLIN, 0};
  const int ready = poll(&pfd, 1, 30000);
  std::uint16_t port = 0;
  if (ready <= 0 || read(rd.get(), &port, sizeof port) != static_cast<ssize_t>(sizeof port)) {
    stop();
    const std::string why = read_text(error_file);
    throw Error(Errc::io, "bench: the server did not start in its namespace" + (why.empty() ? std::string() : ": " + why));
  }
  port_ = port;
}

ServerChild::~ServerChild() {
  if (pid_ > 0) stop();
}

std::string ServerChild::url() const { return "https://" + addr_ + ":" + std::to_string(port_) + "/"; }

nlohmann::json ServerChild::stop() {
  if (pid_ <= 0) return nlohmann::json::object();
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  int st = 0;
  for (;;) {
    pid_t got = waitpid(pid_, &st, WNOHANG);
    if (got == pid_ || (got < 0 && errno != EINTR)) break;
    if (Clock::now() >= deadline) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, &st, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(-pid_, SIGKILL);
  pid_ = -1;
  try {
    return nlohmann::json::parse(read_text(stats_file_));
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();
  }
}

}  // namespace chunkbench::bench
