#include "common.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <cstdio>


#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/units.hpp"

namespace chunkbench::cli {

void add_store_options(Args& args, bool many) {
  args.option("store", 's', "STORE",
              many ? "chunk store: a directory or an http(s):// URL; several are tried in order (a chunk missing\n                              "
                     "from one is looked for in the next)"
                   : "chunk store directory",
              many);
  args.flag("uncompressed", 'u', "the store holds uncompressed chunks (<id> files, no .cacnk)");
}

void add_http_options(Args& args) {
  args.option("http", 0, "VER", "HTTP version for remote stores and --source: 1.1 or 2 (forced: a transfer that\n                              "
                                "negotiates another version fails the run); default: h2 when the server offers it");
  args.option("connections", 0, "N", "connections per host, h1 and h2 (default: h1 as many as -n needs; h2 from the link:\n                              "
                                   "RTT of the first handshake x --bandwidth over 16 initial windows, 1 to 32)");
  args.option("streams", 0, "N", "most h2 streams per connection (CURLMOPT_MAX_CONCURRENT_STREAMS, default 100)");
  args.option("retries", 0, "N", "retries after a network error or 5xx, capped exponential backoff with jitter\n                              "
                                 "(default 3)");
  args.option("timeout-connect", 0, "SEC", "connect (TCP + TLS) timeout (default 10)");
  args.option("timeout-stall", 0, "SEC", "abandon (and retry) a transfer that receives no byte for SEC seconds;\n                              "
                                         "there is no whole-transfer timeout (default 30)");
  args.option("ca", 0, "FILE", "trust this PEM CA bundle instead of the system's (verification stays on)");
}

HttpOptions http_options(const Args& args) {
  HttpOptions o;
  if (auto v = args.maybe("http")) o.version = named_option("http", [&] { return parse_http_version(*v); });
  o.connections = static_cast<unsigned>(args.get_int("connections", 0, 0, 4096));
  o.streams = static_cast<unsigned>(args.get_int("streams", 100, 1, 1u << 20));
  o.retries = static_cast<unsigned>(args.get_int("retries", 3, 0, 100));
  o.connect_timeout = duration_option(args, "timeout-connect", o.connect_timeout);
  o.stall_timeout = duration_option(args, "timeout-stall", o.stall_timeout);
  o.ca_file = args.get("ca");
  return o;
}

StoreOptions store_options(const Args& args) {
  StoreOptions o;
  o.compressed = !args.has("uncompressed");
  o.http = http_options(args);
  for (const auto& spec : args.all("store"))
    if (spec.rfind("s3+", 0) == 0) o.s3 = s3_credentials_from_env(true);
  return o;
}

std::uint64_t size_option(const Args& args, const std::string& name, std::uint64_t fallback, std::uint64_t max) {
  auto v = args.maybe(name);
  if (!v) return fallback;
  const std::uint64_t n = units::parse_size(*v, "--" + name);
  if (n > max) throw Error(Errc::usage, "--" + name + ": " + *v + " is more than " + std::to_string(max) + " bytes");
  return n;
}

double rate_option(const Args& args, const std::string& name, double fallback) {
  auto v = args.maybe(name);
  return v ? units::parse_rate(*v, "--" + name) : fallback;
}

double duration_option(const Args& args, const std::string& name, double fallback, double bare) {
  auto v = args.maybe(name);
  return v ? units::parse_duration(*v, "--" + name, bare) : fallback;
}

double fraction_option(const Args& args, const std::string& name, double fallback) {
  auto v = args.maybe(name);
  return v ? units::parse_fraction(*v, "--" + name) : fallback;
}

struct RemoveOnInterrupt::Impl {
  std::string path;
  sigset_t set{}, old{};
  std::atomic<bool> done{false};
  std::thread waiter;
};

RemoveOnInterrupt::RemoveOnInterrupt(std::string path) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = std::move(path);
  sigemptyset(&s.set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&s.set, sig);
  pthread_sigmask(SIG_BLOCK, &s.set, &s.old);
  s.waiter = std::thread([&s] {
    int sig = 0;
    while (sigwait(&s.set, &sig) == 0) {
      if (s.done) return;
      if (sig == SIGUSR1) continue;  // only the destructor's wake-up means anything
      ::unlink(s.path.c_str());
      end_status_line();
      std::fprintf(stderr, "chunkbench: interrupted by signal %d; removed %s\n", sig, s.path.c_str());
      std::_Exit(128 + sig);
    }
  });
}

RemoveOnInterrupt::~RemoveOnInterrupt() {
  Impl& s = *impl_;
  s.done = true;
  pthread_kill(s.waiter.native_handle(), SIGUSR1);
  s.waiter.join();
  pthread_sigmask(SIG_SETMASK, &s.old, nullptr);
}

unsigned threads_option(const Args& args) {
  return static_cast<unsigned>(args.get_int("concurrency", default_threads(), 1, 1024));
}

std::string human_bytes(std::uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return buf;
}

std::string human_rate(double bytes, double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB/s", seconds > 0 ? bytes / seconds / 1e6 : 0.0);
  return buf;
}

void write_text_file(const std::string& path, const std::string& text) {
  write_file_atomic(path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

bool stderr_is_tty() { return ::isatty(2) == 1; }

void status_line(const std::string& text) {
  if (!stderr_is_tty()) return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
}

void end_status_line() {
  if (stderr_is_tty()) std::fprintf(stderr, "\r\033[K");
}

}  // namespace chunkbench::cli
