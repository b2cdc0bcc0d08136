#pragma once
// Helpers every subcommand shares: store and HTTP options, units, human-readable figures, and
// progress lines on a terminal.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fetch_stats.hpp"
#include "chunkbench/fetcher.hpp"
#include "chunkbench/s3_client.hpp"
#include "chunkbench/s3_sign.hpp"
#include "chunkbench/store.hpp"
#include "chunkbench/store_factory.hpp"

namespace chunkbench::cli {

// Options that describe how to reach stores; added to an Args by add_store_options.
void add_store_options(Args& args, bool many);
// The HTTP knobs (--http, -n, --connections, --streams, --retries, timeouts, --ca).
void add_http_options(Args& args);
// Reads them back; options not added to `args` keep their defaults.
HttpOptions http_options(const Args& args);

// How the -s specs of a command are opened: -u and the HTTP options (options not added to `args`
// keep their defaults).
StoreOptions store_options(const Args& args);
// S3 credentials and region from AWS_* and ~/.aws (s3_env.cpp); nullopt when none are configured
// and not `required`. A malformed credentials file is always an error.
std::optional<s3::ResolvedCredentials> s3_credentials_from_env(bool required);
// An S3 client for an s3+http(s)://HOST/BUCKET[/PREFIX] spec with those credentials, the HTTP
// options of `args` and -n requests in flight (default 16).
std::shared_ptr<s3::Client> open_s3_client(const std::string& spec, const Args& args);

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

// Runs a core parser on an option's value, prefixing its error with the option's name: core
// messages name values, the CLI names flags.
template <typename F>
auto named_option(const std::string& name, F&& parse) {
  try {
    return parse();
  } catch (const Error& e) {
    throw Error(e.code(), "--" + name + ": " + e.what());
  }
}

unsigned threads_option(const Args& args);
std::string human_bytes(std::uint64_t n);
std::string human_rate(double bytes, double seconds);
// Option values in the units of chunkbench/units.hpp, `fallback` when the option is absent; errors
// name the option (--NAME). Sizes above `max` are refused.
std::uint64_t size_option(const Args& args, const std::string& name, std::uint64_t fallback,
                          std::uint64_t max = UINT64_MAX);
double rate_option(const Args& args, const std::string& name, double fallback);
// `bare`: what a number without a unit means, in seconds (1, or 1e-3 for an option named in ms).
double duration_option(const Args& args, const std::string& name, double fallback, double bare = 1);
double fraction_option(const Args& args, const std::string& name, double fallback);
// Writes `text` to `path` atomically (temporary file, then rename).
void write_text_file(const std::string& path, const std::string& text);
bool stderr_is_tty();
// Overwrites one status line on stderr when it is a terminal; a no-op otherwise.
void status_line(const std::string& text);
void end_status_line();

}  // namespace chunkbench::cli
