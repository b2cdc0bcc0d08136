#include "chunkbench/netem/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

extern char** environ;

namespace chunkbench::netem {
namespace {

// Everything between fork and exec must be async-signal-safe: the runner has threads (the
// emulator), so argv/envp are built before forking and errors are reported through a pipe.
struct Prepared {
  std::vector<std::string> storage;
  std::vector<char*> argv, envp;
};

Prepared prepare(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
  Prepared p;
  p.storage.reserve(args.size() + extra_env.size() + 256);
  for (const auto& a : args) p.storage.push_back(a);
  std::size_t env_start = p.storage.size();
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    bool overridden = false;
    for (const auto& x : extra_env)
      if (kv.compare(0, x.find('=') + 1, x, 0, x.find('=') + 1) == 0) overridden = true;
    if (!overridden) p.storage.push_back(kv);
  }
  for (const auto& x : extra_env) p.storage.push_back(x);
  for (std::size_t i = 0; i < args.size(); ++i) p.argv.push_back(p.storage[i].data());
  p.argv.push_back(nullptr);
  for (std::size_t i = env_start; i < p.storage.size(); ++i) p.envp.push_back(p.storage[i].data());
  p.envp.push_back(nullptr);
  return p;
}

[[noreturn]] void child_fail(int err_fd, const char* what) {
  int e = errno;
  char buf[256];
  std::size_t n = 0;
  for (const char* s = what; *s && n < 200; ++s) buf[n++] = *s;
  const char* msg = strerror(e);  // not strictly async-signal-safe, but only reads a static table in glibc
  buf[n++] = ':';
  buf[n++] = ' ';
  for (const char* s = msg; *s && n < sizeof buf; ++s) buf[n++] = *s;
  if (write(err_fd, buf, n) < 0) _exit(127);
  _exit(127);
}

pid_t fork_exec(const Prepared& p, int netns_fd, int out_fd, int err_fd, bool new_group, bool die_with_parent,
                pid_t parent, int fd3 = -1) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) signal(s, SIG_DFL);
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  }
  if (new_group) setpgid(0, 0);
  if (fd3 == 3) fcntl(3, F_SETFD, 0);  // dup2 onto itself would leave CLOEXEC set
  else if (fd3 >= 0 && dup2(fd3, 3) != 3) child_fail(err_fd, "dup2");  // the copy is without CLOEXEC
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) child_fail(err_fd, "setns");
  if (out_fd >= 0) {
    dup2(out_fd, 1);
    dup2(out_fd, 2);
  }
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0 && out_fd >= 0) dup2(devnull, 0);
  execvpe(p.argv[0], p.argv.data(), p.envp.data());
  child_fail(err_fd, p.argv[0]);
}

Fd open_netns(const std::string& path) {
  if (path.empty()) return Fd();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open network namespace " + path);
  return Fd(fd);
}

// Reads the exec-failure pipe: empty means exec succeeded (the CLOEXEC write end closed).
std::string read_exec_error(int fd) {
  std::string s;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) s.append(buf, static_cast<std::size_t>(n));
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  return s;
}

}  // namespace

int decode_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t'\"\\$*?;&|<>()") == std::string::npos;
    s += plain ? a : "'" + a + "'";
  }
  return s;
}

CommandResult run_command(const std::vector<std::string>& argv, const std::string& netns_path) {
  Fd ns = open_netns(netns_path);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw_errno("pipe");
  Fd out_r(out[0]), out_w(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe");
  Fd err_r(err[0]), err_w(err[1]);
  Prepared p = prepare(argv, {});
  pid_t pid = fork_exec(p, ns.get(), out_w.get(), err_w.get(), false, true, getpid());
  if (pid < 0) throw_errno("fork for " + argv[0]);
  out_w.reset();
  err_w.reset();
  CommandResult r;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out_r.get(), buf, sizeof buf);
    if (n > 0) r.output.append(buf, static_cast<std::size_t>(n));
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  std::string exec_err = read_exec_error(err_r.get());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!exec_err.empty()) throw Error(Errc::io, "cannot run " + join_command(argv) + ": " + exec_err);
  r.status = decode_wait_status(status);
  return r;
}

std::string run_checked(const std::vector<std::string>& argv, const std::string& netns_path) {
  CommandResult r = run_command(argv, netns_path);
  if (r.status != 0) {
    std::string out = r.output;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    throw Error(Errc::io, "'" + join_command(argv) + "'" + (netns_path.empty() ? "" : " in " + netns_path) +
                              " failed (exit " + std::to_string(r.status) + "): " + out);
  }
  return r.output;
}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    if (running()) terminate(0);
    pid_ = o.pid_;
    status_ = o.status_;
    o.pid_ = -1;
  }
  return *this;
}

Child::~Child() {
  if (running()) terminate(0);
}

Child Child::spawn(const std::vector<std::string>& argv, const SpawnOptions& opts) {
  if (argv.empty()) throw Error(Errc::usage, "empty command");
  Fd ns = open_netns(opts.netns_path);
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe");
  Fd err_r(err[0]), err_w(err[1]);
  Prepared p = prepare(argv, opts.extra_env);
  pid_t pid = fork_exec(p, ns.get(), -1, err_w.get(), true, opts.die_with_parent, getpid(), opts.fd3);
  if (pid < 0) throw_errno("fork for " + argv[0]);
  // Both sides call setpgid so the group exists before anyone signals it.
  setpgid(pid, pid);
  err_w.reset();
  Child c;
  c.pid_ = pid;
  std::string exec_err = read_exec_error(err_r.get());
  if (!exec_err.empty()) {
    c.wait();
    throw Error(Errc::io, "cannot run " + join_command(argv) + ": " + exec_err);
  }
  return c;
}

std::optional<int> Child::poll() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) status_ = decode_wait_status(st);
  return status_;
}

int Child::wait() {
  if (status_ || pid_ <= 0) return status_.value_or(255);
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0) {
    if (errno != EINTR) {
      status_ = 255;
      return *status_;
    }
  }
  status_ = decode_wait_status(st);
  return *status_;
}

void Child::signal_group(int sig) const {
  if (pid_ <= 0) return;
  if (::kill(-pid_, sig) != 0) ::kill(pid_, sig);
}

int Child::terminate(int grace_ms) {
  if (!running()) {
    signal_group(SIGKILL);  // the leader is gone, but what it left in its group must not outlive the run
    return status_.value_or(255);
  }
  if (grace_ms > 0) {
    signal_group(SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (poll()) {
        signal_group(SIGKILL);
        return *status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  signal_group(SIGKILL);
  return wait();
}

}  // namespace chunkbench::netem
