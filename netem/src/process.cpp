#include "chunkbench/netem/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

struct ChildIo {
  int netns = -1;      // setns target
  int out = -1, err = -1;  // become stdout / stderr
  int fd3 = -1;        // becomes fd 3
  bool stdin_null = false;
};

// The child's side of both spawn kinds, between fork and exec (or the body): async-signal-safe only.
void child_setup(const ChildIo& io, int report_fd, bool new_group, bool die_with_parent, pid_t parent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD}) signal(s, SIG_DFL);
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  }
  if (new_group) setpgid(0, 0);
  // stdout/stderr first: a descriptor that happens to be number 3 is copied before fd 3 is replaced.
  if (io.out >= 0 && io.out != 1) dup2(io.out, 1);
  if (io.err >= 0 && io.err != 2) dup2(io.err, 2);
  if (io.fd3 == 3) fcntl(3, F_SETFD, 0);  // dup2 onto itself would leave CLOEXEC set
  else if (io.fd3 >= 0 && dup2(io.fd3, 3) != 3) child_fail(report_fd, "dup2");  // the copy is without CLOEXEC
  if (io.netns >= 0 && setns(io.netns, CLONE_NEWNET) != 0) child_fail(report_fd, "setns");
  if (io.stdin_null) {
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
  }
}

pid_t fork_exec(const Prepared& p, const ChildIo& io, int err_fd, bool new_group, bool die_with_parent, pid_t parent) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  child_setup(io, err_fd, new_group, die_with_parent, parent);
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
  ChildIo io;
  io.netns = ns.get();
  io.out = io.err = out_w.get();
  io.stdin_null = true;
  pid_t pid = fork_exec(p, io, err_w.get(), false, true, getpid());
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
  pid_t pid = fork_exec(p, {ns.get(), opts.stdout_fd, opts.stderr_fd, opts.fd3, false}, err_w.get(), true,
                        opts.die_with_parent, getpid());
  if (pid < 0) throw_errno("fork for " + argv[0]);
  err_w.reset();
  return adopt(pid, err_r.get(), "cannot run " + join_command(argv));
}

Child Child::adopt(pid_t pid, int setup_error_fd, const std::string& failure) {
  // Both sides call setpgid so the group exists before anyone signals it.
  setpgid(pid, pid);
  Child c;
  c.pid_ = pid;
  std::string err = read_exec_error(setup_error_fd);
  if (!err.empty()) {
    c.wait();
    throw Error(Errc::io, failure + ": " + err);
  }
  return c;
}

Child Child::fork_call(const std::function<int()>& body, const SpawnOptions& opts, const std::string& what) {
  Fd ns = open_netns(opts.netns_path);
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) throw_errno("pipe");
  Fd err_r(err[0]), err_w(err[1]);
  // Unflushed output of ours would otherwise be written a second time by the child's exit.
  std::fflush(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork for " + what);
  if (pid == 0) {
    child_setup({ns.get(), opts.stdout_fd, opts.stderr_fd, opts.fd3, false}, err_w.get(), true, opts.die_with_parent, parent);
    // Only this thread exists in the child now, so the environment may change.
    for (const auto& kv : opts.extra_env) {
      auto eq = kv.find('=');
      setenv(kv.substr(0, eq).c_str(), eq == std::string::npos ? "" : kv.c_str() + eq + 1, 1);
    }
    err_w.reset();  // setup done: EOF tells the parent
    int code = 1;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", what.c_str(), e.what());
    } catch (...) {
      std::fprintf(stderr, "%s: unknown exception\n", what.c_str());
    }
    std::fflush(nullptr);
    _exit(code);  // not exit(): the parent's atexit handlers and static objects are not the child's to run
  }
  err_w.reset();
  return adopt(pid, err_r.get(), "cannot start " + what);
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
