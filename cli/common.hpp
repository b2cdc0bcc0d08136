#pragma once
// Helpers every subcommand shares: store opening from -s locators, human-readable figures, and
// progress lines on a terminal.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "chunkbench/fetch_stats.hpp"
#include "chunkbench/fetcher.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench::cli {

// Options that describe how to reach stores; added to an Args by add_store_options.
void add_store_options(Args& args, bool many);
// The HTTP knobs (--http, -n, --connections, --streams, --retries, timeouts, --ca).
void add_http_options(Args& args);
// Reads them back; options not added to `args` keep their defaults.
HttpOptions http_options(const Args& args);

// How http(s):// stores are reached; stats are shared by every remote store of the run.
struct RemoteContext {
  HttpOptions http;
  std::shared_ptr<FetchStats> stats = std::make_shared<FetchStats>();
  std::size_t max_body = 0;  // largest chunk file accepted; 0: no limit
  // One multi for every remote store and the --source of a run: a store and an image on the same
  // host share connections and TLS sessions. Made from `http` on first use.
  std::shared_ptr<BatchFetcher> fetcher() const;

 private:
  mutable std::shared_ptr<BatchFetcher> fetcher_;
};

// One store per -s (a directory, or an http:// or https:// URL), in order; several are wrapped in
// a RouterStore (missing -> next store), so local and remote stores mix.
std::shared_ptr<Store> open_read_stores(const Args& args, const RemoteContext& remote);
std::shared_ptr<Store> open_read_stores(const Args& args);
std::shared_ptr<WriteStore> open_write_store(const Args& args);

// While alive, SIGINT/SIGTERM/SIGHUP remove `path` (a temporary output) and end the process with
// 128 + signal, so an interrupted command leaves no half-written file behind. Construct it before
// any thread starts: threads inherit the blocked signal mask it sets.
class RemoveOnInterrupt {
 public:
  explicit RemoveOnInterrupt(std::string path);
  ~RemoveOnInterrupt();
  RemoveOnInterrupt(const RemoveOnInterrupt&) = delete;
  RemoveOnInterrupt& operator=(const RemoveOnInterrupt&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

unsigned threads_option(const Args& args);
std::string human_bytes(std::uint64_t n);
std::string human_rate(double bytes, double seconds);
// "8M", "64KiB", "1048576" -> bytes; throws a usage error naming `option` otherwise.
std::uint64_t parse_size_option(const std::string& text, const std::string& option);
double parse_seconds(const std::string& text, const std::string& option);
bool stderr_is_tty();
// Overwrites one status line on stderr when it is a terminal; a no-op otherwise.
void status_line(const std::string& text);
void end_status_line();

}  // namespace chunkbench::cli
