#include "common.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <cstdio>

#include <cmath>
#include <cstdlib>

#include "chunkbench/error.hpp"
#include "chunkbench/http_store.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"

namespace chunkbench::cli {

void add_store_options(Args& args, bool many) {
  args.option("store", 's', "STORE",
              many ? "chunk store: a directory or an http(s):// URL; several are tried in order (a chunk missing\n                              "
                     "from one is looked for in the next)"
                   : "chunk store directory",
              many);
  args.flag("uncompressed", 'u', "the store holds uncompressed chunks (<id> files, no .cacnk)");
}

namespace {

std::shared_ptr<LocalStore> open_local(const std::string& locator, const Args& args) {
  if (locator.find("://") != std::string::npos)
    throw Error(Errc::usage, "store " + locator + ": only local directories and http(s):// URLs are supported");
  return std::make_shared<LocalStore>(locator, !args.has("uncompressed"));
}

std::shared_ptr<Store> open_one(const std::string& locator, const Args& args, const RemoteContext& remote) {
  if (is_http_url(locator))
    return std::make_shared<HttpStore>(locator, !args.has("uncompressed"), remote.fetcher(), remote.max_body);
  return open_local(locator, args);
}

}  // namespace

std::shared_ptr<BatchFetcher> RemoteContext::fetcher() const {
  if (!fetcher_) fetcher_ = std::make_shared<BatchFetcher>(http, stats);
  return fetcher_;
}

void add_http_options(Args& args) {
  args.option("http", 0, "VER", "HTTP version for remote stores and --source: 1.1 or 2 (forced: a transfer that\n                              "
                                "negotiates another version fails the run); default: h2 when the server offers it");
  args.option("connections", 0, "N", "most connections per host (default: as many as -n needs; h2 needs one)");
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
  if (auto v = args.maybe("http")) o.version = parse_http_version(*v);
  o.connections = static_cast<unsigned>(args.get_int("connections", 0, 0, 4096));
  o.streams = static_cast<unsigned>(args.get_int("streams", 100, 1, 1u << 20));
  o.retries = static_cast<unsigned>(args.get_int("retries", 3, 0, 100));
  if (auto v = args.maybe("timeout-connect")) o.connect_timeout = parse_seconds(*v, "--timeout-connect");
  if (auto v = args.maybe("timeout-stall")) o.stall_timeout = parse_seconds(*v, "--timeout-stall");
  o.ca_file = args.get("ca");
  return o;
}

std::shared_ptr<Store> open_read_stores(const Args& args, const RemoteContext& remote) {
  auto locators = args.all("store");
  if (locators.empty()) throw Error(Errc::usage, args.command() + ": give at least one store with -s");
  if (locators.size() == 1) return open_one(locators[0], args, remote);
  std::vector<std::shared_ptr<Store>> stores;
  for (const auto& l : locators) stores.push_back(open_one(l, args, remote));
  return std::make_shared<RouterStore>(std::move(stores));
}

std::shared_ptr<Store> open_read_stores(const Args& args) {
  RemoteContext remote;
  remote.http = http_options(args);
  return open_read_stores(args, remote);
}

std::shared_ptr<WriteStore> open_write_store(const Args& args) {
  auto locators = args.all("store");
  if (locators.size() != 1) throw Error(Errc::usage, args.command() + ": give exactly one store with -s");
  return open_local(locators[0], args);
}

std::uint64_t parse_size_option(const std::string& text, const std::string& option) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  double mul = 0;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "K" || unit == "KiB" || unit == "k") mul = 1024;
  else if (unit == "M" || unit == "MiB") mul = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB") mul = 1024.0 * 1024 * 1024;
  if (end == text.c_str() || mul == 0 || !(v >= 0) || !std::isfinite(v))
    throw Error(Errc::usage, option + " " + text + ": expected a size such as 4194304, 512K or 8M");
  return static_cast<std::uint64_t>(v * mul);
}

double parse_seconds(const std::string& text, const std::string& option) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  if (unit == "ms") v /= 1000, unit.clear();
  else if (unit == "s") unit.clear();
  if (end == text.c_str() || !unit.empty() || !(v >= 0) || !std::isfinite(v))
    throw Error(Errc::usage, option + " " + text + ": expected seconds such as 2, 0.5 or 250ms");
  return v;
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
