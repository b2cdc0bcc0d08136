#pragma once
// Test harness for `chunkbench serve`: a temp dir that removes itself, a server process that is killed
// when the test ends (also when it fails), a libcurl fetch, and a runner for the CLI clients.
#include <curl/curl.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cbtest {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
// Deterministic pseudo-random bytes.
std::string pattern(std::size_t n, std::uint32_t seed = 1);

// How the server process is started beyond its arguments.
struct ServeSpawn {
  std::vector<std::string> env;  // "NAME=value" set for the server (through env(1))
  bool ca_out = true;            // pass --ca-out DIR/caN.pem (off: the server picks its CA; ca() is empty)
};

// `chunkbench serve --root ROOT --listen 127.0.0.1:0 --port-file ... --ca-out ... EXTRA...`.
class ServeProcess {
 public:
  ServeProcess(const std::string& root, const std::vector<std::string>& extra, const TempDir& dir,
               const ServeSpawn& spawn = {});
  ~ServeProcess();  // SIGKILL + reap if still running
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const;
  const std::string& ca() const { return ca_; }
  pid_t pid() const { return pid_; }
  // Sends `sig` and waits up to `timeout_ms`; returns the exit status (or -1 if it had to be killed,
  // -2 if it died of a signal).
  int stop(int sig, int timeout_ms = 5000);
  std::string output() const;  // stdout + stderr so far

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string ca_, log_;
};

// Runs a command with a timeout; stdout+stderr captured. exit_code -1 = timed out and killed.
struct CmdResult {
  int exit_code;
  std::string output;
};
CmdResult run_cmd(const std::vector<std::string>& argv, int timeout_ms = 30000);
// Starts `chunkbench serve` expecting it to fail at startup; returns its exit code and output.
CmdResult run_serve_expect_exit(const std::vector<std::string>& args);

struct FetchOptions {
  long http_version = CURL_HTTP_VERSION_2TLS;
  std::string ca;
  std::string range;
  bool head = false;
  bool path_as_is = false;
  std::string method;  // custom method
  std::vector<std::string> headers;  // extra request header lines, "Name: value"
  long timeout_ms = 10000;
};
struct FetchResult {
  CURLcode rc = CURLE_OK;
  long status = 0;
  long http_version = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  double start_transfer_s = 0, pretransfer_s = 0, total_s = 0;
  std::string error;
};
FetchResult fetch(const std::string& url, const FetchOptions& options);

// The server's stats JSON as text (GET /.well-known/chunkbench-stats over h2).
std::string stats_text(const ServeProcess& server);

bool tool_available(const std::string& name);

}  // namespace cbtest
