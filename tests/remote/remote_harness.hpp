#pragma once
// Servers and clients for the remote-extract tests: a child process killed (SIGKILL, reaped) by its
// guard when the test ends or fails, `chunkbench serve` and a private nginx on port-0/free ports,
// and one shared data set (synthetic v1/v2 images, their indexes and stores) made once per run.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../core/test_util.hpp"
#include "chunkbench/index.hpp"

namespace chunkbench::test {

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline bool same_file(const std::string& a, const std::string& b) {
  auto x = slurp(a), y = slurp(b);
  return !x.empty() && x == y;
}

inline bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

// A child process with its output in `log`; the destructor kills and reaps it.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) ::dup2(fd, 1), ::dup2(fd, 2);
      ::setpgid(0, 0);
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execvp(a[0], a.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  // Sends `sig` and waits (up to 10 s) for the exit; the guard still kills if it did not.
  // Returns the exit status (128 + signal when killed by one), or -1 if it did not exit.
  int stop(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    for (int i = 0; i < 1000; ++i) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

// `chunkbench serve --root ROOT` on 127.0.0.1:0 with a generated CA.
class Serve {
 public:
  Serve(const TempDir& dir, const std::string& root, const std::vector<std::string>& extra = {},
        const std::string& name = "serve") {
    port_file_ = dir / (name + ".port");
    ca_ = dir / (name + "-ca.pem");
    stats_ = dir / (name + "-stats.json");
    log_ = dir / (name + ".log");
    std::vector<std::string> argv = {chunkbench_bin(), "serve",   "--root",  root,   "--listen", "127.0.0.1:0",
                                     "--port-file",    port_file_, "--ca-out", ca_, "--stats",  stats_, "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    child_ = std::make_unique<Child>(argv, log_);
    for (int i = 0; i < 1000 && port_ == 0; ++i) {
      std::string p = slurp(port_file_);
      if (!p.empty() && p.back() == '\n') port_ = std::atoi(p.c_str());
      else if (!p.empty() && exists(ca_)) port_ = std::atoi(p.c_str());
      if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& ca() const { return ca_; }
  std::string url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(port_) + "/" + path; }
  std::string log() const { return slurp(log_); }
  // Stops the server (SIGTERM) and returns the counters it wrote.
  nlohmann::json stop_and_stats() {
    child_->stop(SIGTERM);
    auto text = slurp(stats_);
    return text.empty() ? nlohmann::json{} : nlohmann::json::parse(text);
  }

 private:
  std::string port_file_, ca_, stats_, log_;
  int port_ = 0;
  std::unique_ptr<Child> child_;
};

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

struct ExtractRun {
  int status = -1;
  std::string out;
  nlohmann::json json;  // parsed when --json was given and the run succeeded
};

// Runs `chunkbench extract ARGS` (bounded by `timeout` seconds) and parses its --json output.
inline ExtractRun extract(const std::string& args, int timeout = 60) {
  ExtractRun r;
  RunResult rr = run("timeout -s KILL " + std::to_string(timeout) + " " + chunkbench_bin() + " extract " + args);
  r.status = rr.status;
  r.out = rr.out;
  auto brace = rr.out.find("{\n");
  if (r.status == 0 && brace != std::string::npos) {
    try {
      r.json = nlohmann::json::parse(rr.out.substr(brace));
    } catch (...) {
    }
  }
  return r;
}

// Synthetic v1 and v2 images with 64 KiB average chunks, made once: v1/v2 indexes, a store of v2
// (root/store), a store of v1 only (root/store1) and v2 itself (root/v2.img) for Range reads.
struct DataSet {
  TempDir dir;
  std::string v1, v2, v1_idx, v2_idx, root, store, store1;
  std::size_t v2_chunks = 0, v2_new_ids = 0;  // distinct ids of v2 that v1 lacks
  bool ok = false;

  DataSet() {
    v1 = dir / "v1.img", v2 = dir / "root/v2.img", v1_idx = dir / "v1.img.caibx", v2_idx = dir / "v2.caibx";
    root = dir / "root", store = dir / "root/store", store1 = dir / "root/store1";
    std::string b = chunkbench_bin();
    if (run(b + " testimage --kind synthetic --size 6M --out " + dir.path()).status != 0) return;
    if (run("mkdir -p " + root + " && mv " + (dir / "v2.img") + " " + v2).status != 0) return;
    if (run(b + " make -s " + store + " " + v2_idx + " " + v2).status != 0) return;
    if (run(b + " make -s " + store1 + " " + v1_idx + " " + v1).status != 0) return;
    Index i1 = Index::read(v1_idx), i2 = Index::read(v2_idx);
    std::set<ChunkId> a, n;
    for (const auto& e : i1.entries) a.insert(e.id);
    for (const auto& e : i2.entries)
      if (!a.count(e.id)) n.insert(e.id);
    v2_chunks = i2.size();
    v2_new_ids = n.size();
    ok = true;
  }
};

}  // namespace chunkbench::test
