#include "common.hpp"

#include <unistd.h>

#include <cstdio>

#include "chunkbench/error.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"

namespace chunkbench::cli {

void add_store_options(Args& args, bool many) {
  args.option("store", 's', "STORE", many ? "chunk store directory; several are tried in order" : "chunk store directory",
              many);
  args.flag("uncompressed", 'u', "the store holds uncompressed chunks (<id> files, no .cacnk)");
}

namespace {

std::shared_ptr<LocalStore> open_one(const std::string& locator, const Args& args) {
  if (locator.find("://") != std::string::npos)
    throw Error(Errc::usage, "store " + locator + ": only local directory stores are supported by this build");
  return std::make_shared<LocalStore>(locator, !args.has("uncompressed"));
}

}  // namespace

std::shared_ptr<Store> open_read_stores(const Args& args) {
  auto locators = args.all("store");
  if (locators.empty()) throw Error(Errc::usage, args.command() + ": give at least one store with -s");
  if (locators.size() == 1) return open_one(locators[0], args);
  std::vector<std::shared_ptr<Store>> stores;
  for (const auto& l : locators) stores.push_back(open_one(l, args));
  return std::make_shared<RouterStore>(std::move(stores));
}

std::shared_ptr<WriteStore> open_write_store(const Args& args) {
  auto locators = args.all("store");
  if (locators.size() != 1) throw Error(Errc::usage, args.command() + ": give exactly one store with -s");
  return open_one(locators[0], args);
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
