#include "chunkbench/bench/metadata.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

#include <curl/curl.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>

#include "chunkbench/netem/process.hpp"

#ifndef CHUNKBENCH_VERSION
#define CHUNKBENCH_VERSION "unknown"
#endif
#ifndef CHUNKBENCH_GIT_REVISION
#define CHUNKBENCH_GIT_REVISION "unknown"
#endif

namespace chunkbench::bench {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "";
}

std::string first_line(std::string s) {
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

}  // namespace

std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

reports::Metadata host_metadata() {
  reports::Metadata m;
  utsname u{};
  if (uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.host = host;
  m.cpu_model = cpu_model();
  m.cpu_count = static_cast<int>(std::thread::hardware_concurrency());
  m.git_revision = CHUNKBENCH_GIT_REVISION;
  m.started_at = utc_now_iso8601();
  m.versions["chunkbench"] = CHUNKBENCH_VERSION;
  m.versions["curl"] = curl_version_info(CURLVERSION_NOW)->version;
  m.versions["nghttp2"] = nghttp2_version(0)->version_str;
  m.versions["openssl"] = OpenSSL_version(OPENSSL_VERSION);
  auto cas = netem::run_command({"casync", "--version"});
  m.versions["casync"] = cas.status == 0 ? first_line(cas.output) : "absent";
  std::ifstream cc("/proc/sys/net/ipv4/tcp_congestion_control");
  std::getline(cc, m.congestion_control);
  return m;
}

}  // namespace chunkbench::bench
