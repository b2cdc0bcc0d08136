#include "harness.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cbtest {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "cb-server-test.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

namespace {

// fork + exec with stdout/stderr to `out_fd`; the child gets its own process group so that a kill
// reaches anything it spawned.
pid_t spawn(const std::vector<std::string>& argv, int out_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return -2;
}

}  // namespace

ServeProcess::ServeProcess(const std::string& root, const std::vector<std::string>& extra, const TempDir& dir,
                           const ServeSpawn& how) {
  static int serial = 0;
  const std::string tag = std::to_string(++serial);
  const std::string port_file = dir / ("port" + tag);
  ca_ = dir / ("ca" + tag + ".pem");
  log_ = dir / ("serve" + tag + ".log");
  std::vector<std::string> argv;
  if (!how.env.empty()) {
    argv.push_back("env");
    argv.insert(argv.end(), how.env.begin(), how.env.end());
  }
  argv.insert(argv.end(), {CHUNKBENCH_BIN, "serve", "--root", root, "--port-file", port_file});
  if (std::find(extra.begin(), extra.end(), "--listen") == extra.end()) {
    argv.push_back("--listen");
    argv.push_back("127.0.0.1:0");
  }
  bool has_cert = std::find(extra.begin(), extra.end(), "--cert") != extra.end();
  if (!has_cert && how.ca_out) {
    argv.push_back("--ca-out");
    argv.push_back(ca_);
  } else {
    ca_.clear();
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = spawn(argv, fd);
  ::close(fd);
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string p = read_file(port_file);
    if (!p.empty() && p.back() == '\n') {
      port_ = std::stoi(p);
      return;
    }
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("chunkbench serve exited at startup: " + read_file(log_));
    }
    std::this_thread::sleep_for(20ms);
  }
  throw std::runtime_error("chunkbench serve did not write its port: " + read_file(log_));
}

ServeProcess::~ServeProcess() {
  if (pid_ <= 0) return;
  // Every test doubles as a shutdown check: SIGTERM must end the server with status 0, which under
  // -DCHUNKBENCH_SANITIZE=ON also means no sanitizer report and no leak. stop() kills it otherwise.
  const int rc = stop(SIGTERM, 5000);
  if (rc != 0) ADD_FAILURE() << "chunkbench serve exited with " << rc << " on SIGTERM:\n" << output();
}

std::string ServeProcess::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + path;
}

std::string ServeProcess::output() const { return read_file(log_); }

int ServeProcess::stop(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return decode_status(st);
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return -1;
}

CmdResult run_cmd(const std::vector<std::string>& argv, int timeout_ms) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = spawn(argv, fds[1]);
  ::close(fds[1]);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return {timed_out ? -1 : decode_status(st), out};
}

CmdResult run_serve_expect_exit(const std::vector<std::string>& args) {
  std::vector<std::string> argv{CHUNKBENCH_BIN, "serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_cmd(argv, 15000);
}

namespace {

std::size_t on_body(char* p, std::size_t size, std::size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

std::size_t on_header(char* p, std::size_t size, std::size_t n, void* ud) {
  std::string line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto b = value.find_first_not_of(" \t"), e = value.find_last_not_of(" \t\r\n");
    value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    (*static_cast<std::map<std::string, std::string>*>(ud))[name] = value;
  }
  return size * n;
}

}  // namespace

FetchResult fetch(const std::string& url, const FetchOptions& o) {
  FetchResult r;
  CURL* c = curl_easy_init();
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, o.http_version);
  if (!o.ca.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca.c_str());
  if (!o.range.empty()) curl_easy_setopt(c, CURLOPT_RANGE, o.range.c_str());
  if (o.head) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (o.path_as_is) curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  if (!o.method.empty()) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o.method.c_str());
  curl_slist* headers = nullptr;
  for (const auto& h : o.headers) headers = curl_slist_append(headers, h.c_str());
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o.timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  r.rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &r.http_version);
  curl_easy_getinfo(c, CURLINFO_STARTTRANSFER_TIME, &r.start_transfer_s);
  curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME, &r.pretransfer_s);
  curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r.total_s);
  r.error = err;
  curl_easy_cleanup(c);
  curl_slist_free_all(headers);
  return r;
}

std::string stats_text(const ServeProcess& server) {
  FetchOptions o;
  o.ca = server.ca();
  FetchResult r = fetch(server.url("/.well-known/chunkbench-stats"), o);
  if (r.rc != CURLE_OK || r.status != 200) throw std::runtime_error("stats endpoint failed: " + r.error);
  return r.body;
}

bool tool_available(const std::string& name) {
  return run_cmd({"sh", "-c", "command -v " + name}, 5000).exit_code == 0;
}

}  // namespace cbtest
